"""MDD (Zhang et al., ICML 2019): the loss worked by hand, the reversed and scaled gradient into the features, the
adversary's step raising the discrepancy, config losses added to it, and a CLI run."""

import math

import pytest
import torch
from helpers import methods_listing, run_in_process, step_outputs
from test_cli import TOY

from da_bench.config import from_dict
from da_bench.methods import build_method
from da_bench.methods.mdd import MDD, mdd_loss
from da_bench.schedules import dann_ramp

CFG = {"method": "mdd", "source": "moons", "target": "moons_rot35", "backbone": "mlp", "head_hidden": []}


def test_mdd_loss_by_hand():
    # source: f says class 0, f' gives it 0.75; target: f says class 1, f' gives it 0.4
    logits_s, adversary_s = torch.tensor([[2.0, 0.0]]), torch.log(torch.tensor([[0.75, 0.25]]))
    logits_t, adversary_t = torch.tensor([[0.0, 1.0]]), torch.log(torch.tensor([[0.6, 0.4]]))
    expected = 4 * -math.log(0.75) - math.log(1 - 0.4)
    assert float(mdd_loss(logits_s, adversary_s, logits_t, adversary_t, margin=4.0)) == pytest.approx(expected, rel=1e-5)


def test_features_get_the_reversed_scaled_gradient_and_the_adversary_raises_mdd():
    torch.manual_seed(0)
    model = build_method(from_dict(CFG), (2,), 2)
    assert isinstance(model, MDD) and model.heads["adversary"][0].weight.shape == model.heads["label"][0].weight.shape
    out, plain = step_outputs(features=model.feature_dim, classes=2), step_outputs(features=model.feature_dim, classes=2)
    loss = model.adaptation_loss(out)
    loss.backward()
    adversary = model.heads["adversary"]
    reference = mdd_loss(plain.source_logits, adversary(plain.source_features), plain.target_logits, adversary(plain.target_features), 4.0)
    assert float(loss) == pytest.approx(float(reference), rel=1e-6)
    coeff = 0.1 * dann_ramp(0.5, gamma=1000 / 1000)  # progress 0.5 of the default 1000 steps: batch 500 of TLlib's warm start
    assert model.grl_coeff(0.5) == pytest.approx(coeff)
    adversary.zero_grad()
    reference.backward()
    assert torch.allclose(out.source_features.grad, -coeff * plain.source_features.grad, atol=1e-6)
    assert out.source_logits.grad is None and out.target_logits.grad is None  # f enters through its argmax labels only
    with torch.no_grad():  # a descent step of the adversary lowers -MDD: it finds a larger discrepancy
        for p in adversary.parameters():
            p -= 0.1 * p.grad
    after = mdd_loss(plain.source_logits, adversary(plain.source_features), plain.target_logits, adversary(plain.target_features), 4.0)
    assert float(after) < float(reference)


def test_config_losses_add_to_mdd():
    model = build_method(from_dict({**CFG, "losses": {"mcc": {"weight": 1.0}}}), (2,), 2)
    out = step_outputs(features=model.feature_dim, classes=2)
    alone = build_method(from_dict(CFG), (2,), 2)
    alone.load_state_dict(model.state_dict())
    assert float(model.adaptation_loss(out)) == pytest.approx(float(alone.adaptation_loss(out)) + float(model.adaptation["mcc"](out)), rel=1e-6)


@pytest.mark.slow
def test_mdd_trains_through_the_cli(tmp_path, capsys):
    record, _ = run_in_process(capsys, tmp_path, *TOY, "method=mdd")
    assert record["status"] == "done" and [p["step"] for p in record["history"]] == [20, 40]
    assert "mdd" in methods_listing(capsys)
