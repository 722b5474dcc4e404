"""Which (k, lambda) grid points give each published cell exactly: a classic method over a grid, per domain pair.

    python scripts/classic_grid.py pca --data-root ../shared/data
    python scripts/classic_grid.py tca --lams 0.01 0.1 1 10 --data-root ../shared/data --csv /tmp/tca_grid.csv

For every pair that ``paper_results/published.csv`` holds for the method and benchmark, each grid point is one fit of
the method's estimator (1-NN, the run's data and preprocessing, as ``da-bench run`` does). Printed per pair: the
published value, the grid points that give it to two decimals ("exact"), the nearest grid point, the best one and the
value at ``--default``; then, per grid point, how many cells it brings within 1 point (is one setting better than the
default?). ``--csv`` keeps every grid point's accuracy.
"""

from __future__ import annotations

import argparse
import csv
import time
from pathlib import Path

from threadpoolctl import threadpool_limits

import da_bench.builtins  # noqa: F401  (registers the domains)
from da_bench.classic.data import load_pair
from da_bench.classic.spec import build_estimator
from da_bench.config import RunConfig
from da_bench.report.table import load_reference

Point = tuple[int, float]


def published_cells(reference: Path, method: str, benchmark: str) -> dict[str, float]:
    """Published accuracy per pair ('source->target') for the method in the benchmark."""
    cells = {pair: row.accuracy for (name, pair), row in load_reference(reference, benchmark).items() if name == method}
    if not cells:
        raise SystemExit(f"No published '{method}' rows for benchmark '{benchmark}' in {reference}; check the method and --benchmark.")
    return cells


def grid_accuracies(method: str, pair: str, points: list[Point], data_root: str) -> dict[Point, float]:
    """Target accuracy (%) at each (k, lambda); PCA has no lambda and ignores it."""
    source, target = pair.split("->")
    data = load_pair(RunConfig(method=method, source=source, target=target, data_root=data_root))
    out = {}
    for k, lam in points:
        args = {"dim": k} if method == "pca" else {"dim": k, "lam": lam}
        cfg = RunConfig(method=method, source=source, target=target, data_root=data_root, method_args=args)
        estimator = build_estimator(cfg).fit(data.xs, data.ys, data.xt, data.yt)
        out[k, lam] = 100 * float((estimator.predict(data.x_eval) == data.y_eval).mean())
    return out


def name(point: Point, method: str) -> str:
    return f"k {point[0]}" if method == "pca" else f"({point[0]}, {point[1]:g})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("method", choices=["pca", "tca", "jda"])
    parser.add_argument("--dims", type=int, nargs="+", default=list(range(10, 201, 10)))
    parser.add_argument("--lams", type=float, nargs="+", default=[1.0], help="lambda values (TCA, JDA; PCA has none)")
    parser.add_argument("--default", type=float, nargs=2, default=[100, 1.0], metavar=("K", "LAMBDA"), help="the sweep's setting")
    parser.add_argument("--data-root", default="../shared/data")
    parser.add_argument("--reference", type=Path, default=Path("paper_results/published.csv"))
    parser.add_argument("--benchmark", default="Office-Caltech-10 SURF")
    parser.add_argument("--csv", type=Path, help="write every grid point's accuracy here")
    args = parser.parse_args()
    lams = [1.0] if args.method == "pca" else args.lams
    points = [(k, lam) for lam in lams for k in args.dims]
    default = (int(args.default[0]), 1.0 if args.method == "pca" else args.default[1])
    published = published_cells(args.reference, args.method, args.benchmark)
    results: dict[str, dict[Point, float]] = {}
    start = time.perf_counter()
    with threadpool_limits(limits=1):
        for pair, value in published.items():
            acc = results[pair] = grid_accuracies(args.method, pair, points, args.data_root)
            exact = [p for p in points if round(acc[p], 2) == value]
            near = min(points, key=lambda p: abs(acc[p] - value))
            best = max(points, key=lambda p: acc[p])
            line = f"{pair}: published {value:.2f}; exact at {', '.join(name(p, args.method) for p in exact) or 'no grid point'}; "
            line += f"nearest {acc[near]:.2f} at {name(near, args.method)}; best {acc[best]:.2f} at {name(best, args.method)}"
            print(line + (f"; default {acc[default]:.2f}" if default in acc else ""), flush=True)
    reached = sum(any(round(acc[p], 2) == published[pair] for p in points) for pair, acc in results.items())
    print(f"{reached}/{len(published)} cells exact at some grid point ({time.perf_counter() - start:.0f} s)")
    within = {p: sum(abs(results[pair][p] - published[pair]) <= 1.0 for pair in published) for p in points}
    top = sorted(points, key=lambda p: -within[p])[:5]
    print("cells within 1 point, best single settings: " + "; ".join(f"{name(p, args.method)}: {within[p]}" for p in top))
    if default in within:
        print(f"default {name(default, args.method)}: {within[default]}")
    if args.csv:
        with open(args.csv, "w", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(["method", "pair", "dim", "lam", "accuracy", "published"])
            for pair, acc in results.items():
                writer.writerows([args.method, pair, k, lam, f"{a:.4f}", published[pair]] for (k, lam), a in acc.items())


if __name__ == "__main__":
    main()
