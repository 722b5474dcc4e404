"""The batches a :class:`~da_bench.data.datamodule.PairedDataModule` hands Lightning: the endless, seeded, paired
training stream (source and target batches of equal size) and the evaluation batches."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterator

import torch
from torch import Tensor
from torch.utils.data import DataLoader

from da_bench.data.sharding import rank_share

if TYPE_CHECKING:
    from da_bench.data.datamodule import PairedDataModule


def index_stream(n: int, count: int, g: torch.Generator, weights: Tensor | None = None) -> Tensor:
    """``count`` indices into ``n`` samples: concatenated random permutations, or weighted draws."""
    if weights is not None:
        return torch.multinomial(weights, count, replacement=True, generator=g)
    reps = -(-count // n)
    return torch.cat([torch.randperm(n, generator=g) for _ in range(reps)])[:count]


def class_balance_weights(y: Tensor) -> Tensor:
    counts = torch.bincount(y).float()
    return (1.0 / counts.clamp_min(1))[y]


class Batches:
    """Precomputed batches as one opaque iterable (Lightning would flatten a plain list into loaders)."""

    def __init__(self, batches: list[Any]) -> None:
        self.batches = batches

    def __len__(self) -> int:
        return len(self.batches)

    def __iter__(self) -> Iterator[Any]:
        return iter(self.batches)


class images_only:
    """Wraps an (image, label) loader so that only images come out."""

    def __init__(self, loader: DataLoader) -> None:
        self.loader = loader

    def __len__(self) -> int:
        return len(self.loader)

    def __iter__(self) -> Iterator[Tensor]:
        return (x for x, _ in self.loader)


class PairedBatches:
    """``eval_every`` training batches per epoch: {"source": (x, y), "target": x[, "target_labeled": (x, y)]}.

    Source and target have equal batch sizes (``batch_size`` each, shared out among DDP ranks) and cycle endlessly;
    order depends only on the seed and the epoch, so a resumed run sees the batches it would have seen. Target
    batches carry images only: the unlabeled target split's labels never leave this module.
    """

    def __init__(self, dm: "PairedDataModule") -> None:
        self.dm = dm

    def __len__(self) -> int:
        return self.dm.cfg.eval_every

    def _generator(self) -> torch.Generator:
        epoch = self.dm.trainer.current_epoch if self.dm.trainer is not None else 0
        return torch.Generator().manual_seed(self.dm.cfg.seed * 100_003 + epoch)

    def _stream(self, name: str, g: torch.Generator, labels: bool, balanced: bool = False) -> Iterator[Any]:
        cfg, split = self.dm.cfg, self.dm._on_device(name)
        count = cfg.eval_every * cfg.batch_size
        idx = index_stream(len(split), count, g, class_balance_weights(split.y.cpu()) if balanced else None)
        idx, size = rank_share(idx, cfg.batch_size, self.dm.trainer)  # every rank draws the global batches, trains on its share
        if split.in_memory:
            idx = idx.to(split.y.device)
            for k in range(cfg.eval_every):
                i = idx[k * size : (k + 1) * size]
                # index_select: the same rows as x[i], 2-3x faster on CPU (scripts/bench_overhead.py, paper_results/perf.md)
                x = split.x.index_select(0, i)  # type: ignore[union-attr]
                yield (x, split.y.index_select(0, i)) if labels else x
        else:
            loader = DataLoader(
                split.x, batch_size=size, sampler=idx.tolist(), num_workers=cfg.num_workers, pin_memory=torch.cuda.is_available(), drop_last=True
            )
            yield from (batch if labels else batch[0] for batch in loader)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        dm, g = self.dm, self._generator()
        streams: dict[str, Iterator[Any]] = {"source": self._stream("source_train", g, True, dm.cfg.class_balanced)}
        if dm.cfg.mode == "uda":
            target_name = "target_unlabeled_train" if "target_unlabeled_train" in dm.splits else "target_unlabeled"
            streams["target"] = self._stream(target_name, g, labels=False)
        if "target_labeled" in dm.splits and dm.cfg.mode == "uda":
            streams["target_labeled"] = self._stream("target_labeled", g, True)
        for _ in range(dm.cfg.eval_every):
            yield {key: next(stream) for key, stream in streams.items()}
