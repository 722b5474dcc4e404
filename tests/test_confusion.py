import math

import pytest
import torch
from helpers import step_outputs

from da_bench.losses import StepOutputs
from da_bench.losses.base import domain_bce
from da_bench.registry import LOSSES


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


def test_confusion_gradient_moves_domain_predictions_toward_uniform():
    """Unlike DANN's reversed gradient, confusion descends on the cross-entropy to (1/2, 1/2): a small
    step of the features along its negative gradient brings a discriminator that separates the
    domains closer to 0.5 on both."""
    torch.manual_seed(0)
    loss = LOSSES.get("confusion")(feature_dim=4, num_classes=2, width=8, depth=1, batch_norm=False).eval()  # no dropout
    opt = torch.optim.Adam(loss.adversary_parameters(), lr=0.05)
    g = torch.Generator().manual_seed(0)
    source, target = torch.randn(32, 4, generator=g), torch.randn(32, 4, generator=g) + 2.0
    out = StepOutputs(source, target, torch.zeros(32, 2), torch.zeros(32, 2), torch.zeros(32, dtype=torch.long))
    for _ in range(200):  # train the adversary until it separates the domains
        opt.zero_grad()
        loss.adversary_loss(out).backward()
        opt.step()
    fs, ft = source.clone().requires_grad_(), target.clone().requires_grad_()
    loss(StepOutputs(fs, ft, out.source_logits, out.target_logits, out.source_labels)).backward()

    def distance_from_half(s, t):
        with torch.no_grad():
            return float((torch.sigmoid(loss.discriminator(torch.cat([s, t]))) - 0.5).abs().mean())

    before = distance_from_half(source, target)
    assert before > 0.3
    assert distance_from_half(source - 0.5 * fs.grad * 32, target - 0.5 * ft.grad * 32) < before
