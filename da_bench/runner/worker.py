"""Worker process entry point for the parallel launcher: ``python -m da_bench.runner.worker OUT SPEC.json``.

Exits 0 once the run's record is written (done or failed, set-up errors included), and ``RUNNING_ELSEWHERE``
when another process holds the run's lock."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

RUNNING_ELSEWHERE = 75  # EX_TEMPFAIL: nothing was done here; the run's own process will finish it


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("spec")
    parser.add_argument("--plugin", action="append", default=[])
    args = parser.parse_args()
    from da_bench.builtins import import_builtins
    from da_bench.config import from_dict
    from da_bench.registry import load_plugins
    from da_bench.runner.execute import execute

    import_builtins()
    load_plugins(args.plugin)
    cfg = from_dict(json.loads(Path(args.spec).read_text()))
    record = execute(cfg, Path(args.out), record_setup_errors=True)
    return RUNNING_ELSEWHERE if record["status"] == "running" else 0


if __name__ == "__main__":
    sys.exit(main())
