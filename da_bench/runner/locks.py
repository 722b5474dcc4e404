"""One lock per run folder: the process that trains a run holds ``fcntl.flock`` on ``<run>/lock`` for the run's
whole life. The kernel releases it when that process ends, however it ends, so a killed run's lock is free again."""

from __future__ import annotations

import fcntl
import os
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

LOCK_FILE = "lock"


def lock_path(folder: Path) -> Path:
    return Path(folder) / LOCK_FILE


@contextmanager
def run_lock(folder: Path) -> Iterator[bool]:
    """Hold the run's lock while the block runs; yields False (without waiting) where another process holds it."""
    Path(folder).mkdir(parents=True, exist_ok=True)
    with open(lock_path(folder), "a+") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        fh.truncate(0)
        fh.write(str(os.getpid()))
        fh.flush()
        yield True


def holder(folder: Path) -> str:
    """Who holds the run's lock, as written by the holder (its process id), for messages."""
    try:
        return f"pid {lock_path(folder).read_text().strip() or '?'}"
    except OSError:
        return "pid ?"


def lock_stamp(folder: Path) -> int | None:
    """When the run's lock was last taken (the holder rewrites the file on taking it): the lock file's modification
    time, or None where no process ever took it. A launcher that cannot see its runs start (Ray) compares stamps."""
    try:
        return lock_path(folder).stat().st_mtime_ns
    except OSError:
        return None
