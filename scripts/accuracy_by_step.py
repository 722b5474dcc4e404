"""Mean and spread over seeds of an evaluated metric at each evaluation step, per method and pair, from run records.

    python scripts/accuracy_by_step.py paper_results/digits_full_runs [--metric target_test_acc] [--every 2000] [--pair MNIST->USPS] [--unfinished]

Shows the trend of cut-down schedules (how far a run still was from its plateau) and how noisy a selection score
is between checkpoints. Rows: method, pair; columns: evaluation steps; cells: mean (std) in percent over seeds.
``--unfinished`` adds the runs that have no finished record yet (still running, or stopped), read from their
``logs/metrics.csv`` and named through the sweep manifests, as rows marked "(unfinished)".
"""

from __future__ import annotations

import argparse
import csv
import json
import statistics
from collections import defaultdict
from pathlib import Path

from da_bench.report.collect import method_label, pair_label
from da_bench.runner.records import iter_records, read_record


def by_step(roots: list[Path], metric: str) -> dict[tuple[str, str], dict[int, list[float]]]:
    """(method, pair) -> step -> the metric of each finished run at that step."""
    table: dict[tuple[str, str], dict[int, list[float]]] = defaultdict(lambda: defaultdict(list))
    for root in roots:
        for record in iter_records(root):
            if record.get("status") != "done":
                continue
            cfg = record["config"]
            key = (method_label(cfg["method"]), pair_label(cfg["source"], cfg["target"]))
            for point in record["history"]:
                if point.get(metric) is not None:
                    table[key][int(point["step"])].append(100 * float(point[metric]))
    return table


def unfinished_by_step(roots: list[Path], metric: str) -> dict[tuple[str, str], dict[int, list[float]]]:
    """Like :func:`by_step` for the runs of the roots' sweep manifests without a ``done`` record, from their CSV logs
    (the CSV's step is the 0-based index of the step an evaluation followed; records count steps from 1)."""
    table: dict[tuple[str, str], dict[int, list[float]]] = defaultdict(lambda: defaultdict(list))
    for root in roots:
        entries = {e["run_id"]: e for manifest in sorted(root.glob("sweeps/*.json")) for e in json.loads(manifest.read_text())["runs"]}
        for run_id, entry in sorted(entries.items()):
            folder = root / "runs" / run_id
            log, record = folder / "logs" / "metrics.csv", read_record(folder)
            if not log.exists() or (record is not None and record.get("status") == "done"):
                continue
            key = (f"{method_label(entry['method'])} (unfinished)", pair_label(entry["source"], entry["target"]))
            with log.open() as fh:
                for row in csv.DictReader(fh):
                    if row.get(f"eval/{metric}"):
                        table[key][int(row["step"]) + 1].append(100 * float(row[f"eval/{metric}"]))
    return table


def cell(values: list[float]) -> str:
    spread = f" ({statistics.stdev(values):.1f})" if len(values) > 1 else ""
    return f"{statistics.fmean(values):.1f}{spread}"


def markdown(table: dict[tuple[str, str], dict[int, list[float]]], every: int) -> str:
    steps = sorted({s for points in table.values() for s in points if s % every == 0 or s == max(points)})
    lines = ["| method | pair | n | " + " | ".join(str(s) for s in steps) + " |", "|---|---|---|" + "---|" * len(steps)]
    for (method, pair), points in sorted(table.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        n = max(len(v) for v in points.values())
        lines.append(f"| {method} | {pair} | {n} | " + " | ".join(cell(points[s]) if s in points else "" for s in steps) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="+", type=Path, help="sweep output folders")
    parser.add_argument("--metric", default="target_test_acc", help="a key of the records' history, e.g. source_val_acc")
    parser.add_argument("--every", type=int, default=1, help="show only steps that are multiples of this (and each run's last)")
    parser.add_argument("--pair", action="append", default=[], help="only this pair, as the table writes it (e.g. MNIST->USPS); repeatable")
    parser.add_argument("--unfinished", action="store_true", help="also the runs without a finished record, from their CSV logs")
    args = parser.parse_args()
    table = by_step(args.runs, args.metric)
    if args.unfinished:
        table.update(unfinished_by_step(args.runs, args.metric))
    if args.pair:
        table = {key: points for key, points in table.items() if key[1] in args.pair}
    if not table:
        raise SystemExit(f"No finished run records with '{args.metric}' under {', '.join(map(str, args.runs))}.")
    print(markdown(table, args.every))


if __name__ == "__main__":
    main()
