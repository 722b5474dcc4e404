"""Seconds to expand and validate a sweep file (every run config built and checked), the work `da-bench sweep` does
before its first run.

    python scripts/bench_sweep_expand.py [FILE ...] [--repeats 5]

Defaults to the largest committed sweeps. Prints the median over repeats per file; run it on an idle machine.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from da_bench.cli import import_builtins
from da_bench.runner.sweep import load_sweep

LARGEST = ["experiments/office_caltech_frozen.yaml", "experiments/classic_office_caltech.yaml", "experiments/digits.yaml"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", default=LARGEST)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    import_builtins()
    for file in args.files:
        seconds = []
        for _ in range(args.repeats):
            start = time.perf_counter()
            runs = len(load_sweep(Path(file)).configs)
            seconds.append(time.perf_counter() - start)
        print(f"{file}: {runs} runs, median {statistics.median(seconds) * 1000:.1f} ms over {args.repeats} repeats")


if __name__ == "__main__":
    main()
