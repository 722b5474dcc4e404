"""The backbone of a run: vector or image inputs, checked arguments, frozen on request."""

import pytest

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
