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
    return Entry(statistics.fmean(cell.values), std, n, ", ".join(short))


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
    for method in collected.methods:
        entries = [summarize(collected.cells.get((method, pair))) for pair in collected.pairs]
        for entry, pair in zip(entries, collected.pairs):
            published = (reference or {}).get((method_label(method), pair))
            if published is not None:
                if published.source not in sources:
                    sources.append(published.source)
                entry.reference, entry.reference_tag = published.accuracy, sources.index(published.source) + 1
        # no published number beside our average: a paper's 'Avg' covers its own set of pairs, not ours
        rows[method] = entries + [average_entry(entries)]
    return Table(title, rule, collected.pairs + ["Avg"], rows, bool(reference), tuple(sources))


def selection_comparison(tables: dict[str, Table], title: str) -> Table:
    """One row per method, one column per selection rule: that rule's average over pairs (its 'Avg' cell).

    Shows what each unsupervised validator would have reported, beside source-val and the oracle."""
    methods = list(next(iter(tables.values())).rows)
    rows = {method: [tables[rule].rows[method][-1] for rule in tables] for method in methods}
    return Table(title, COMPARED, list(tables), rows)


def load_reference(path: Path, benchmark: str | None = None, backbone: str | None = None) -> dict[tuple[str, str], Published]:
    """(method, pair) -> published accuracy and its source, from a CSV with method, source_pair, accuracy and
    optional benchmark, backbone, source_ref, notes columns (first match wins). A number whose notes say
    'unverified' keeps that mark in the cited source."""
    out: dict[tuple[str, str], Published] = {}
    with open(path, newline="") as fh:
        for row in csv.DictReader(fh):
            if benchmark and benchmark.lower() not in row.get("benchmark", "").lower():
                continue
            if backbone and backbone.lower() not in row.get("backbone", "").lower():
                continue
            source = row.get("source_ref") or path.name
            if row.get("backbone"):
                source = f"{source} ({row['backbone']})"
            if "unverified" in (row.get("notes") or "").lower():
                source += "; UNVERIFIED: not read in the original paper"
            out.setdefault((row["method"], row["source_pair"]), Published(float(row["accuracy"]), source))
    return out


# ----- rendering -----------------------------------------------------------------------------
def _plain(entry: Entry, with_n: bool = True) -> str:
    if entry.mean is None:
        return entry.note or "missing"
    text = f"{entry.mean:.1f}" + (f" ± {entry.std:.1f}" if entry.std is not None else "")
    if with_n:
        text += f" (n={entry.n})"
    if entry.note:
        text += f" [{entry.note}]"
    if entry.reference is not None:
        text += f" / {entry.reference:.1f} [{entry.reference_tag}] ({entry.mean - entry.reference:+.1f})"
    return text


def _footer(table: Table) -> list[str]:
    if table.rule == COMPARED:
        return ["Columns: model selection rules (oracle = target test labels, not a valid unsupervised result). "
                "Cells: target test accuracy (%) averaged over pairs of each pair's mean over seeds, n = fewest seeds in a pair."]
    lines = [f"Model selection: {table.rule_label}. Cells: mean ± std of target test accuracy (%) over seeds, n = seeds."]
    if table.has_reference:
        lines.append("After '/': the published number, [its source], and our difference from it.")
        lines += [f"[{i}] {source}" for i, source in enumerate(table.sources, 1)]
    return lines


def render_md(table: Table) -> str:
    head = "| Method | " + " | ".join(table.columns) + " |"
    lines = [f"### {table.title} — selection: {table.rule_label}", "", head, "|" + "---|" * (len(table.columns) + 1)]
    for method, entries in table.rows.items():
        cells = []
        for col, entry in enumerate(entries):
            text = _plain(entry)
            cells.append(f"**{text}**" if entry.mean is not None and entry.mean == table.best(col) else text)
        lines.append(f"| {method_label(method)} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n\n" + "\n\n".join(_footer(table)) + "\n"


LATEX_ESCAPES = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_", "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}"}


def latex_escape(text: str) -> str:
    return "".join(LATEX_ESCAPES.get(ch, ch) for ch in text).replace("->", r"$\to$").replace("±", r"$\pm$")


def render_latex(table: Table) -> str:
    lines = [r"\begin{table}[t]", r"\centering", r"\caption{" + latex_escape(f"{table.title}. Selection: {table.rule_label}.") + "}",
             r"\begin{tabular}{l" + "c" * len(table.columns) + "}", r"\hline",
             "Method & " + " & ".join(latex_escape(c) for c in table.columns) + r" \\", r"\hline"]
    for method, entries in table.rows.items():
        cells = []
        for col, entry in enumerate(entries):
            text = latex_escape(_plain(entry, with_n=False))
            cells.append(r"\textbf{" + text + "}" if entry.mean is not None and entry.mean == table.best(col) else text)
        lines.append(latex_escape(method_label(method)) + " & " + " & ".join(cells) + r" \\")
    notes = [latex_escape(line) for line in _footer(table)[1:]]
    lines += [r"\hline", r"\end{tabular}"] + ([r"\par\footnotesize " + r" \\ ".join(notes)] if notes else []) + [r"\end{table}"]
    return "\n".join(lines) + "\n"


def render_csv(table: Table) -> str:
    import io

    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(["method", "pair", "selection", "mean", "std", "n", "note", "reference", "reference_source", "best"])
    for method, entries in table.rows.items():
        for col, entry in enumerate(entries):
            writer.writerow([method, table.columns[col], table.rule, "" if entry.mean is None else f"{entry.mean:.3f}",
                             "" if entry.std is None else f"{entry.std:.3f}", entry.n, entry.note,
                             "" if entry.reference is None else entry.reference,
                             table.sources[entry.reference_tag - 1] if entry.reference_tag else "",
                             entry.mean is not None and entry.mean == table.best(col)])
    return buf.getvalue()


def render_html(table: Table) -> str:
    from html import escape

    rows = []
    for method, entries in table.rows.items():
        cells = "".join(f"<td><b>{escape(_plain(e))}</b></td>" if e.mean is not None and e.mean == table.best(c) else f"<td>{escape(_plain(e))}</td>"
                        for c, e in enumerate(entries))
        rows.append(f"<tr><th>{escape(method_label(method))}</th>{cells}</tr>")
    head = "".join(f"<th>{escape(c)}</th>" for c in table.columns)
    return (f"<table>\n<caption>{escape(table.title)}, selection: {escape(table.rule_label)}</caption>\n"
            f"<tr><th>Method</th>{head}</tr>\n" + "\n".join(rows) + "\n</table>\n<p>" + "<br>".join(escape(line) for line in _footer(table)) + "</p>\n")


RENDERERS = {"md": render_md, "latex": render_latex, "csv": render_csv, "html": render_html}


def render(table: Table, fmt: str) -> str:
    return RENDERERS[fmt](table)
