"""BSP (Chen et al., ICML 2019) against numpy.linalg.svd; its gradient shrinks the top singular value; DANN + BSP
through the CLI, and CDAN + BSP as a spec."""

import numpy as np
import pytest
import torch
from helpers import run_in_process
from test_cli import TOY

from da_bench.cli import main
from da_bench.config import ConfigError, from_dict
from da_bench.losses import StepOutputs
from da_bench.losses.bsp import BSPLoss
from da_bench.methods import loss_terms


def outputs(fs: torch.Tensor, ft: torch.Tensor) -> StepOutputs:
    logits = torch.zeros(len(fs), 2)
    return StepOutputs(fs, ft, logits, logits, torch.zeros(len(fs), dtype=torch.long))


def test_bsp_equals_the_squared_top_singular_values_of_numpy():
    g = torch.Generator().manual_seed(0)
    fs, ft = torch.randn(6, 4, generator=g), torch.randn(6, 4, generator=g) + 1.0
    s, t = np.linalg.svd(fs.double().numpy(), compute_uv=False), np.linalg.svd(ft.double().numpy(), compute_uv=False)
    for k in (1, 2, 4, 9):  # k past the rank penalises every singular value
        assert float(BSPLoss(4, 2, k=k)(outputs(fs, ft))) == pytest.approx(float((s[:k] ** 2).sum() + (t[:k] ** 2).sum()), rel=1e-5)


def test_bsp_by_hand_on_a_diagonal_matrix():
    fs = torch.diag(torch.tensor([3.0, 1.0]))  # singular values 3, 1
    assert float(BSPLoss(2, 2)(outputs(fs, 2 * fs))) == pytest.approx(9 + 36)
    assert float(BSPLoss(2, 2, k=2)(outputs(fs, 2 * fs))) == pytest.approx(10 + 40)


def test_bsp_gradient_shrinks_the_top_singular_value_only():
    fs = torch.diag(torch.tensor([3.0, 1.0])).requires_grad_()
    ft = torch.diag(torch.tensor([2.0, 1.0])).requires_grad_()
    BSPLoss(2, 2)(outputs(fs, ft)).backward()
    # d sigma_1^2 / dF = 2 sigma_1 u_1 v_1^T: only the (0, 0) entry, pushing it down
    assert torch.allclose(fs.grad, torch.tensor([[6.0, 0.0], [0.0, 0.0]])) and torch.allclose(ft.grad, torch.tensor([[4.0, 0.0], [0.0, 0.0]]))


@pytest.mark.parametrize("k", [0, 1.5, True])
def test_bad_k_is_one_sentence(k):
    with pytest.raises(ConfigError, match="k \\(singular values penalised\\) must be a positive integer"):
        BSPLoss(4, 2, k=k)


def test_bsp_specs_and_config_combinations():
    assert [(t.loss, t.weight) for t in loss_terms(from_dict({"method": "dann_bsp"}))] == [("dann", 1.0), ("bsp", 1e-4)]
    assert [(t.loss, t.weight) for t in loss_terms(from_dict({"method": "cdan_bsp"}))] == [("cdan", 1.0), ("bsp", 1e-4)]
    terms = loss_terms(from_dict({"method": "cdan", "losses": {"bsp": {"weight": 1e-4, "k": 2}}}))
    assert [(t.loss, t.weight, t.params) for t in terms] == [("cdan", 1.0, {}), ("bsp", 1e-4, {"k": 2})]


@pytest.mark.slow
def test_dann_bsp_trains_through_the_cli_and_refuses_a_bad_k(tmp_path, capsys):
    record, _ = run_in_process(capsys, tmp_path, *TOY, "method=dann_bsp")
    assert record["status"] == "done"
    assert main(["run", *TOY, "method=dann_bsp", "losses.bsp.k=0", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "must be a positive integer" in err and len(err.strip().splitlines()) == 1
