import math

import pytest
import torch

from da_bench.losses.base import domain_bce
from da_bench.registry import LOSSES
from helpers import step_outputs


def test_confusion_adversary_loss_does_not_touch_features():
    loss = LOSSES.get("confusion")(feature_dim=16, num_classes=4)
    out = step_outputs()
    loss.adversary_loss(out).backward()
    assert out.source_features.grad is None
    assert all(p.grad is not None for p in loss.adversary_parameters())


def test_confusion_is_minimal_at_uniform_prediction():
    zero = torch.zeros(4)
    assert float(domain_bce(zero, zero, target_value=0.5)) == pytest.approx(math.log(2))
    assert float(domain_bce(zero + 3, zero - 3, target_value=0.5)) > math.log(2)
