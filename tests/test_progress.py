"""Sweep progress: a line per finished run off a terminal (unchanged), one live line redrawn in place on one."""

import io

import pytest

from da_bench.runner import progress as progress_module
from da_bench.runner.progress import Progress

CFG = {"method": "dann", "source": "moons", "target": "moons_rot35", "seed": 0}
DONE = {"run_id": "a", "status": "done", "config": CFG}
FAILED = {"run_id": "b", "status": "failed", "reason": "diverged: nan", "config": {**CFG, "seed": 1}}
ELSEWHERE = {"run_id": "c", "status": "running", "reason": "run c is being trained by another process (pid 3); skipped here", "config": CFG}


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture
def clock(monkeypatch):
    now = [0.0]
    monkeypatch.setattr(progress_module.time, "perf_counter", lambda: now[0])
    return now


def test_off_a_terminal_each_finished_run_is_one_line(clock):
    stream = io.StringIO()
    progress = Progress(3, quiet=False, stream=stream)
    progress.started("a")  # draws nothing off a terminal
    clock[0] = 10
    progress(DONE)
    clock[0] = 25
    progress(FAILED)
    progress(ELSEWHERE)
    progress.close()
    assert stream.getvalue().splitlines() == [
        "[1/3] done 1, failed 0, remaining 2, eta 0m20s | dann moons->moons_rot35 seed 0",
        "[2/3] done 1, failed 1, remaining 1, eta 0m12s | dann moons->moons_rot35 seed 1  FAILED: diverged: nan",
        "da-bench: run c is being trained by another process (pid 3); skipped here.",
        "[3/3] done 1, failed 1, running elsewhere 1, remaining 0, eta 0m00s | dann moons->moons_rot35 seed 0",
    ]


def test_on_a_terminal_one_line_is_redrawn_and_failures_stay_above_it(clock, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    stream = Terminal()
    progress = Progress(4, quiet=False, stream=stream)
    progress.started("a")
    progress.started("b")
    assert stream.getvalue() == "\r[....................] 0/4 done 0, failed 0, running 1, remaining 4, eta ?\x1b[K" + (
        "\r[....................] 0/4 done 0, failed 0, running 2, remaining 4, eta ?\x1b[K"
    )
    clock[0] = 30
    progress(DONE)
    assert stream.getvalue().endswith("\r[#####...............] 1/4 done 1, failed 0, running 1, remaining 3, eta 1m30s\x1b[K")
    assert "\n" not in stream.getvalue()  # a done run is only counted
    progress(FAILED)
    lines = stream.getvalue().split("\n")
    assert lines[0].endswith("\r\x1b[K[2/4] done 1, failed 1, remaining 2, eta 0m30s | dann moons->moons_rot35 seed 1  FAILED: diverged: nan")
    assert lines[1] == "\r[##########..........] 2/4 done 1, failed 1, running 0, remaining 2, eta 0m30s\x1b[K"
    progress.close()
    assert stream.getvalue().endswith("\x1b[K\n")


def test_the_live_line_is_cut_to_the_terminal_width_so_it_never_wraps(monkeypatch):
    monkeypatch.setenv("COLUMNS", "40")
    stream = Terminal()
    Progress(2, quiet=False, stream=stream).started("a")
    assert stream.getvalue() == "\r[....................] 0/2 done 0, fail\x1b[K"  # 39 characters


def test_quiet_on_a_terminal_draws_nothing_but_says_running_elsewhere():
    stream = Terminal()
    progress = Progress(2, quiet=True, stream=stream)
    progress.started("a")
    progress(DONE)
    progress(ELSEWHERE)
    progress.close()
    assert stream.getvalue() == "da-bench: run c is being trained by another process (pid 3); skipped here.\n"
