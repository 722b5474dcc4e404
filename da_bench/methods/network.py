"""The feature extractor of a deep method: the registered backbone built with the config's checked arguments, or a
pass-through where the data module hands it the backbone's cached features (:mod:`da_bench.data.feature_cache`)."""

from __future__ import annotations

import inspect
from typing import Any

from torch import Tensor, nn

from da_bench.arguments import check_arguments
from da_bench.config import RunConfig
from da_bench.data.feature_cache import caches_features
from da_bench.registry import BACKBONES


def backbone_arguments(cfg: RunConfig) -> dict[str, Any]:
    """The backbone's keyword arguments (``backbone_args``, plus ``pretrained`` when set), checked
    against its factory's signature: a misspelt or unsupported option fails before anything runs."""
    args = {**cfg.backbone_args, **({"pretrained": cfg.pretrained} if cfg.pretrained is not None else {})}
    check_arguments(f"argument of backbone '{cfg.backbone}'", "backbone_args", BACKBONES.get(cfg.backbone), args)
    return args


class CachedFeatures(nn.Module):
    """The backbone of a run on cached frozen features: returns its input, ``out_dim`` wide; no parameters."""

    def __init__(self, out_dim: int) -> None:
        super().__init__()
        self.out_dim = out_dim

    def forward(self, x: Tensor) -> Tensor:
        return x


def build_backbone(cfg: RunConfig, input_shape: tuple[int, ...]) -> nn.Module:
    """The backbone for inputs of ``input_shape`` (a vector: ``in_dim``; an image: ``in_channels``, and ``image_side`` where
    the factory takes it), frozen on request;
    vectors under a frozen photo backbone with ``feature_cache`` are its cached features, passed through."""
    if len(input_shape) == 1 and caches_features(cfg):
        return CachedFeatures(input_shape[0])
    factory = BACKBONES.get(cfg.backbone)
    shape_args = {"in_dim": input_shape[0]} if len(input_shape) == 1 else {"in_channels": input_shape[0]}
    if len(input_shape) == 3 and "image_side" in inspect.signature(factory).parameters:
        shape_args["image_side"] = input_shape[-1]  # a network with a fixed-size flatten is built for the images' side
    net = factory(**shape_args, **backbone_arguments(cfg))
    if cfg.freeze_backbone:
        net.requires_grad_(False)
    return net
