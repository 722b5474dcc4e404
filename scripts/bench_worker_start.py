"""How long the parallel launcher's worker takes to run a tiny run: forked from the preloaded server (the CPU path)
against a fresh interpreter (the GPU path), interleaved fork/fresh/fork/fresh..., one thread each.

Each timed call is ``da_bench.runner.worker.start_worker`` on a new output folder (a 2-step two-moons run, so the
time is almost all start-up); the first forked call, which also starts the server, is reported apart.

    python scripts/bench_worker_start.py [--repeats 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from da_bench.config import RunConfig, to_dict
from da_bench.runner.execute import run_dir
from da_bench.runner.records import read_record, write_json_atomic
from da_bench.runner.worker import start_worker

TINY = dict(method="source_only", source="moons", target="moons_rot35", backbone="mlp", backbone_args={"hidden": [16]}, head_hidden=[])


def one_run(root: Path, fresh: bool, seed: int) -> float:
    """Seconds for one worker to run a 2-step run to its record."""
    cfg = RunConfig(**TINY, steps=2, eval_every=2, batch_size=8, validator_samples=16, seed=seed, threads=1)
    out = root / f"{'fresh' if fresh else 'fork'}-{seed}"
    spec = out / "specs" / "run.json"
    write_json_atomic(spec, to_dict(cfg))
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
    start = time.perf_counter()
    status = start_worker(out, spec, [], env, spec.with_suffix(".log"), fresh_interpreter=fresh)
    seconds = time.perf_counter() - start
    record = read_record(run_dir(cfg, out))
    if status != 0 or not record or record["status"] != "done":
        sys.exit(f"the {'fresh' if fresh else 'forked'} worker did not finish its run (exit {status}); see {spec.with_suffix('.log')}")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        first = one_run(root, fresh=False, seed=1000)  # starts the fork server
        times: dict[bool, list[float]] = {False: [], True: []}
        for i in range(args.repeats):
            for fresh in (False, True):
                times[fresh].append(one_run(root, fresh, i))
    print(f"first forked run (starts the server): {first:.2f} s")
    for fresh, label in ((False, "forked from the server"), (True, "fresh interpreter")):
        print(f"{label}: median {statistics.median(times[fresh]):.2f} s per run ({', '.join(f'{t:.2f}' for t in times[fresh])})")


if __name__ == "__main__":
    main()
