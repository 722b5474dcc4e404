"""One run from its config mapping, as the parallel, Ray and SLURM launchers start it (``run_spec``), and the parallel
launcher's worker process (``start_worker``).

A worker process exits 0 once the run's record is written (done or failed, set-up errors included), and
``RUNNING_ELSEWHERE`` when another process holds the run's lock. On the CPU it is forked from a server process that
imported da_bench, torch and Lightning once (``multiprocessing``'s forkserver, which never runs a model itself, so
no thread pool is forked): each run is still its own process, but starts in a fraction of a second instead of the
8-9 s an import of Lightning takes on a small machine. A run given a GPU starts a fresh interpreter
(``python -m da_bench.runner.worker OUT SPEC.json``), which never inherits a CUDA state."""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from da_bench.builtins import BUILTIN_MODULES

RUNNING_ELSEWHERE = 75  # EX_TEMPFAIL: nothing was done here; the run's own process will finish it
FORK_SERVER_MODULES = [*BUILTIN_MODULES, "da_bench.runner.execute"]


def run_spec(cfg_dict: dict[str, Any], out: str | Path, plugins: list[str]) -> dict[str, Any]:
    """Register the built-in parts and ``plugins``, then run (or resume) the config; its record."""
    from da_bench.builtins import import_builtins
    from da_bench.config import from_dict
    from da_bench.registry import load_plugins
    from da_bench.runner.execute import execute

    import_builtins()
    load_plugins(plugins)
    return execute(from_dict(cfg_dict), Path(out), record_setup_errors=True)


def run_spec_file(out: str | Path, spec: str | Path, plugins: list[str]) -> int:
    """The worker's exit status for the run in the spec file."""
    record = run_spec(json.loads(Path(spec).read_text()), out, plugins)
    return RUNNING_ELSEWHERE if record["status"] == "running" else 0


def worker_command(out: Path, spec: Path, plugins: list[str]) -> list[str]:
    cmd = [sys.executable, "-m", "da_bench.runner.worker", str(out), str(spec)]
    for plugin in plugins:
        cmd += ["--plugin", plugin]
    return cmd


def fork_server() -> Any:
    """The forkserver context, its server preloading the built-in parts (started on first use, one per process)."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(FORK_SERVER_MODULES)
    return context


def _forked(out: str, spec: str, plugins: list[str], env: dict[str, str], log: str) -> None:
    """Body of a forked worker: the launcher's environment (not the server's; multiprocessing sets its folder), output to
    ``log``."""
    os.environ.clear()
    os.environ.update(env)
    fd = os.open(log, os.O_WRONLY | os.O_APPEND)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    if threads := int(env.get("OMP_NUM_THREADS") or 0):  # the server loaded torch and BLAS before this was known
        import threadpoolctl
        import torch

        torch.set_num_threads(threads)
        threadpoolctl.threadpool_limits(threads)
    sys.exit(run_spec_file(out, spec, plugins))


def start_worker(out: Path, spec: Path, plugins: list[str], env: dict[str, str], log: Path, fresh_interpreter: bool) -> int:
    """Run the spec in a worker process (forked, or a fresh interpreter); its exit status, its output in ``log``."""
    with open(log, "w") as fh:
        if fresh_interpreter or "forkserver" not in multiprocessing.get_all_start_methods():  # Windows has no forkserver
            return subprocess.run(worker_command(out, spec, plugins), env=env, stdout=fh, stderr=subprocess.STDOUT).returncode
    process = fork_server().Process(target=_forked, args=(str(out), str(spec), plugins, env, str(log)))
    process.start()
    process.join()
    return process.exitcode


def last_line(log: Path) -> str:
    """The last line a worker wrote (its error, if it died), or 'no output'."""
    lines = log.read_text(errors="replace").strip().splitlines() if log.is_file() else []
    return lines[-1] if lines else "no output"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("spec")
    parser.add_argument("--plugin", action="append", default=[])
    args = parser.parse_args()
    return run_spec_file(args.out, args.spec, args.plugin)


if __name__ == "__main__":
    sys.exit(main())
