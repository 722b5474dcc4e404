"""The paired source/target LightningDataModule.

Splits: source train (labeled) and source validation (held out from the source only); target
train (unlabeled: the training step receives target images and nothing else); target test
(labeled, held out, evaluation only). Options: k labeled target samples per class, several
source domains, domain generalisation (target never seen in training), class-balanced source
sampling, endless paired iteration with equal batch sizes, and a seed fixing splits and order.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytorch_lightning as pl
import torch
from torch import Tensor
from torch.utils.data import ConcatDataset, DataLoader

from da_bench.config import RunConfig
from da_bench.data.batches import Batches, PairedBatches, images_only
from da_bench.data.checks import check_inputs, check_k_shot, check_label_spaces, drops_target_test_origins, input_kind
from da_bench.data.domains import DomainData, Split, load_domain
from da_bench.data.feature_cache import cached_domains, caches_features
from da_bench.data.images import Transformed
from da_bench.data.pipeline import digits_pipeline, photo_pipeline, photo_transform

EVAL_CHUNK = 512


def split_indices(n: int, fraction: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """A seeded (1 - fraction, fraction) split of range(n)."""
    perm = rng.permutation(n)
    k = max(1, int(round(n * fraction)))
    return np.sort(perm[k:]), np.sort(perm[:k])


def concat_splits(splits: list[Split]) -> Split:
    if len(splits) == 1:
        return splits[0]
    y = torch.cat([s.y for s in splits])
    # origins travel with their samples (the leak rule matches them); unknown if any part lacks them
    origin = np.concatenate([s.origin for s in splits]) if all(s.origin is not None for s in splits) else None
    if all(s.in_memory for s in splits):
        return Split(torch.cat([s.x for s in splits]), y, origin)  # type: ignore[misc]
    return Split(ConcatDataset([s.x for s in splits]), y, origin)  # type: ignore[misc]


def channel_values(values: tuple[float, ...]) -> Tensor:
    """A per-channel constant (one value, or one per channel) shaped to broadcast over (n, c, h, w) images."""
    return torch.tensor(values, dtype=torch.float32).view(1, -1, 1, 1)


def harmonise(x: Tensor, channels: int, size: int | None, fit: str = "resize", mean: tuple[float, ...] = (0.5,), std: tuple[float, ...] = (0.5,)) -> Tensor:
    """Digit images to a common channel count (grey replicated) and size, then (x - mean) / std (the backbone's
    pipeline, :mod:`da_bench.data.pipeline`; (x - 0.5) / 0.5 unless it declares another).

    ``fit="resize"`` rescales (bilinear); ``fit="center"`` keeps the pixel scale, cropping the centre of a larger
    image or padding a smaller one with black: MNIST-M 32x32 cropped to 28x28 puts each stroke where it lies in the
    MNIST digit it was made from (MNIST-M pads MNIST by 2 pixels)."""
    if x.ndim != 4:
        return x
    if x.shape[1] == 1 and channels == 3:
        x = x.expand(-1, 3, -1, -1)
    if size is not None and x.shape[-1] != size and fit == "center":
        lo = (x.shape[-1] - size) // 2
        x = x[..., lo : lo + size, lo : lo + size] if lo >= 0 else torch.nn.functional.pad(x, (-lo, size - x.shape[-1] + lo) * 2)
    elif size is not None and x.shape[-1] != size:
        x = torch.nn.functional.interpolate(x, size=(size, size), mode="bilinear", align_corners=False)
    return ((x - channel_values(mean)) / channel_values(std)).contiguous()


class PairedDataModule(pl.LightningDataModule):
    def __init__(self, cfg: RunConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.splits: dict[str, Split] = {}
        self.num_classes = 0
        self.input_shape: tuple[int, ...] = ()
        self.eval_roles: list[str] = []
        self.features_cached = False  # image files replaced by a frozen backbone's cached features
        self._device_splits: dict[str, Split] = {}

    # ----- set-up ----------------------------------------------------------------------------
    @property
    def source_names(self) -> list[str]:
        return [self.cfg.source] if isinstance(self.cfg.source, str) else list(self.cfg.source)

    def setup(self, stage: str | None = None) -> None:
        if self.splits:
            return
        cfg = self.cfg
        drops = [drops_target_test_origins(name, cfg.target) if cfg.target else False for name in self.source_names]  # or refuses
        rng = np.random.default_rng(cfg.seed)
        sources = [load_domain(name, cfg.data_root) for name in self.source_names]
        target = load_domain(cfg.target, cfg.data_root) if cfg.target else None
        domains = sources + ([target] if target else [])
        check_label_spaces(domains)
        check_inputs(domains)
        if caches_features(cfg) and input_kind(domains[0]) == "image files":
            domains = cached_domains(cfg, domains)
            sources, target = domains[: len(sources)], (domains[-1] if target else None)
            self.features_cached = True
        self.num_classes = sources[0].num_classes
        if target is not None:
            self._split_target(target, rng)
        train_parts, val_parts = [], []
        for domain, drop in zip(sources, drops):
            pool = domain.splits.get("train") or domain.splits.get("all") or next(iter(domain.splits.values()))
            if drop:
                pool = self._without_target_test_origins(pool)
            train_idx, val_idx = split_indices(len(pool), cfg.val_fraction, rng)
            train_parts.append(pool.subset(train_idx))
            val_parts.append(pool.subset(val_idx))
        self.splits["source_train"], self.splits["source_val"] = concat_splits(train_parts), concat_splits(val_parts)
        self._prepare_tensors()
        self.eval_roles = ["source_val"] + (["target_test"] if target else []) + (["target_unlabeled"] if cfg.mode == "uda" else [])

    def _split_target(self, target: DomainData, rng: np.random.Generator) -> None:
        cfg = self.cfg
        if cfg.mode == "dg":
            self.splits["target_test"] = concat_splits(list(target.splits.values()))
            return
        if "train" in target.splits and "test" in target.splits:
            unlabeled, test = target.splits["train"], target.splits["test"]
        else:
            pool = target.splits.get("all") or next(iter(target.splits.values()))
            train_idx, test_idx = split_indices(len(pool), cfg.target_test_fraction, rng)
            unlabeled, test = pool.subset(train_idx), pool.subset(test_idx)
        self.splits["target_unlabeled"], self.splits["target_test"] = unlabeled, test
        if cfg.k_shot:
            check_k_shot(unlabeled.y, cfg.k_shot, target)
            picks = [np.flatnonzero(unlabeled.y.numpy() == c) for c in range(target.num_classes)]
            shots = np.concatenate([rng.permutation(p)[: cfg.k_shot] for p in picks])
            self.splits["target_labeled"] = unlabeled.subset(np.sort(shots))

    def _without_target_test_origins(self, pool: Split) -> Split:
        """Drop source samples that are the origin of a target test sample (MNIST -> MNIST-M on the MNIST test set;
        which pairs this applies to: :mod:`da_bench.data.checks`)."""
        keep = np.flatnonzero(~np.isin(pool.origin, self.splits["target_test"].origin))
        return pool.subset(keep)

    def _prepare_tensors(self) -> None:
        first = self.splits["source_train"].x
        if isinstance(first, Tensor) and first.ndim == 2:
            self.input_shape = (first.shape[1],)
            return
        if not isinstance(first, Tensor):
            self._wrap_image_datasets()
            return
        channels = max(s.x.shape[1] for s in self.splits.values() if isinstance(s.x, Tensor))
        pipeline = digits_pipeline(self.cfg)
        for split in self.splits.values():
            split.x = harmonise(split.x, channels, pipeline.size, self.cfg.image_fit, pipeline.mean, pipeline.std)  # type: ignore[arg-type]
        # (scale, mean over): back to [0, 1] or kept at the pipeline's scale; one mean per channel, or per pixel and channel
        subtractions = {"source_mean": (pipeline.std, (0, 2, 3)), "half_source_mean": ((1.0,), (0, 2, 3)), "source_mean_image": (pipeline.std, (0,))}
        if self.cfg.pixel_norm in subtractions:
            self._subtract_source_mean(*subtractions[self.cfg.pixel_norm])
        self.input_shape = tuple(self.splits["source_train"].x.shape[1:])  # type: ignore[union-attr]

    def _subtract_source_mean(self, scale: tuple[float, ...], over: tuple[int, ...]) -> None:
        """The DANN paper's "mean subtraction" (JMLR 2016, Sec. 5.2): the mean of the source training images subtracted
        from every split (target and test splits included), the same shift for all; ``over`` (0, 2, 3) takes one mean
        per channel, (0,) a mean image (per pixel and channel, as Caffe's mean file). The pipeline gave
        z = (x - m) / s; ``scale = s`` leaves x - mean x (pixels in [0, 1]), ``scale = 1`` leaves (x - mean x) / s
        (pixels at the pipeline's scale, [-1, 1] wide for (x - 0.5) / 0.5)."""
        z_mean = self.splits["source_train"].x.mean(dim=over, keepdim=True)  # type: ignore[union-attr]
        for split in self.splits.values():
            split.x = ((split.x - z_mean) * channel_values(scale)).contiguous()

    def _wrap_image_datasets(self) -> None:
        pipeline = photo_pipeline(self.cfg)
        train, test = photo_transform(pipeline, train=True), photo_transform(pipeline, train=False)
        for name, split in self.splits.items():
            split.x = Transformed(split.x, train if name in ("source_train", "target_labeled") else test)
        # unlabeled target: augmented for training, centre-cropped for validators
        base = self.splits["target_unlabeled"].x.base if "target_unlabeled" in self.splits else None  # type: ignore[union-attr]
        if base is not None:
            self.splits["target_unlabeled_train"] = Split(Transformed(base, train), self.splits["target_unlabeled"].y)
        self.input_shape = (3, pipeline.size, pipeline.size)

    # ----- loaders ---------------------------------------------------------------------------
    def _on_device(self, name: str) -> Split:
        """In-memory splits live on the training device, so a step never waits on a loader."""
        split = self.splits[name]
        device = self.trainer.strategy.root_device if self.trainer is not None else torch.device("cpu")
        if not split.in_memory or device.type == "cpu":
            return split
        if name not in self._device_splits:
            self._device_splits[name] = Split(split.x.to(device), split.y.to(device), split.origin)  # type: ignore[union-attr]
        return self._device_splits[name]

    def train_dataloader(self) -> "PairedBatches":
        return PairedBatches(self)

    def val_dataloader(self) -> list[Any]:
        loaders = []
        for role in self.eval_roles:
            split = self._on_device(role)
            if role == "target_unlabeled":
                n = min(len(split), self.cfg.validator_samples)
                idx = np.sort(np.random.default_rng(self.cfg.seed).permutation(len(split))[:n])
                split = split.subset(idx)
            loaders.append(self.eval_batches(split, with_labels=role != "target_unlabeled"))
        return loaders

    def target_images(self) -> Any:
        """The whole unlabeled target split in evaluation batches, images only and without augmentation (what SHOT
        clusters); its labels stay here."""
        return self.eval_batches(self._on_device("target_unlabeled"), with_labels=False)

    def eval_batches(self, split: Split, with_labels: bool) -> Any:
        if split.in_memory:
            x: Tensor = split.x  # type: ignore[assignment]
            return Batches(
                [(x[i : i + EVAL_CHUNK], split.y[i : i + EVAL_CHUNK]) if with_labels else x[i : i + EVAL_CHUNK] for i in range(0, len(split), EVAL_CHUNK)]
            )
        loader = DataLoader(split.x, batch_size=self.cfg.batch_size * 2, num_workers=self.cfg.num_workers, pin_memory=torch.cuda.is_available())
        return loader if with_labels else images_only(loader)
