"""Leaderboards: one row per method, one column per domain pair plus the average; cells are
mean +- standard deviation over seeds with their count; best mean per column in bold."""

from __future__ import annotations

import csv
import statistics
from dataclasses import dataclass
from pathlib import Path

from da_bench.report.collect import Cell, Collected, method_label

FORMATS = ("md", "latex", "csv", "html")


@dataclass
class Entry:
    mean: float | None
    std: float | None
    n: int
    note: str  # "", or why the cell is incomplete
    reference: float | None = None
    reference_tag: int = 0  # 1-based index into Table.sources
    chosen: str = ""  # the hyperparameters chosen for the cell, where several settings ran


@dataclass(frozen=True)
class Published:
    accuracy: float
    source: str  # the paper table or repository file the number was read from


def summarize(cell: Cell | None) -> Entry:
    if cell is None or not cell.values:
        return Entry(None, None, 0, f"failed {cell.failed}" if cell and cell.failed else "missing")
    n = len(cell.values)
    std = statistics.stdev(cell.values) if n > 1 else None
    short = []
    if cell.expected and n < cell.expected:
        short.append(f"{n}/{cell.expected} seeds")
    if cell.failed:
        short.append(f"{cell.failed} failed")
    if cell.failed_elsewhere:
        short.append(f"{cell.failed_elsewhere} failed in other settings")
    return Entry(statistics.fmean(cell.values), std, n, ", ".join(short), chosen=cell.chosen)


def average_entry(entries: list[Entry]) -> Entry:
    """Mean over pairs of per-pair means; marked when some pair has no result or fewer seeds."""
    present = [e for e in entries if e.mean is not None]
    if not present:
        return Entry(None, None, 0, "missing")
    note = "" if len(present) == len(entries) else f"over {len(present)}/{len(entries)} pairs"
    if any(e.note for e in present) and not note:
        note = "some pairs incomplete"
    return Entry(statistics.fmean(e.mean for e in present), None, min(e.n for e in present), note)  # type: ignore[misc]


COMPARED = "compared"  # the rule of a table whose columns are selection rules


@dataclass
class Table:
    title: str
    rule: str
    columns: list[str]
    rows: dict[str, list[Entry]]  # method -> entries per column (pairs then Avg)
    has_reference: bool = False
    sources: tuple[str, ...] = ()  # cited published sources, numbered from 1 in cell order
    chosen: tuple[str, ...] = ()  # 'Method, pair: hyperparameters (best of k settings)' for cells where several settings ran

    @property
    def rule_label(self) -> str:
        if self.rule == COMPARED:
            return "each column's rule"
        return "ORACLE (target test labels; not a valid unsupervised result)" if self.rule == "oracle" else self.rule

    def best(self, col: int) -> float | None:
        means = [row[col].mean for row in self.rows.values() if row[col].mean is not None]
        return max(means) if means else None


def build_table(collected: Collected, rule: str, title: str, reference: dict[tuple[str, str], Published] | None = None) -> Table:
    rows: dict[str, list[Entry]] = {}
    sources: list[str] = []
    chosen: list[str] = []
    for method in collected.methods:
        entries = [summarize(collected.cells.get((method, pair))) for pair in collected.pairs]
        for entry, pair in zip(entries, collected.pairs):
            if entry.chosen:
                chosen.append(f"{method_label(method)}, {pair}: {entry.chosen} (best of {collected.cells[method, pair].settings} settings)")
            published = (reference or {}).get((method_label(method), pair))
            if published is not None:
                if published.source not in sources:
                    sources.append(published.source)
                entry.reference, entry.reference_tag = published.accuracy, sources.index(published.source) + 1
        # no published number beside our average: a paper's 'Avg' covers its own set of pairs, not ours
        rows[method] = entries + [average_entry(entries)]
    return Table(title, rule, collected.pairs + ["Avg"], rows, bool(reference), tuple(sources), tuple(chosen))


def selection_comparison(tables: dict[str, Table], title: str) -> Table:
    """One row per method, one column per selection rule: that rule's average over pairs (its 'Avg' cell).

    Shows what each unsupervised validator would have reported, beside source-val and the oracle."""
    methods = list(next(iter(tables.values())).rows)
    rows = {method: [tables[rule].rows[method][-1] for rule in tables] for method in methods}
    return Table(title, COMPARED, list(tables), rows, chosen=tuple(f"{rule}: {line}" for rule, table in tables.items() for line in table.chosen))


REFERENCE_COLUMNS = ("method", "source_pair", "accuracy")


def load_reference(path: Path, benchmark: str | None = None, backbone: str | None = None) -> dict[tuple[str, str], Published]:
    """(method, pair) -> published accuracy and its source, from a CSV with method, source_pair, accuracy and
    optional benchmark, backbone, source_ref, notes columns (first match wins). A number whose notes say
    'unverified' keeps that mark in the cited source."""
    expected = f"a CSV whose header has {', '.join(REFERENCE_COLUMNS)} (optional: benchmark, backbone, source_ref, notes), like paper_results/published.csv"
    if not path.is_file():
        raise FileNotFoundError(f"Reference file '{path}' does not exist; pass {expected}.")
    out: dict[tuple[str, str], Published] = {}
    with open(path, newline="", errors="replace") as fh:
        reader = csv.DictReader(fh)
        try:
            if not set(REFERENCE_COLUMNS) <= set(reader.fieldnames or ()):
                raise ValueError(f"Reference file '{path}' is not {expected}.")
            rows = list(reader)
        except csv.Error as err:
            raise ValueError(f"Reference file '{path}' is not {expected} ({err}).") from None
    for row in rows:
        if benchmark and benchmark.lower() not in (row.get("benchmark") or "").lower():
            continue
        if backbone and backbone.lower() not in (row.get("backbone") or "").lower():
            continue
        source = row.get("source_ref") or path.name
        if row.get("backbone"):
            source = f"{source} ({row['backbone']})"
        if "unverified" in (row.get("notes") or "").lower():
            source += "; UNVERIFIED: not read in the original paper"
        try:
            accuracy = float(row["accuracy"])
        except (TypeError, ValueError):
            raise ValueError(
                f"Reference file '{path}' gives accuracy {row['accuracy']!r} for {row['method']} on {row['source_pair']}, which is not a number."
            ) from None
        out.setdefault((row["method"], row["source_pair"]), Published(accuracy, source))
    return out
