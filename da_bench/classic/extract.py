"""Features of image domains from a frozen backbone (``backbone``, ``backbone_args``, ``pretrained``), for the classic methods.

Images go through the same pipeline as in the deep runs, declared by the backbone (:mod:`da_bench.data.pipeline`;
digits: common channels and size, then its normalisation; image files: the evaluation transform, resize and centre
crop) and the backbone in eval mode, without gradients; each sample gives its flat feature vector.
"""

from __future__ import annotations

import numpy as np
import torch

from da_bench.config import RunConfig
from da_bench.data.datamodule import harmonise
from da_bench.data.domains import Split
from da_bench.data.images import Transformed
from da_bench.data.pipeline import digits_pipeline, photo_pipeline, photo_transform
from da_bench.methods import backbone_arguments
from da_bench.registry import BACKBONES

CHUNK = 256


def _batches(cfg: RunConfig, split: Split, channels: int):
    if split.in_memory:
        p = digits_pipeline(cfg)
        x = harmonise(split.x, channels, p.size, cfg.image_fit, p.mean, p.std)
        return (x[i : i + CHUNK] for i in range(0, len(x), CHUNK))
    transform = photo_transform(photo_pipeline(cfg), train=False)
    loader = torch.utils.data.DataLoader(Transformed(split.x, transform), batch_size=CHUNK // 4, num_workers=cfg.num_workers)
    return (x for x, _ in loader)


@torch.no_grad()
def backbone_features(cfg: RunConfig, splits: list[Split]) -> list[np.ndarray]:
    """One (n, out_dim) float64 array per split."""
    channels = max((s.x.shape[1] for s in splits if s.in_memory), default=3)
    torch.manual_seed(cfg.seed)  # a backbone without pretrained weights is initialised from the run's seed
    net = BACKBONES.get(cfg.backbone)(in_channels=channels, **backbone_arguments(cfg)).eval()
    return [torch.cat([net(x.float()) for x in _batches(cfg, split, channels)]).double().numpy() for split in splits]
