"""Our accuracy beside each published one, to two decimals: a Markdown table from a runs folder and the reference CSV.

    python scripts/classic_compare.py paper_results/classic_runs --benchmark "Office-Caltech-10 SURF"

Cells read ``ours / published (difference)``; a row per method of the runs that has published numbers (rows of
``paper_results/published.csv`` whose ``benchmark`` contains the given text, matched by method and pair labels).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from da_bench.report.collect import method_label, pair_label, read_records
from da_bench.report.table import load_reference


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs")
    parser.add_argument("--benchmark", required=True)
    parser.add_argument("--reference", default="paper_results/published.csv")
    args = parser.parse_args()
    ours: dict[tuple[str, str], float] = {}
    for record in read_records(Path(args.runs)):
        if record["status"] == "done":
            cfg = record["config"]
            ours[method_label(cfg["method"]), pair_label(cfg["source"], cfg["target"])] = 100 * record["final"]["target_test_acc"]
    published = {key: row.accuracy for key, row in load_reference(Path(args.reference), args.benchmark).items()}
    pairs = list(dict.fromkeys(p for _, p in published))
    methods = list(dict.fromkeys(m for m, _ in published if any((m, p) in ours for p in pairs)))
    print(f"| method | {' | '.join(pairs)} | within 1 point |")
    print("|---|" + "---|" * (len(pairs) + 1))
    for m in methods:
        cells, close = [], 0
        for p in pairs:
            if (m, p) in ours and (m, p) in published:
                diff = ours[m, p] - published[m, p]
                close += abs(diff) <= 1.0
                cells.append(f"{ours[m, p]:.2f} / {published[m, p]:.2f} ({diff:+.2f})")
            else:
                cells.append("-")
        print(f"| {m} | {' | '.join(cells)} | {close}/{sum((m, p) in ours for p in pairs)} |")


if __name__ == "__main__":
    main()
