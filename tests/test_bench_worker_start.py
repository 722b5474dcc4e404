"""The worker start-up benchmark: one forked run, timed, ends in a done record (the fresh-interpreter path is run by
tests/test_worker.py)."""

from helpers import script_module


def test_one_forked_run_is_timed_and_done(tmp_path):
    assert script_module("bench_worker_start").one_run(tmp_path, fresh=False, seed=0) > 0  # exits with the log's path if not done
