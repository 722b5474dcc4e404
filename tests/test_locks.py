"""Run locks: one holder at a time across processes; a killed holder's lock is free again."""

import subprocess
import sys
import time

from da_bench.runner.locks import holder, lock_stamp, run_lock

HOLD = "import sys, time\nfrom da_bench.runner.locks import run_lock\nwith run_lock(sys.argv[1]) as held:\n    print(held, flush=True)\n    time.sleep(600)\n"


def test_a_held_lock_is_refused_then_taken_over_after_its_holder_is_killed(tmp_path):
    proc = subprocess.Popen([sys.executable, "-c", HOLD, str(tmp_path / "run")], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "True"
        with run_lock(tmp_path / "run") as held:
            assert held is False
        assert holder(tmp_path / "run") == f"pid {proc.pid}"
    finally:
        proc.kill()
        proc.wait()
    with run_lock(tmp_path / "run") as held:
        assert held is True
        with run_lock(tmp_path / "run") as again:  # exclusive within one process too
            assert again is False


def test_lock_stamp_changes_when_a_process_takes_the_lock(tmp_path):
    assert lock_stamp(tmp_path / "run") is None  # never taken
    with run_lock(tmp_path / "run") as mine:
        assert mine
    first = lock_stamp(tmp_path / "run")
    assert first is not None
    time.sleep(0.01)
    with run_lock(tmp_path / "run"):
        assert lock_stamp(tmp_path / "run") != first
