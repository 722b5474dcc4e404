"""MCC (Jin et al., ECCV 2020) against a value worked by hand and a NumPy loop over the examples; its gradient; CDAN + MCC
as one config key, trained through the CLI."""

import csv

import numpy as np
import pytest
import torch
from helpers import methods_listing, run_in_process, step_outputs
from test_cli import TOY

from da_bench.config import ConfigError, from_dict
from da_bench.losses import StepOutputs
from da_bench.losses.mcc import MCCLoss
from da_bench.methods import loss_terms
from da_bench.runner.execute import metrics_csv


def mcc_of(logits: torch.Tensor, temperature: float = 2.5) -> float:
    z = torch.zeros(len(logits), 3)
    return float(MCCLoss(3, logits.shape[1], temperature)(StepOutputs(z, z, logits, logits, torch.zeros(len(logits)))))


def numpy_mcc(z: np.ndarray, temperature: float) -> float:
    """The paper's steps one example at a time: C = sum_i W_ii y_i y_i^T, rows normalised, off-diagonal mass / |C|."""
    y = np.exp(z / temperature)
    y /= y.sum(1, keepdims=True)
    w = np.array([1 + np.exp(sum(p * np.log(p) for p in row)) for row in y])
    w = len(w) * w / w.sum()
    c = sum(w_i * np.outer(y_i, y_i) for w_i, y_i in zip(w, y))
    c = c / c.sum(1, keepdims=True)
    return float((c.sum() - np.trace(c)) / len(c))


def test_mcc_by_hand_on_two_mirrored_examples():
    # y_1 = (0.8, 0.2), y_2 = (0.2, 0.8): equal entropies, so W = I; C = [[0.68, 0.32], [0.32, 0.68]], rows sum to 1
    logits = torch.log(torch.tensor([[0.8, 0.2], [0.2, 0.8]]))
    assert mcc_of(logits, temperature=1.0) == pytest.approx(0.32, abs=1e-6)


def test_mcc_closed_forms_and_numpy_reference():
    assert mcc_of(torch.zeros(5, 4)) == pytest.approx(3 / 4)  # uniform predictions: C~ = 1/|C| everywhere
    assert mcc_of(100 * torch.eye(4)) == pytest.approx(0.0, abs=1e-6)  # confident and distinct: no confusion
    z = torch.randn(7, 5, generator=torch.Generator().manual_seed(0)) * 3
    for temperature in (1.0, 2.5):
        assert mcc_of(z, temperature) == pytest.approx(numpy_mcc(z.double().numpy(), temperature), rel=1e-5)


def test_mcc_reads_only_the_target_logits_and_a_step_lowers_it():
    out = step_outputs()
    loss = MCCLoss(16, 4)(out)
    loss.backward()
    assert out.source_logits.grad is None and out.target_features.grad is None and out.target_logits.grad.abs().sum() > 0
    with torch.no_grad():
        lower = out.target_logits - 1.0 * out.target_logits.grad
    assert mcc_of(lower.detach()) < float(loss)


def test_bad_temperature_is_one_sentence():
    with pytest.raises(ConfigError, match="temperature must be positive"):
        MCCLoss(16, 4, temperature=0.0)


@pytest.mark.slow
def test_mcc_alone_and_cdan_plus_mcc_train_through_the_cli(tmp_path, capsys):
    combined = ["method=cdan", "losses.mcc.weight=1.0", "steps=50", "eval_every=25"]  # the metrics CSV gets batch 50's losses
    assert [(t.loss, t.weight) for t in loss_terms(from_dict({"method": "cdan", "losses": {"mcc": {"weight": 1.0}}}))] == [("cdan", 1.0), ("mcc", 1.0)]
    for method in (["method=mcc"], combined):
        record, folder = run_in_process(capsys, tmp_path, *TOY, *method)
        assert record["status"] == "done"
    assert record["config"]["losses"] == {"mcc": {"weight": 1.0}} and [p["step"] for p in record["history"]] == [25, 50]
    rows = [r for r in csv.DictReader(metrics_csv(folder).open()) if r.get("train/mcc")]
    assert rows and rows[-1]["train/cdan"] and 0.0 <= float(rows[-1]["train/mcc"]) <= 1.0
    assert "mcc" in methods_listing(capsys)
