"""Mean of a logged training scalar per quarter of each run, from the runs' CSV logs.

    python scripts/loss_by_quarter.py paper_results/digits_runs paper_results/digits_long_runs --method dann --metric train/dann

Used in paper_results/digits.md to show whether DANN's domain classifier was still winning (BCE well below
ln 2 = 0.69) when a run ended.
"""

from __future__ import annotations

import argparse
import csv
import statistics
from pathlib import Path

from da_bench.report.collect import method_label, pair_label
from da_bench.runner.execute import RUNS, metrics_csv
from da_bench.runner.records import iter_records


def quarter_means(metrics_csv: Path, metric: str) -> list[float]:
    with open(metrics_csv, newline="") as fh:
        values = [float(row[metric]) for row in csv.DictReader(fh) if row.get(metric)]
    n = len(values)
    if n < 4:
        raise SystemExit(f"'{metrics_csv}' has {n} values of '{metric}'; need at least 4.")
    return [statistics.fmean(values[i * n // 4 : (i + 1) * n // 4]) for i in range(4)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="+", type=Path, help="sweep output folders")
    parser.add_argument("--method", default="dann")
    parser.add_argument("--metric", default="train/dann")
    args = parser.parse_args()
    rows = []
    for root in args.runs:
        for record in iter_records(root):
            cfg = record["config"]
            log = metrics_csv(root / RUNS / record["run_id"])
            if cfg["method"] == args.method and log.exists():
                rows.append((pair_label(cfg["source"], cfg["target"]), cfg.get("steps", "?"), cfg["seed"], quarter_means(log, args.metric)))
    print(f"| {method_label(args.method)} run | steps | seed | " + " | ".join(f"quarter {i}" for i in range(1, 5)) + " |")
    print("|---|---|---|---|---|---|---|")
    for pair, steps, seed, means in sorted(rows):
        print(f"| {pair} | {steps} | {seed} | " + " | ".join(f"{m:.2f}" for m in means) + " |")


if __name__ == "__main__":
    main()
