"""Plugin for the feature-cache tests: a tiny photo backbone (32 px crops) with batch norm, its weights read from
``pretrained`` (a local state-dict file), and its forward passes counted in ``CALLS``."""

import torch
from torch import Tensor, nn

from da_bench.data.pipeline import Pipeline, takes
from da_bench.models.backbones import FeatureExtractor
from da_bench.registry import BACKBONES

CALLS = [0]


class Counted(FeatureExtractor):
    def forward(self, x: Tensor) -> Tensor:
        CALLS[0] += 1
        return super().forward(x)


@BACKBONES.register("tiny_photo")
@takes(Pipeline(size=32, resize=36, mean=(0.5, 0.5, 0.5), std=(0.25, 0.25, 0.25)))
def tiny_photo(in_channels: int = 3, pretrained: str | None = None) -> FeatureExtractor:
    body = nn.Sequential(nn.Conv2d(in_channels, 8, 5, stride=2), nn.BatchNorm2d(8), nn.ReLU(), nn.AdaptiveAvgPool2d(2))
    net = Counted(body, 32)
    if pretrained:
        net.load_state_dict(torch.load(pretrained, weights_only=True))
    return net
