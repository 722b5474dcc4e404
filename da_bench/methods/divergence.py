"""Divergence detection without a device-to-host copy per step.

Each loss ORs ``~isfinite(loss)`` into a flag that stays on the loss's device; the host reads the flag only when
asked (on the steps that log, before an evaluation, at the end of training), so a GPU step queues its kernels
without waiting. A divergence is then reported for the range of training batches since the last check.
"""

from __future__ import annotations

from torch import Tensor


class DivergedError(RuntimeError):
    """Training produced a non-finite loss."""


class NonFiniteFlag:
    """A device-side record of non-finite losses since the last :meth:`check`."""

    def __init__(self) -> None:
        self.flag: Tensor | None = None
        self.first = 0  # the first training batch the flag covers

    def add(self, loss: Tensor, batch: int) -> None:
        """Note whether ``loss`` (of training batch ``batch``) is finite; no host synchronisation."""
        bad = ~loss.detach().isfinite()
        if self.flag is None:
            self.flag, self.first = bad, batch
        else:
            self.flag = self.flag | bad

    def check(self, last: int) -> None:
        """Raise :class:`DivergedError` if a loss since the last check (up to training batch ``last``) was not
        finite; this reads the flag on the host, once."""
        flag, self.flag = self.flag, None
        if flag is not None and bool(flag):
            where = f"step {last}" if self.first >= last else f"a step between {self.first} and {last}"
            raise DivergedError(f"loss became non-finite at {where} (diverged); lower the learning rate or the loss weights")
