"""Input pipelines declared by the backbone: the kind of image it takes, its input size and its normalisation.

A backbone factory declares its :class:`Pipeline` with ``@takes(...)``; the data module and the classic feature
extractor ask :func:`pipeline_of` (no table keyed by backbone names). A factory that declares nothing takes photos
at 224 with ImageNet normalisation. Photos (image files) follow the published Office recipe (TLlib;
``../shared/reference/recipes.md``): for training resize 256, random resized crop 224 (scale 0.08-1) and horizontal
flip, for evaluation resize 256 and centre crop 224, then ``(x - mean) / std``. Small in-memory digit images are
brought to a digit backbone's side and normalised with its mean and std; under a photo backbone they keep their own
side (or ``image_size``) and ``(x - 0.5) / 0.5``, as before pipelines were declared.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Callable, TypeVar

from da_bench.config import ConfigError, RunConfig
from da_bench.registry import BACKBONES

IMAGENET_MEAN, IMAGENET_STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)
F = TypeVar("F", bound=Callable)


@dataclass(frozen=True)
class Pipeline:
    """What a backbone takes. ``mean`` / ``std``: one value, or one per channel, for pixels in [0, 1]."""

    photos: bool = True  # image files through the resize / crop recipe; False: small in-memory digit images
    size: int | None = 224  # photos: the crop side; digits: the image side (None: the data's own)
    mean: tuple[float, ...] = IMAGENET_MEAN
    std: tuple[float, ...] = IMAGENET_STD
    resize: int = 256  # photos: the shorter side before cropping

    def sized(self, size: int | None) -> "Pipeline":
        """This pipeline at side ``size`` (a config's ``image_size``); photos keep the resize : crop ratio (256 : 224)."""
        if size is None or size == self.size:
            return self
        resize = round(size * self.resize / self.size) if self.photos and self.size else self.resize
        return replace(self, size=size, resize=resize)


PHOTOS = Pipeline()
IN_MEMORY = Pipeline(photos=False, size=None, mean=(0.5,), std=(0.5,))  # in-memory images under a photo backbone


def takes(pipeline: Pipeline) -> Callable[[F], F]:
    """Declare the pipeline of a backbone factory: ``@BACKBONES.register("net")`` above ``@takes(Pipeline(...))``."""

    def declare(factory: F) -> F:
        factory.pipeline = pipeline  # type: ignore[attr-defined]
        return factory

    return declare


def pipeline_of(backbone: str) -> Pipeline:
    return getattr(BACKBONES.get(backbone), "pipeline", PHOTOS)


def digits_pipeline(cfg: RunConfig) -> Pipeline:
    """How in-memory images are sized and normalised for ``cfg.backbone`` (``cfg.image_size`` overrides the side)."""
    declared = pipeline_of(cfg.backbone)
    return (IN_MEMORY if declared.photos else declared).sized(cfg.image_size)


def photo_pipeline(cfg: RunConfig) -> Pipeline:
    """How image files are cropped and normalised for ``cfg.backbone``; a digit network cannot take photos."""
    declared = pipeline_of(cfg.backbone)
    if not declared.photos:
        raise ConfigError(
            f"Backbone '{cfg.backbone}' takes small in-memory digit images, not photographs (image files)"
            "; set backbone to a photo network such as efficientnet_lite0 (ImageNet weights, offline) or resnet50."
        )
    return declared.sized(cfg.image_size)


def photo_transform(p: Pipeline, train: bool) -> Callable:
    """PIL image -> normalised tensor: random resized crop and flip for training, centre crop for evaluation."""
    from torchvision import transforms as T

    crop = [T.RandomResizedCrop(p.size, scale=(0.08, 1.0)), T.RandomHorizontalFlip()] if train else [T.CenterCrop(p.size)]
    return T.Compose([T.Resize(p.resize), *crop, T.ToTensor(), T.Normalize(p.mean, p.std)])
