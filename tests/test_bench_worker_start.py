"""The worker start-up benchmark: one forked run, timed, ends in a done record (the fresh-interpreter path is run by
tests/test_worker.py)."""

import importlib.util
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "bench_worker_start.py"


def test_one_forked_run_is_timed_and_done(tmp_path):
    spec = importlib.util.spec_from_file_location("bench_worker_start", SCRIPT)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    assert bench.one_run(tmp_path, fresh=False, seed=0) > 0  # exits with the log's path if the run is not done
