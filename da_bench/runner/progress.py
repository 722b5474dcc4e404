"""Sweep progress on stderr: a line per finished run, or, on a terminal, one live line redrawn in place."""

from __future__ import annotations

import shutil
import sys
import threading
import time
from typing import Any, TextIO

BAR_WIDTH = 20


def clock(seconds: float) -> str:
    return f"{int(seconds // 60)}m{int(seconds % 60):02d}s"


class Progress:
    """Counts finished runs (done, failed, running elsewhere) and the runs in flight that launchers report with
    ``started``; the estimated time left is the pace of finished runs so far times the runs remaining."""

    def __init__(self, total: int, quiet: bool, stream: TextIO | None = None) -> None:
        self.total, self.quiet, self.stream = total, quiet, stream or sys.stderr
        self.live = not quiet and getattr(self.stream, "isatty", lambda: False)()
        self.counts = {"done": 0, "failed": 0, "running": 0}
        self.in_flight: set[str] = set()
        self.start = time.perf_counter()
        self.lock = threading.Lock()  # the parallel launcher reports from its threads
        self.drawn = False

    def started(self, run_id: str) -> None:
        """A run began training (redraws the live line)."""
        with self.lock:
            self.in_flight.add(run_id)
            self._draw()

    def __call__(self, record: dict[str, Any]) -> None:
        """A run finished (or was skipped as running elsewhere)."""
        with self.lock:
            status = record.get("status")
            self.in_flight.discard(record.get("run_id", ""))
            self.counts[status if status in self.counts else "failed"] += 1
            if status == "running":  # said even with --quiet: this sweep leaves the run to the process that holds it
                self._print(f"da-bench: {record['reason']}.")
            if not self.quiet and not (self.live and status in ("done", "running")):  # on a terminal only failures get a line
                self._print(self._line(record))
            self._draw()

    def close(self) -> None:
        """End the live line, so what follows starts on a line of its own."""
        if self.drawn:
            print(file=self.stream, flush=True)
            self.drawn = False

    def _finished(self) -> int:
        return sum(self.counts.values())

    def _eta(self) -> float | None:
        finished = self._finished()
        return (time.perf_counter() - self.start) / finished * (self.total - finished) if finished else None

    def _line(self, record: dict[str, Any]) -> str:
        status, cfg, finished, eta = record.get("status"), record.get("config", {}), self._finished(), self._eta() or 0.0
        note = "" if status in ("done", "running") else f"  FAILED: {record.get('reason')}"
        elsewhere = f", running elsewhere {self.counts['running']}" if self.counts["running"] else ""
        return (
            f"[{finished}/{self.total}] done {self.counts['done']}, failed {self.counts['failed']}{elsewhere}, remaining {self.total - finished}, "
            f"eta {clock(eta)} | {cfg.get('method')} {cfg.get('source')}->{cfg.get('target')} seed {cfg.get('seed')}{note}"
        )

    def bar(self) -> str:
        """The live line: a bar of finished runs, then the counts and the estimated time left."""
        finished, eta = self._finished(), self._eta()
        filled = BAR_WIDTH * finished // max(1, self.total)
        elsewhere = f", elsewhere {self.counts['running']}" if self.counts["running"] else ""
        return (
            f"[{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {finished}/{self.total} done {self.counts['done']}, failed {self.counts['failed']}, "
            f"running {len(self.in_flight)}{elsewhere}, remaining {self.total - finished}, eta {'?' if eta is None else clock(eta)}"
        )

    def _print(self, text: str) -> None:
        """A line of its own, above the live line where there is one."""
        print(f"\r\x1b[K{text}" if self.drawn else text, file=self.stream, flush=True)
        self.drawn = False

    def _draw(self) -> None:
        if self.live:
            width = shutil.get_terminal_size().columns - 1  # never wrap, or the carriage return cannot redraw it
            self.stream.write(f"\r{self.bar()[:width]}\x1b[K")
            self.stream.flush()
            self.drawn = True
