"""Exact resume: every random number generator's state travels in the checkpoint, checkpoints are read
without unpickling code, and the CSV log is flushed before each checkpoint so a resumed run can continue it."""

from __future__ import annotations

import random
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytorch_lightning as pl
import torch
from pytorch_lightning.loggers import CSVLogger


def rng_states() -> dict[str, Any]:
    """The global generators' states, as tensors and plain values (loadable with ``weights_only=True``)."""
    kind, keys, pos, has_gauss, gauss = np.random.get_state()
    return {
        "torch": torch.get_rng_state(),
        "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
        "numpy": [kind, torch.from_numpy(keys.astype(np.int64)), pos, has_gauss, gauss],
        "python": random.getstate(),
    }


def set_rng_states(states: dict[str, Any]) -> None:
    torch.set_rng_state(states["torch"])
    for device, state in enumerate(states["cuda"][: torch.cuda.device_count()]):  # a resume may see fewer GPUs
        torch.cuda.set_rng_state(state, device)
    kind, keys, pos, has_gauss, gauss = states["numpy"]
    np.random.set_state((kind, keys.numpy().astype(np.uint32), pos, has_gauss, gauss))
    version, internal, gauss_next = states["python"]
    random.setstate((version, tuple(internal), gauss_next))


class ExactResume(pl.Callback):
    """Saves the generators' states with every checkpoint and restores them on resume; flushes CSV logs first."""

    def state_dict(self) -> dict[str, Any]:
        return rng_states()

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        set_rng_states(state_dict)

    def on_save_checkpoint(self, trainer: pl.Trainer, pl_module: pl.LightningModule, checkpoint: dict[str, Any]) -> None:
        for logger in trainer.loggers:
            if isinstance(logger, CSVLogger):
                logger.save()  # every row logged before the checkpoint is on disk before the checkpoint is


def batches_done(checkpoint: dict[str, Any]) -> int:
    """Training batches done at a checkpoint: Lightning's ``global_step`` counts optimizer steps, several per batch
    for a method that owns its training step, while CSV rows and evaluation points count batches."""
    progress = checkpoint.get("loops", {}).get("fit_loop", {}).get("epoch_loop.batch_progress")
    return int(progress["total"]["completed"]) if progress else int(checkpoint["global_step"])


def resumable_step(checkpoint: Path) -> int | None:
    """The training batches done at a checkpoint that loads safely (``weights_only=True``: tensors and plain values, no code).

    A file cut short by a kill, or one holding anything else, is set aside as ``.corrupt`` and the run starts afresh.
    """
    if not checkpoint.exists():
        return None
    try:
        # mmap: read the step without pulling every tensor into memory (Lightning loads the file itself next)
        return batches_done(torch.load(checkpoint, map_location="cpu", weights_only=True, mmap=True))
    except Exception as err:  # noqa: BLE001 - any checkpoint that does not load safely is unusable
        corrupt = checkpoint.with_suffix(".corrupt")
        checkpoint.rename(corrupt)
        reason = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        print(
            f"da-bench: checkpoint {checkpoint} does not load safely ({reason[:200]}); set aside as {corrupt.name}, the run starts afresh.",
            file=sys.stderr,
            flush=True,
        )
        return None
