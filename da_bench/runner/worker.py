"""One run from its config mapping, as the parallel, Ray and SLURM launchers start it (``run_spec``), and the parallel
launcher's worker process: ``python -m da_bench.runner.worker OUT SPEC.json``.

The process exits 0 once the run's record is written (done or failed, set-up errors included), and
``RUNNING_ELSEWHERE`` when another process holds the run's lock."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

RUNNING_ELSEWHERE = 75  # EX_TEMPFAIL: nothing was done here; the run's own process will finish it


def run_spec(cfg_dict: dict[str, Any], out: str | Path, plugins: list[str]) -> dict[str, Any]:
    """Register the built-in parts and ``plugins``, then run (or resume) the config; its record."""
    from da_bench.builtins import import_builtins
    from da_bench.config import from_dict
    from da_bench.registry import load_plugins
    from da_bench.runner.execute import execute

    import_builtins()
    load_plugins(plugins)
    return execute(from_dict(cfg_dict), Path(out), record_setup_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("spec")
    parser.add_argument("--plugin", action="append", default=[])
    args = parser.parse_args()
    record = run_spec(json.loads(Path(args.spec).read_text()), args.out, args.plugin)
    return RUNNING_ELSEWHERE if record["status"] == "running" else 0


if __name__ == "__main__":
    sys.exit(main())
