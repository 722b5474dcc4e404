"""Global training batches shared out among DDP ranks."""

from __future__ import annotations

from typing import Any

from torch import Tensor


def rank_share(indices: Tensor, batch_size: int, trainer: Any) -> tuple[Tensor, int]:
    """This rank's share of consecutive global batches of ``batch_size`` indices, and its batch size: rank r of N takes
    the contiguous slice [r b / N, (r + 1) b / N) of every batch (all of it outside DDP), so the ranks together train
    on the batches of a one-device run."""
    rank, ranks = (trainer.global_rank, trainer.world_size) if trainer is not None else (0, 1)
    size = batch_size // ranks
    return indices.view(-1, batch_size)[:, rank * size : (rank + 1) * size].reshape(-1), size
