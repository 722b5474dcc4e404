"""One run on several devices: Lightning's DDP with one process per device.

``strategy: ddp`` forks the processes from the run's own process (Lightning's ``ddp_fork``: nothing is pickled,
plugins carry over, no interpreter starts; on GPUs, nothing in the run's process may have used CUDA before training).
The run's process waits for them, then holds rank 0's weights, evaluation history, device and peak memory, or the
exception a rank raised, and writes the record as for a one-device run. ``batch_size`` is global: every rank draws
the same batches and trains on its contiguous share (:func:`da_bench.data.sharding.rank_share`), and DDP averages the
gradients over the ranks. Each rank evaluates every split (the same weights give the same history); the loggers and
checkpoints write on rank 0 only.
"""

from __future__ import annotations

import os
import traceback
from contextlib import contextmanager, suppress
from typing import Any, Callable, Iterator

import torch.multiprocessing as mp
from pytorch_lightning.strategies import DDPStrategy
from pytorch_lightning.strategies.launchers.multiprocessing import _MultiProcessingLauncher

from da_bench.config import RunConfig
from da_bench.runner.records import training_facts


@contextmanager
def omp_threads(threads: int | None) -> Iterator[None]:
    """OMP_NUM_THREADS set to ``threads`` while the ranks start: Lightning then keeps each rank at the config's
    ``threads`` instead of giving it the cores / ranks."""
    before = os.environ.get("OMP_NUM_THREADS")
    if threads is not None:
        os.environ["OMP_NUM_THREADS"] = str(threads)
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("OMP_NUM_THREADS", None)
        else:
            os.environ["OMP_NUM_THREADS"] = before


class RankZeroLauncher(_MultiProcessingLauncher):
    """Lightning's launcher of DDP processes, handing back to the run's process what rank 0 holds besides the
    weights (history, device and peak memory: :attr:`facts`) and a failed rank's exception as it was raised."""

    def __init__(self, strategy: DDPStrategy, threads: int | None) -> None:
        super().__init__(strategy, start_method="fork")
        self.threads = threads
        self.facts: dict[str, Any] = {}

    def launch(self, function: Callable, *args: Any, trainer: Any = None, **kwargs: Any) -> Any:
        self.failures = mp.get_context("fork").SimpleQueue()
        try:
            with omp_threads(self.threads):
                return super().launch(function, *args, trainer=trainer, **kwargs)
        except mp.ProcessRaisedException:
            if self.failures.empty():
                raise
            error, history = self.failures.get()  # the first rank to fail
            trainer.lightning_module.history = history
            raise error from None

    def _wrapping_function(self, process_idx: int, trainer: Any, *args: Any) -> None:
        try:
            super()._wrapping_function(process_idx, trainer, *args)
        except Exception as err:
            err.add_note(f"raised in DDP rank {process_idx}:\n{traceback.format_exc()}")
            with suppress(Exception):  # an exception that does not pickle reaches the run as Lightning reports it
                self.failures.put((err, trainer.lightning_module.history))
            raise

    def get_extra_results(self, trainer: Any) -> dict[str, Any]:
        facts = training_facts(trainer.strategy.root_device)
        return {**super().get_extra_results(trainer), "history": trainer.lightning_module.history, "facts": facts}

    def update_main_process_results(self, trainer: Any, extra: dict[str, Any]) -> None:
        super().update_main_process_results(trainer, extra)
        trainer.lightning_module.history = extra["history"]
        self.facts = extra["facts"]


class RunDDP(DDPStrategy):
    """DDP whose processes are forked by :class:`RankZeroLauncher`. For a method that owns its training step, unused
    parameters are looked for on every backward pass: its passes may leave parts out (ADDA's source encoder and
    discriminator in stage 1, its target encoder in the discriminator's step)."""

    def __init__(self, threads: int | None) -> None:
        super().__init__(start_method="fork")
        self.threads = threads

    def _configure_launcher(self) -> None:
        self._launcher = RankZeroLauncher(self, self.threads)

    def configure_ddp(self) -> None:
        self._ddp_kwargs["find_unused_parameters"] = not self.lightning_module.automatic_optimization
        super().configure_ddp()


def run_strategy(cfg: RunConfig) -> Any:
    """The Trainer's ``strategy`` for the config: Lightning's default for one device, else :class:`RunDDP`."""
    return RunDDP(cfg.threads) if cfg.strategy == "ddp" else "auto"


def run_facts(trainer: Any, device: Any) -> dict[str, Any]:
    """Where the run trained and its peak memory: rank 0's under DDP (none if it failed), else this process's."""
    launcher = trainer.strategy.launcher
    return launcher.facts if isinstance(launcher, RankZeroLauncher) else training_facts(device)
