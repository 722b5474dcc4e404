"""AFN, stepwise adaptive feature norm (Xu et al., ICCV 2019): the value and gradient worked by hand, a step that
enlarges every norm by about delta_r, and the method through the CLI."""

import pytest
import torch
from helpers import methods_listing, run_in_process
from test_cli import TOY

from da_bench.config import ConfigError
from da_bench.losses import StepOutputs
from da_bench.losses.afn import AFNLoss


def outputs(fs: torch.Tensor, ft: torch.Tensor) -> StepOutputs:
    logits = torch.zeros(len(fs), 2)
    return StepOutputs(fs, ft, logits, logits, torch.zeros(len(fs), dtype=torch.long))


def test_afn_value_and_gradient_by_hand():
    fs = torch.tensor([[3.0, 4.0], [0.0, 2.0]], requires_grad=True)  # norms 5 and 2
    ft = torch.tensor([[1.0, 0.0], [0.0, 0.5], [0.6, 0.8]], requires_grad=True)
    loss = AFNLoss(2, 2, delta_r=0.5)(outputs(fs, ft))
    assert float(loss) == pytest.approx(2 * 0.5**2)  # each domain: mean of (||f|| - ||f|| - delta_r)^2
    loss.backward()
    # d/df_i of (||f_i|| - r_i)^2 / n = -2 delta_r f_i / (n ||f_i||): along f_i, outwards (a descent step grows the norm)
    assert torch.allclose(fs.grad, -2 * 0.5 / 2 * torch.tensor([[0.6, 0.8], [0.0, 1.0]]))
    assert torch.allclose(ft.grad, -2 * 0.5 / 3 * torch.tensor([[1.0, 0.0], [0.0, 1.0], [0.6, 0.8]]))


def test_a_descent_step_enlarges_each_norm():
    fs = torch.randn(8, 5, generator=torch.Generator().manual_seed(0), requires_grad=True)
    AFNLoss(5, 2)(outputs(fs, fs.detach().clone().requires_grad_())).backward()
    grown = (fs - 8 / 2 * fs.grad).norm(dim=1) - fs.norm(dim=1)  # lr = n / 2: each norm grows by delta_r = 1
    assert torch.allclose(grown, torch.ones(8), atol=1e-5)


def test_bad_delta_r_is_one_sentence():
    with pytest.raises(ConfigError, match="delta_r \\(the norm step\\) must be positive"):
        AFNLoss(4, 2, delta_r=0.0)


@pytest.mark.slow
def test_afn_trains_through_the_cli(tmp_path, capsys):
    record, _ = run_in_process(capsys, tmp_path, *TOY, "method=afn")
    assert record["status"] == "done" and [p["step"] for p in record["history"]] == [20, 40]
    assert "afn" in methods_listing(capsys)
