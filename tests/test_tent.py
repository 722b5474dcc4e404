"""TENT (Wang et al., ICLR 2021) and BN adaptation (Schneider et al., NeurIPS 2020): online predictions with batch
statistics and TENT's entropy step worked by hand, only the batch-norm scales and shifts moving and on a copy, the
trained network (source validation, checkpoint) that of source-only, the shifted-blobs toy, bf16 and resume."""

import statistics
import subprocess
import sys

import pytest
import torch
from test_execute import KILL_AT_STEP
from test_shot import BLOBS

from da_bench.config import from_dict
from da_bench.methods import build_method
from da_bench.runner.execute import execute, run_dir


def tiny(method: str) -> torch.nn.Module:
    """Identity backbone -> Linear + BN + ReLU + dropout 0.5 -> Linear, 4 test samples per online batch."""
    torch.manual_seed(0)
    return build_method(from_dict({**BLOBS, "method": method, "head_hidden": [], "bottleneck_dropout": 0.5, "batch_size": 4}), (2,), 3)


def by_hand(model, x: torch.Tensor, scale: torch.Tensor, shift: torch.Tensor) -> torch.Tensor:
    """Logits with the batch's own mean and biased variance in batch norm, and no dropout."""
    linear, norm, head = model.bottleneck[0], model.bottleneck[1], model.heads["label"][0]
    z = x @ linear.weight.T + linear.bias
    z = (z - z.mean(0)) / torch.sqrt(z.var(0, unbiased=False) + norm.eps) * scale + shift
    return z.clamp_min(0) @ head.weight.T + head.bias


def online_logits(model, x: torch.Tensor) -> torch.Tensor:
    model._split = 1  # as evaluation sets it while predicting the target test split
    try:
        return model.predict(x, "target")[1]
    finally:
        model._split = None


def test_tent_predicts_with_batch_statistics_then_steps_on_the_entropy_of_each_batch():
    model = tiny("tent")
    trained = {k: v.clone() for k, v in model.state_dict().items()}
    x = torch.randn(8, 2, generator=torch.Generator().manual_seed(1))
    norm = model.bottleneck[1]
    scale, shift = norm.weight.detach().clone().requires_grad_(), norm.bias.detach().clone().requires_grad_()
    first = by_hand(model, x[:4], scale, shift)
    p = first.softmax(1)
    (-(p * p.log()).sum(1).mean()).backward()  # Eq. 1, the mean entropy of the first batch
    with torch.no_grad():  # Adam's first step: lr * g / (|g| + eps)
        scale, shift = (v - 1e-3 * v.grad / (v.grad.abs() + 1e-8) for v in (scale, shift))
        second = by_hand(model, x[4:], scale, shift)
    with torch.no_grad():
        torch.testing.assert_close(online_logits(model, x), torch.cat([first.detach(), second]), rtol=1e-4, atol=1e-5)
    assert all(torch.equal(v, model.state_dict()[k]) for k, v in trained.items())  # the trained network is untouched
    online = model._online[1].state_dict()
    moved = {k for k, v in zip(trained, online.values()) if not torch.equal(v, trained[k])}
    assert moved == {"bottleneck.1.weight", "bottleneck.1.bias", "bottleneck.1.running_mean", "bottleneck.1.running_var", "bottleneck.1.num_batches_tracked"}


def test_bn_adapt_predicts_with_batch_statistics_and_no_gradient():
    model = tiny("bn_adapt")
    x = torch.randn(8, 2, generator=torch.Generator().manual_seed(1))
    norm = model.bottleneck[1]
    with torch.no_grad():
        expected = torch.cat([by_hand(model, part, norm.weight, norm.bias) for part in (x[:4], x[4:])])
        torch.testing.assert_close(online_logits(model, x), expected, rtol=1e-4, atol=1e-5)


def test_a_network_without_batch_norm_is_refused_with_the_fix():
    with pytest.raises(ValueError, match="adapts batch-norm layers at test time but this network has none; set bottleneck_dim"):
        build_method(from_dict({**BLOBS, "method": "tent", "bottleneck_dim": 0}), (2,), 3)


def test_test_time_methods_beat_source_only_and_keep_its_trained_network(tmp_path):
    accuracy: dict[str, list[float]] = {}
    for seed in (0, 1, 2):
        runs = {m: from_dict({**BLOBS, "method": m, "seed": seed}) for m in ("source_only", "tent", "bn_adapt")}
        records = {m: execute(cfg, tmp_path) for m, cfg in runs.items()}
        weights = {m: torch.load(run_dir(cfg, tmp_path) / "checkpoints" / "last.ckpt", weights_only=True)["state_dict"] for m, cfg in runs.items()}
        for m in ("tent", "bn_adapt"):  # training is source-only's; evaluation changed nothing of it and scores the source as it
            assert [p["source_val_acc"] for p in records[m]["history"]] == [p["source_val_acc"] for p in records["source_only"]["history"]]
            assert weights[m].keys() == weights["source_only"].keys() and all(torch.equal(v, weights["source_only"][k]) for k, v in weights[m].items())
        for m, record in records.items():
            accuracy.setdefault(m, []).append(record["final"]["target_test_acc"])
    mean = {m: statistics.fmean(accs) for m, accs in accuracy.items()}
    print("shifted blobs, target accuracy over 3 seeds:", {m: round(v, 3) for m, v in mean.items()})
    assert mean["tent"] > mean["source_only"] + 0.05 and mean["bn_adapt"] > mean["source_only"] + 0.05


@pytest.mark.parametrize("method", ["tent", "bn_adapt"])
def test_runs_under_bf16(tmp_path, method):
    record = execute(from_dict({**BLOBS, "method": method, "steps": 20, "eval_every": 10, "precision": "bf16-mixed"}), tmp_path)
    assert record["status"] == "done", record.get("reason")
    assert 0.0 <= record["final"]["target_test_acc"] <= 1.0 and "val_entropy" in record["final"]


def test_tent_killed_between_evaluations_resumes_bit_for_bit(tmp_path):
    config = {**BLOBS, "method": "tent", "steps": 40, "eval_every": 10}
    cfg = from_dict(config)
    whole = execute(cfg, tmp_path / "whole")
    killed = subprocess.run([sys.executable, "-c", KILL_AT_STEP, str(tmp_path / "resumed"), "25", repr(config)], capture_output=True, text=True)
    assert killed.returncode == 9, killed.stderr[-2000:]
    resumed = execute(cfg, tmp_path / "resumed")
    assert resumed["resumed_from_step"] == 20 and resumed["history"] == whole["history"]
