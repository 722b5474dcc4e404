"""The frozen-feature fast path: image-file domains become cached feature vectors of a frozen backbone.

With ``freeze_backbone`` and ``feature_cache`` (default true) on a photo backbone, each image-file domain split is
read once through the evaluation transform (resize, centre crop, normalisation) into the backbone in eval mode,
without gradients, and its (n, out_dim) features replace the images: splits become in-memory and the method's
backbone a pass-through (:func:`da_bench.methods.network.build_backbone`). This is the feature-extraction approach to
transfer learning; training sees no random-crop / flip augmentation (``feature_cache=false`` keeps it, at the cost
of a backbone forward pass per batch). Features are cached under ``$DA_BENCH_CACHE/features`` keyed by a hash of
the backbone's name, arguments and weights, the pipeline and transform, and the file list (paths, sizes, mtimes);
a file whose stored key differs, or that does not load, is rebuilt with one line on stderr.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import sys
from pathlib import Path
from typing import Iterable, Iterator

import torch
from torch import Tensor, nn
from torch.utils.data import DataLoader, Dataset

from da_bench.atomic import write_atomic
from da_bench.config import RunConfig
from da_bench.data.domains import DomainData, Split, cache_dir
from da_bench.data.images import ImageFiles, Transformed
from da_bench.data.pipeline import photo_pipeline, photo_transform, pipeline_of
from da_bench.registry import BACKBONES

RECIPE = "frozen-features-v1"
CHUNK = 64


def caches_features(cfg: RunConfig) -> bool:
    """Whether image files reach this run as cached features: a frozen photo backbone (one taking ``in_channels``)
    with ``feature_cache`` on."""
    if not (cfg.freeze_backbone and cfg.feature_cache and pipeline_of(cfg.backbone).photos):
        return False
    return "in_channels" in inspect.signature(BACKBONES.get(cfg.backbone)).parameters


def frozen_backbone(cfg: RunConfig, channels: int = 3) -> nn.Module:
    """The config's backbone in eval mode; one without pretrained weights is initialised from the run's seed (the
    global random state is left as it was)."""
    from da_bench.methods.network import backbone_arguments

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(cfg.seed)
        return BACKBONES.get(cfg.backbone)(in_channels=channels, **backbone_arguments(cfg)).eval().requires_grad_(False)


def eval_image_batches(cfg: RunConfig, images: Dataset) -> Iterator[Tensor]:
    """An image dataset through the backbone's evaluation transform, in batches of images."""
    loader = DataLoader(Transformed(images, photo_transform(photo_pipeline(cfg), train=False)), batch_size=CHUNK, num_workers=cfg.num_workers)
    return (x for x, _ in loader)


@torch.no_grad()
def extract(net: nn.Module, batches: Iterable[Tensor], device: torch.device | None = None) -> Tensor:
    """The (n, out_dim) float32 features of ``net`` over ``batches``, on the CPU."""
    device = device or torch.device("cpu")
    net.to(device)
    return torch.cat([net(x.float().to(device)).float().flatten(1).cpu() for x in batches])


def weights_hash(net: nn.Module) -> str:
    """SHA-256 of the network's state dict: every tensor's name, dtype, shape and bytes."""
    h = hashlib.sha256()
    for name, t in net.state_dict().items():
        t = t.detach().cpu().contiguous()
        h.update(f"{name}|{t.dtype}|{tuple(t.shape)}|".encode())
        h.update(t.reshape(-1).view(torch.uint8).numpy().tobytes())
    return h.hexdigest()


def cache_key(cfg: RunConfig, weights: str, paths: list[Path]) -> str:
    """A hash of everything the features depend on: backbone name, arguments and weights, pipeline, files."""
    from da_bench.methods.network import backbone_arguments

    pipeline = photo_pipeline(cfg)
    h = hashlib.sha256(f"{RECIPE}|{cfg.backbone}|{json.dumps(backbone_arguments(cfg), sort_keys=True, default=str)}|{weights}|".encode())
    h.update(f"{pipeline!r}|{photo_transform(pipeline, train=False)!r}|".encode())
    for path in paths:
        stat = path.stat()
        h.update(f"{path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}\n".encode())
    return h.hexdigest()[:20]


def _read(path: Path, key: str, n: int) -> Tensor | None:
    """The cached features, or None (with one line on stderr) where the file does not load or holds other inputs'."""
    try:
        stored = torch.load(path, map_location="cpu", weights_only=True)
        x = stored["features"]
        if stored["key"] == key and isinstance(x, Tensor) and x.ndim == 2 and x.shape[0] == n:
            return x
    except Exception:  # noqa: BLE001 - any unreadable file is rebuilt
        pass
    print(f"da-bench: cached features '{path}' are corrupt or were computed from other inputs; recomputing them.", file=sys.stderr, flush=True)
    return None


def split_features(cfg: RunConfig, net: nn.Module, weights: str, images: ImageFiles, label: str) -> Tensor:
    """The features of one image-file split: from the cache, else extracted and cached."""
    key = cache_key(cfg, weights, images.paths)
    path = cache_dir() / "features" / f"{label}-{cfg.backbone}-{key}.pt"
    if path.exists() and (x := _read(path, key, len(images))) is not None:
        return x
    device = torch.device("cuda" if cfg.device != "cpu" and torch.cuda.is_available() else "cpu")
    x = extract(net, eval_image_batches(cfg, images), device)
    write_atomic(path, lambda tmp: torch.save({"key": key, "features": x}, tmp))
    return x


def cached_domains(cfg: RunConfig, domains: list[DomainData]) -> list[DomainData]:
    """``domains`` with every image-file split replaced by its frozen-backbone features (labels, origins kept)."""
    net = frozen_backbone(cfg)
    weights = weights_hash(net)
    out = []
    for d in domains:
        splits = {
            name: Split(split_features(cfg, net, weights, s.x, f"{d.name}_{name}"), s.y, s.origin) if isinstance(s.x, ImageFiles) else s
            for name, s in d.splits.items()
        }
        out.append(DomainData(d.name, d.num_classes, splits, d.class_names))
    return out
