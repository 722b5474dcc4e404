"""Features of image domains from a frozen backbone (``backbone``, ``backbone_args``, ``pretrained``), for the classic methods.

Images go through the same pipeline as in the deep runs, declared by the backbone (:mod:`da_bench.data.pipeline`;
digits: common channels and size, then its normalisation; image files: the evaluation transform, resize and centre
crop) and the backbone in eval mode, without gradients; each sample gives its flat feature vector.
"""

from __future__ import annotations

from typing import Iterator

import numpy as np
from torch import Tensor

from da_bench.config import RunConfig
from da_bench.data.datamodule import harmonise
from da_bench.data.domains import Split
from da_bench.data.feature_cache import eval_image_batches, extract, frozen_backbone
from da_bench.data.pipeline import digits_pipeline

CHUNK = 256


def _batches(cfg: RunConfig, split: Split, channels: int) -> Iterator[Tensor]:
    if split.in_memory:
        p = digits_pipeline(cfg)
        x = harmonise(split.x, channels, p.size, cfg.image_fit, p.mean, p.std)  # type: ignore[arg-type]
        return (x[i : i + CHUNK] for i in range(0, len(x), CHUNK))
    return eval_image_batches(cfg, split.x)


def backbone_features(cfg: RunConfig, splits: list[Split]) -> list[np.ndarray]:
    """One (n, out_dim) float64 array per split (the extraction the deep runs' feature cache uses)."""
    channels = max((s.x.shape[1] for s in splits if s.in_memory), default=3)
    net = frozen_backbone(cfg, channels)
    return [extract(net, _batches(cfg, split, channels)).double().numpy() for split in splits]
