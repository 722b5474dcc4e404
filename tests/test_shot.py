"""SHOT (Liang et al., ICML 2020): its losses and centroid pseudo-labels worked by hand, the source stage and the
source-free stage on the parts the paper names (the source batch never read in stage 2), the staged record and its
selection, the shifted-blobs toy against source-only, bf16, resume after a kill, and a CLI run."""

import math
import statistics
import subprocess
import sys

import pytest
import torch
from helpers import run_in_process
from test_execute import KILL_AT_STEP

from da_bench.config import from_dict
from da_bench.methods import Inputs, build_method
from da_bench.methods.shot import SHOT, cluster_centroids, information_maximisation, nearest_centroid
from da_bench.runner.execute import execute, run_dir
from da_bench.selection import select_point

# three Gaussian blobs, the target rotated, scaled and moved; batch norm right after the first linear layer
BLOBS = {
    "source": "blobs",
    "target": "blobs_shift",
    "backbone": "mlp",
    "backbone_args": {"hidden": []},
    "bottleneck_dim": 16,
    "bottleneck_dropout": 0.0,
    "head_hidden": [16],
    "batch_size": 32,
    "steps": 400,
    "eval_every": 200,
    "lr": 0.1,
    "momentum": 0.9,
    "lr_anneal": False,
    "validator_samples": 50,
    "threads": 1,
}


def toy_accuracy(method: str, out) -> float:
    """Mean final target test accuracy on the shifted-blobs toy over 3 seeds."""
    return statistics.fmean(execute(from_dict({**BLOBS, "method": method, "seed": s}), out)["final"]["target_test_acc"] for s in (0, 1, 2))


def test_information_maximisation_by_hand():
    logits = torch.log(torch.tensor([[0.8, 0.2], [0.2, 0.8]]))
    entropy = -(0.8 * math.log(0.8) + 0.2 * math.log(0.2))  # each sample's; the mean prediction is (0.5, 0.5)
    assert float(information_maximisation(logits)) == pytest.approx(entropy - math.log(2), abs=1e-6)


def test_centroid_pseudo_labels_by_hand():
    features = torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 0.8]])
    probs = torch.tensor([[1.0, 0.0], [0.0, 1.0], [0.2, 0.8]])
    # Eq. 4: c0 = (1, 0.1333), c1 = (0.8, 1.64) / 1.8; the third point's cosine is 0.857 to c0 and 0.904 to c1: labels 0, 1, 1
    # Eq. 6: the centroids of those labels
    centroids = cluster_centroids(features, probs)
    torch.testing.assert_close(centroids, torch.tensor([[1.0, 0.0], [0.5, 0.9]]))
    # cosine, not Euclidean: (0.0848, 0.053), at 32 degrees, is nearer (1, 0) in distance (0.917 vs 0.943) but nearer
    # (0.5, 0.9), at 60.9 degrees, in angle (28.9 vs 32 degrees)
    assert nearest_centroid(torch.tensor([[1.0, 0.3], [0.1, 0.15], [0.0848, 0.053]]), centroids).tolist() == [0, 1, 1]


def one_batch(model, batches_done: int, monkeypatch, inputs):
    """Run ``update`` on ``inputs`` as the batch after ``batches_done``; returns its scalars and the moved parts."""
    monkeypatch.setattr(SHOT, "steps_done", property(lambda self: batches_done))
    opts = model.configure_optimizers()[0]
    model.optimizers = lambda: opts
    model.manual_backward = lambda loss: loss.backward()
    parts = {"extractor": [*model.backbone.parameters(), *model.bottleneck.parameters()], "head": [*model.heads.parameters()]}
    before = {name: [p.detach().clone() for p in params] for name, params in parts.items()}
    scalars = model.update(inputs)
    moved = {name for name, params in parts.items() if any(not torch.equal(p, q) for p, q in zip(params, before[name]))}
    return scalars, moved


def test_source_stage_uses_label_smoothing_and_trains_everything(monkeypatch):
    torch.manual_seed(0)
    model = build_method(from_dict({**BLOBS, "method": "shot", "steps": 10, "eval_every": 5}), (2,), 3).train()
    g = torch.Generator().manual_seed(1)
    inputs = Inputs(torch.randn(8, 2, generator=g), torch.arange(8) % 3, torch.full((8, 2), float("nan")))  # the target must stay unread
    with torch.no_grad():
        p = model.heads["label"](model.features(inputs.source)).softmax(1)
    # Eq. 1: q = 0.9 one-hot + 0.1 / 3
    expected = -sum(((0.9 if k == y else 0.0) + 0.1 / 3) * math.log(p[i, k]) for i, y in enumerate(inputs.source_labels.tolist()) for k in range(3)) / 8
    scalars, moved = one_batch(model, 4, monkeypatch, inputs)  # batch 5 of 10: the last source batch
    assert float(scalars["loss"]) == pytest.approx(expected, rel=1e-5) and moved == {"extractor", "head"}


def test_target_stage_never_reads_the_source_and_keeps_the_hypothesis(monkeypatch):
    torch.manual_seed(0)
    model = build_method(from_dict({**BLOBS, "method": "shot", "steps": 10, "eval_every": 5}), (2,), 3).train()
    model.cluster_every = 100  # batch 7 is no clustering batch: the centroids are those set here
    model.centroids.copy_(torch.tensor([[1.0] * 16, [-1.0] * 16, [1.0, -1.0] * 8]))
    g = torch.Generator().manual_seed(1)
    inputs = Inputs(torch.full((8, 2), float("nan")), torch.zeros(8, dtype=torch.long), torch.randn(8, 2, generator=g) + 3.0)
    seen: list[torch.Tensor] = []
    model.backbone.register_forward_hook(lambda _m, inp, _out: seen.append(inp[0]))
    scalars, moved = one_batch(model, 6, monkeypatch, inputs)  # batch 7 of 10: source stage is batches 1-5
    assert len(seen) == 1 and torch.equal(seen[0], inputs.target)  # one forward pass, of the target batch alone
    assert moved == {"extractor"} and math.isfinite(float(scalars["loss"]))
    assert float(scalars["loss"]) == pytest.approx(float(scalars["im"]) + 0.3 * float(scalars["pseudo_ce"]))


def test_selection_picks_among_the_adapted_points():
    history = [{"step": 1, "stage": "source", "source_val_acc": 0.99, "target_test_acc": 0.5}]
    history += [{"step": 2, "stage": "adapted", "source_val_acc": 0.7, "target_test_acc": 0.9}, {"step": 3, "stage": "adapted", "source_val_acc": 0.6}]
    assert select_point(history, "source-val")["step"] == 2 and select_point(history[:1], "source-val")["step"] == 1


def test_shot_beats_source_only_on_shifted_blobs(tmp_path):
    source_only, shot = toy_accuracy("source_only", tmp_path), toy_accuracy("shot", tmp_path)
    print(f"shifted blobs, target accuracy over 3 seeds: source_only {source_only:.3f}, shot {shot:.3f}")
    assert shot > source_only + 0.05


def test_shot_runs_under_bf16_and_records_both_stages(tmp_path):
    record = execute(from_dict({**BLOBS, "method": "shot", "steps": 20, "eval_every": 5, "precision": "bf16-mixed"}), tmp_path)
    assert record["status"] == "done", record.get("reason")
    assert [(p["step"], p["stage"]) for p in record["history"]] == [(5, "source"), (10, "source"), (15, "adapted"), (20, "adapted")]
    assert record["final"]["stage"] == "adapted"


def test_shot_killed_in_the_target_stage_resumes_bit_for_bit(tmp_path):
    # 16 per batch: one clustering per ceil(300 / 16) = 19 batches, at batches 21 and 40; the kill falls after the checkpoint at 30
    config = {**BLOBS, "method": "shot", "steps": 40, "eval_every": 10, "batch_size": 16}
    cfg = from_dict(config)
    whole = execute(cfg, tmp_path / "whole")
    kill_at = 2 * 20 + 15  # optimiser steps: two per source batch, one per target batch; batch 36
    killed = subprocess.run([sys.executable, "-c", KILL_AT_STEP, str(tmp_path / "resumed"), str(kill_at), repr(config)], capture_output=True, text=True)
    assert killed.returncode == 9, killed.stderr[-2000:]
    assert not (run_dir(cfg, tmp_path / "resumed") / "record.json").exists()
    resumed = execute(cfg, tmp_path / "resumed")
    assert resumed["resumed_from_step"] == 30  # training batches
    assert resumed["history"] == whole["history"]


@pytest.mark.slow
def test_shot_trains_through_the_cli(tmp_path, capsys):
    args = ["source=blobs", "target=blobs_shift", "backbone=mlp", "backbone_args.hidden=[]", "bottleneck_dim=16", "head_hidden=[]"]
    record, _ = run_in_process(capsys, tmp_path, "method=shot", *args, "steps=40", "eval_every=20", "batch_size=16", "threads=1")
    assert record["status"] == "done" and [(p["step"], p["stage"]) for p in record["history"]] == [(20, "source"), (40, "adapted")]
