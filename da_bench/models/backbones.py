"""Shared feature extractors, registered by name in :data:`da_bench.registry.BACKBONES`.

Every factory takes ``in_channels`` (or ``in_dim`` for vector inputs) and keyword options,
and returns an ``nn.Module`` with an ``out_dim`` attribute: the width of its feature vector.
"""

from __future__ import annotations

import functools
from pathlib import Path

import torch
from torch import Tensor, nn

from da_bench.data.pipeline import PHOTOS, Pipeline, takes
from da_bench.registry import BACKBONES, UnknownNameError, unknown_name_message

DIGITS_28 = Pipeline(photos=False, size=28, mean=(0.5,), std=(0.5,))  # (x - 0.5) / 0.5 as TLlib's digits recipe


class FeatureExtractor(nn.Module):
    """A feature network and the width of the flat feature vector it returns."""

    def __init__(self, body: nn.Module, out_dim: int) -> None:
        super().__init__()
        self.body = body
        self.out_dim = out_dim

    def forward(self, x: Tensor) -> Tensor:
        return torch.flatten(self.body(x), 1)


def side_after_two_conv5_pool2(image_side: int) -> int:
    """The feature-map side after conv 5x5 (no padding), max-pool 2, conv 5x5, max-pool 2: 28 -> 4, 32 -> 5."""
    side = ((image_side - 4) // 2 - 4) // 2
    if side < 1:
        raise ValueError(f"{image_side}x{image_side} images are too small for two 5x5 convolutions and poolings; use image_size 16 or more.")
    return side


@BACKBONES.register("dann_digits")
@takes(DIGITS_28)
def dann_digits(in_channels: int = 3, image_side: int = 28) -> FeatureExtractor:
    """The DANN paper's MNIST network (Ganin et al., JMLR 2016, Sec. 5.2): conv 5x5/32, pool, conv 5x5/48, pool.

    The paper's label head (FC 100, FC 100) is the method's classifier head (``head_hidden``).
    Input 28x28 gives 48 x 4 x 4 = 768 features, 32x32 (``image_size: 32``) 48 x 5 x 5 = 1,200.
    """
    body = nn.Sequential(
        nn.Conv2d(in_channels, 32, 5),
        nn.ReLU(inplace=True),
        nn.MaxPool2d(2, 2),
        nn.Conv2d(32, 48, 5),
        nn.ReLU(inplace=True),
        nn.MaxPool2d(2, 2),
    )
    return FeatureExtractor(body, 48 * side_after_two_conv5_pool2(image_side) ** 2)


@BACKBONES.register("lenet")
@takes(DIGITS_28)
def lenet(in_channels: int = 1, image_side: int = 28) -> FeatureExtractor:
    """LeNet as in TLlib's digits recipe: conv 5x5/20, pool, conv 5x5/50, dropout, pool, FC 500 (28x28 input)."""
    side = side_after_two_conv5_pool2(image_side)
    body = nn.Sequential(
        nn.Conv2d(in_channels, 20, 5),
        nn.MaxPool2d(2),
        nn.ReLU(inplace=True),
        nn.Conv2d(20, 50, 5),
        nn.Dropout2d(0.5),
        nn.MaxPool2d(2),
        nn.ReLU(inplace=True),
        nn.Flatten(),
        nn.Linear(50 * side * side, 500),
        nn.ReLU(inplace=True),
        nn.Dropout(0.5),
    )
    return FeatureExtractor(body, 500)


@BACKBONES.register("dtn")
@takes(Pipeline(photos=False, size=32, mean=(0.5,), std=(0.5,)))
def dtn(in_channels: int = 3, image_side: int = 32) -> FeatureExtractor:
    """DTN, the SVHN->MNIST network of ADDA/CDAN: 3 x [conv 5x5 stride 2, BN, dropout, ReLU] (64/128/256), FC 512; 32x32 input."""
    side = -(-image_side // 8)  # each padded stride-2 convolution halves the side, rounding up

    def block(cin: int, cout: int, p: float) -> list[nn.Module]:
        return [nn.Conv2d(cin, cout, 5, stride=2, padding=2), nn.BatchNorm2d(cout), nn.Dropout2d(p), nn.ReLU(inplace=True)]

    body = nn.Sequential(
        *block(in_channels, 64, 0.1),
        *block(64, 128, 0.3),
        *block(128, 256, 0.5),
        nn.Flatten(),
        nn.Linear(256 * side * side, 512),
        nn.BatchNorm1d(512),
        nn.ReLU(inplace=True),
        nn.Dropout(0.5),
    )
    return FeatureExtractor(body, 512)


@BACKBONES.register("mlp")
def mlp(in_dim: int, hidden: tuple[int, ...] | list[int] = (256,), dropout: float = 0.0, activation: str = "relu") -> FeatureExtractor:
    """Fully connected extractor for feature-vector domains (SURF, DeCAF, Amazon reviews, the two-moons toy)."""
    activations = {"relu": nn.ReLU, "sigmoid": nn.Sigmoid, "tanh": nn.Tanh}
    if activation not in activations:
        raise UnknownNameError(unknown_name_message("mlp activation", activation, list(activations)))
    act = activations[activation]
    layers: list[nn.Module] = []
    width = in_dim
    for h in hidden:
        layers += [nn.Linear(width, h), act()]
        if dropout:
            layers.append(nn.Dropout(dropout))
        width = h
    return FeatureExtractor(nn.Sequential(*layers), width)


def load_local_checkpoint(model: nn.Module, path: str | Path) -> None:
    """Load a state dict (or a Lightning checkpoint's ``state_dict``) saved on disk, safely (``weights_only=True``)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"Pretrained checkpoint '{path}' does not exist; pass a torchvision weights name or an existing file.")
    state = torch.load(path, map_location="cpu", weights_only=True)
    if isinstance(state, dict) and "state_dict" in state:
        state = state["state_dict"]
    missing, unexpected = model.load_state_dict(state, strict=False)
    if len(missing) == len(model.state_dict()):
        raise ValueError(f"Checkpoint '{path}' shares no parameter names with the backbone; is it for another network?")


def torchvision_weights(arch: str, name: str) -> dict[str, Tensor]:
    """The torchvision weights ``name`` of ``arch``, found in the torch hub cache or downloaded; offline and not cached,
    one sentence naming the file and the folder it belongs in."""
    from urllib.parse import urlparse

    import torchvision

    choices = torchvision.models.get_model_weights(arch)
    if name not in choices.__members__:
        raise UnknownNameError(unknown_name_message(f"{arch} weights", name, [*choices.__members__, "<path to a .pth file>"]))
    weights = choices[name]
    folder = Path(torch.hub.get_dir()) / "checkpoints"
    file = Path(urlparse(weights.url).path).name
    try:
        return weights.get_state_dict(progress=False, check_hash=True)
    except OSError as err:  # URLError and socket errors are OSErrors
        raise FileNotFoundError(
            f"{arch} weights {name} are not in the torchvision cache and could not be downloaded ({err})"
            f"; put '{file}' (from {weights.url}) in '{folder}', or pass pretrained=<path to a local .pth>."
        ) from None


def _resnet(arch: str, pretrained: str | None = None, in_channels: int = 3) -> FeatureExtractor:
    import torchvision

    net = getattr(torchvision.models, arch)(weights=None)
    if pretrained is not None and (Path(pretrained).suffix in {".pt", ".pth", ".ckpt"} or Path(pretrained).exists()):
        load_local_checkpoint(net, pretrained)
    elif pretrained is not None:
        net.load_state_dict(torchvision_weights(arch, pretrained))
    if in_channels != 3:
        net.conv1 = nn.Conv2d(in_channels, 64, 7, 2, 3, bias=False)
    out_dim = net.fc.in_features
    net.fc = nn.Identity()
    return FeatureExtractor(net, out_dim)


for _arch in ("resnet18", "resnet34", "resnet50", "resnet101"):
    BACKBONES.register(_arch, takes(PHOTOS)(functools.partial(_resnet, _arch)))
