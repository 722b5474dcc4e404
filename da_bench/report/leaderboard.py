"""From a runs folder to written tables: the one path both ``da-bench table`` and ``sweep --table`` take."""

from __future__ import annotations

from pathlib import Path

from da_bench.report.collect import collect, collect_rules
from da_bench.report.plot import bar_chart
from da_bench.report.render import render
from da_bench.report.table import Table, build_table, load_reference, selection_comparison


def leaderboard(
    runs: Path, rule: str, title: str, reference: Path | None = None, benchmark: str | None = None, backbone: str | None = None, where: list[str] | None = None
) -> Table:
    """The table of a runs folder under one selection rule, published numbers beside it where a reference file
    is given; with rule 'all', each rule's average over pairs side by side; ``where`` keeps the matching runs."""
    from da_bench.selection import selection_rules

    if not runs.is_dir():
        raise FileNotFoundError(f"Runs folder '{runs}' does not exist; pass the --out folder of a sweep.")
    if rule == "all":
        if reference:
            raise ValueError(
                "Published numbers (--reference) sit beside per-pair cells, but '--selection all' shows averages over pairs, "
                "which papers do not report for the same pairs; pass one or the other."
            )
        rules = selection_rules()
        return selection_comparison({r: build_table(c, r, title) for r, c in collect_rules(runs, rules, where).items()}, title)
    ref = load_reference(reference, benchmark, backbone) if reference else None
    return build_table(collect(runs, rule, where), rule, title, ref)


def publish(table: Table, outputs: dict[str, Path | None], plot: Path | None = None) -> dict[str, str]:
    """The table rendered in each format of ``outputs`` (written where a path is given), and its bar chart at ``plot``."""
    texts = {fmt: render(table, fmt) for fmt in outputs}
    for fmt, path in outputs.items():
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(texts[fmt])
    if plot is not None:
        bar_chart(table, plot)
    return texts
