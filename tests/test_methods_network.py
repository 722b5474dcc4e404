"""The backbone of a run: vector or image inputs, checked arguments, frozen on request."""

import pytest
import torch

from da_bench.config import from_dict
from da_bench.methods import backbone_arguments
from da_bench.methods.network import build_backbone
from da_bench.registry import UnknownNameError


def test_vector_and_image_inputs():
    mlp = build_backbone(from_dict({"backbone": "mlp", "backbone_args": {"hidden": [7]}}), (2,))
    assert mlp.body[0].in_features == 2 and mlp.out_dim == 7
    lenet = build_backbone(from_dict({"backbone": "lenet"}), (3, 28, 28))
    first_conv = next(m for m in lenet.modules() if hasattr(m, "in_channels"))
    assert first_conv.in_channels == 3


def test_freeze_and_argument_checks():
    frozen = build_backbone(from_dict({"backbone": "mlp", "freeze_backbone": True}), (2,))
    assert not any(p.requires_grad for p in frozen.parameters())
    with pytest.raises(UnknownNameError, match="Did you mean 'hidden'"):
        backbone_arguments(from_dict({"backbone": "mlp", "backbone_args": {"hiden": [3]}}))


def test_image_networks_take_the_side_of_the_images_they_get():
    """A 32x32 run (``image_size: 32``) used to crash in the first step: the DANN digits network's 768-wide flatten was
    fixed for 28x28 images (a 32x32 map flattens to 48 x 5 x 5 = 1,200)."""
    net = build_backbone(from_dict({"backbone": "dann_digits"}), (3, 32, 32))
    assert net.out_dim == 1200
    assert net(torch.zeros(2, 3, 32, 32)).shape == (2, 1200)
    assert build_backbone(from_dict({"backbone": "dann_digits"}), (3, 28, 28)).out_dim == 768


def test_image_side_is_not_a_user_argument():
    with pytest.raises(UnknownNameError, match="image_side"):
        backbone_arguments(from_dict({"backbone": "dann_digits", "backbone_args": {"image_side": 32}}))
