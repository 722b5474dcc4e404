"""K runs packed on one device: K worker processes of one CPU thread each, as ``--launcher parallel --per-gpu K`` runs them.

All K start together; each warms up, then waits until all K are warm, and times the same number of steps.
Aggregate steps/s = all timed steps / (last end - first start), so a straggler counts against it.

    python scripts/gpu_check_packed.py SPEC_JSON SYNC_DIR INDEX   # one worker, as run_packed launches it
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path

import torch
from gpu_check_core import Spec, measure

from da_bench.cli import import_builtins
from da_bench.methods.compiled import require_compile

WARM_UP_LIMIT_S = 300  # a worker not warm by then is stuck


def last_line(path: Path) -> str:
    lines = path.read_text().strip().splitlines() if path.exists() else []
    return lines[-1] if lines else "(no output)"


def wait_until_warm(procs: list[subprocess.Popen], sync: Path) -> None:
    """Return when every worker has touched its ready file; raise if one exits first or the limit passes."""
    deadline = time.monotonic() + WARM_UP_LIMIT_S
    while not all((sync / f"ready{i}").exists() for i in range(len(procs))):
        for i, proc in enumerate(procs):
            if proc.poll() is not None:
                raise RuntimeError(f"packed worker {i} exited with {proc.returncode} before warm-up ended: {last_line(sync / f'err{i}')}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"packed workers not warm after {WARM_UP_LIMIT_S} s")
        time.sleep(0.01)


def run_packed(spec: Spec, processes: int) -> dict:
    """Measure ``spec`` in ``processes`` concurrent workers; the packed row."""
    if spec.compile:
        require_compile(torch.device(spec.device))  # one sentence here rather than K worker tracebacks
    root = str(Path(__file__).resolve().parents[1])  # the workers import the da_bench next to this script
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")]))}
    with tempfile.TemporaryDirectory() as tmp:
        sync = Path(tmp)
        command, procs = [sys.executable, __file__, json.dumps(asdict(spec)), tmp], []
        try:
            for i in range(processes):
                with open(sync / f"err{i}", "w") as err:
                    procs.append(subprocess.Popen([*command, str(i)], stdout=subprocess.DEVNULL, stderr=err, env=env))
            wait_until_warm(procs, sync)
            (sync / "go").touch()
            for i, proc in enumerate(procs):
                if proc.wait() != 0:
                    raise RuntimeError(f"packed worker {i} exited with {proc.returncode}: {last_line(sync / f'err{i}')}")
        finally:
            for proc in procs:
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()
        rows = [json.loads((sync / f"result{i}.json").read_text()) for i in range(processes)]
    window = max(r["window"][1] for r in rows) - min(r["window"][0] for r in rows)
    return {
        **asdict(spec),
        "processes": processes,
        "per_process_steps_per_s": [r["steps_per_s"] for r in rows],
        "aggregate_steps_per_s": round(sum(r["timed_steps"] for r in rows) / window, 2),
        "window_s": round(window, 3),
    }


def worker(spec_json: str, sync_dir: str, index: int) -> None:
    """One packed run: one thread, held at the end of warm-up until ``SYNC_DIR/go`` exists; writes its row."""
    torch.set_num_threads(1)
    import_builtins()
    sync = Path(sync_dir)
    row = measure(Spec(**json.loads(spec_json)), sync=(sync / f"ready{index}", sync / "go"))
    (sync / f"result{index}.json").write_text(json.dumps(row))


if __name__ == "__main__":
    worker(sys.argv[1], sys.argv[2], int(sys.argv[3]))
