import pytest
import torch
from helpers import step_outputs

from da_bench.losses.base import domain_bce
from da_bench.losses.dann import DANNLoss


def test_dann_reverses_gradient_into_features():
    torch.manual_seed(0)
    loss = DANNLoss(16, 4, width=8, depth=1, batch_norm=False, grl_schedule="constant").eval()  # no dropout
    out = step_outputs()
    loss(out).backward()
    # the discriminator's own loss, without reversal: the gradient into the features has the opposite sign
    plain = step_outputs()
    domain_bce(loss.discriminator(plain.source_features), loss.discriminator(plain.target_features)).backward()
    assert torch.allclose(out.source_features.grad, -plain.source_features.grad, atol=1e-6)


def test_reversed_gradient_follows_the_lambda_ramp_but_the_discriminator_trains_at_full_weight():
    loss = DANNLoss(16, 4, width=8, depth=1, batch_norm=False, grl_max=0.5).eval()
    assert loss.grl_coeff(0.0) == 0.0
    assert loss.grl_coeff(1.0) == pytest.approx(0.5 * (2 / (1 + torch.exp(torch.tensor(-10.0)).item()) - 1))
    grads = {}
    for p in (0.0, 1.0):
        loss.zero_grad()
        out = step_outputs(progress=p)
        loss(out).backward()
        grads[p] = (out.source_features.grad.abs().sum().item(), next(loss.discriminator.parameters()).grad.clone())
    assert grads[0.0][0] == 0.0 and grads[1.0][0] > 0  # no gradient into the features at p = 0
    assert torch.allclose(grads[0.0][1], grads[1.0][1])  # the discriminator's update does not depend on lambda


def test_grl_gamma_gives_tllibs_warm_start_ramp_in_iterations():
    # TLlib's WarmStartGradientReverseLayer: 2 / (1 + exp(-i / 1000)) - 1 at iteration i; with 4,000 steps,
    # grl_gamma = 4 and iteration 1,000 is p = 0.25: 2 / (1 + e^-1) - 1 = 0.4621171572600098 (by hand)
    loss = DANNLoss(16, 4, width=8, depth=1, batch_norm=False, grl_gamma=4.0)
    assert loss.grl_coeff(0.25) == pytest.approx(0.4621171572600098, abs=1e-12)
    assert DANNLoss(16, 4, width=8, depth=1).grl_coeff(0.25) == pytest.approx(2 / (1 + 2.718281828459045**-2.5) - 1)  # the paper's 10


def test_discriminator_dropout_reaches_dann_and_cdan():
    from da_bench.losses.cdan import CDANLoss

    for loss in (DANNLoss(16, 4, width=8, depth=1, batch_norm=False, dropout=0.0), CDANLoss(16, 4, width=8, depth=1, batch_norm=False, dropout=0.0)):
        assert not any(isinstance(m, torch.nn.Dropout) for m in loss.discriminator.modules())
    assert [m.p for m in DANNLoss(16, 4, width=8, depth=1, batch_norm=False, dropout=0.25).modules() if isinstance(m, torch.nn.Dropout)] == [0.25]
