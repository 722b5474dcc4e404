"""The loss interface (da_bench/losses/base.py) over every registered loss: finite values and gradients
under bf16 autocast on CPU, and the shared domain BCE."""
import math

import pytest
import torch

from da_bench.losses import AdaptationLoss
from da_bench.losses.base import domain_bce
from da_bench.registry import LOSSES
from helpers import step_outputs


@pytest.mark.parametrize("name", LOSSES.names())
def test_every_loss_finite_under_bf16_autocast(name):
    loss = LOSSES.get(name)(feature_dim=16, num_classes=4)
    out = step_outputs()
    with torch.autocast("cpu", dtype=torch.bfloat16):
        value = loss(out)
    assert value.ndim == 0 and torch.isfinite(value)
    value.float().backward()
    inputs = (out.source_features, out.target_features, out.source_logits, out.target_logits)
    grads = [t.grad for t in inputs if t.grad is not None]
    assert grads, f"{name} gives no gradient to the network outputs"
    assert all(torch.isfinite(g).all() for g in grads)


def test_domain_bce_labels_source_one_target_zero():
    big = torch.full((4,), 20.0)
    assert float(domain_bce(big, -big)) < 1e-6  # confident and right
    assert float(domain_bce(-big, big)) > 10  # confident and wrong
    zero = torch.zeros(4)
    assert float(domain_bce(zero, zero)) == pytest.approx(math.log(2))


def test_unknown_hyperparameter_is_refused():
    with pytest.raises(TypeError, match="takes no hyperparameters"):
        AdaptationLoss(16, 4, bandwidth=2.0)
