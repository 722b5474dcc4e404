"""FixMatch self-training (Sohn et al., NeurIPS 2020): Eq. 4 worked by hand and its gradient; one update is
l_s + lambda_u l_u computed independently; the weak and strong views (images and vectors) by hand and under the seed;
a bf16 run, an exact resume after a kill, and a CLI run."""

import copy
import math

import pytest
import torch
import torch.nn.functional as F
from helpers import TOY_CLI as TOY
from helpers import killed_and_resumed, methods_listing, run_in_process

import da_bench.methods.fixmatch as fixmatch
from da_bench.cli import main
from da_bench.config import from_dict
from da_bench.data.augment import geometric_matrices, posterize, random_translate, solarize, strong_augment, warp, weak_augment
from da_bench.methods import Inputs, build_method
from da_bench.methods.fixmatch import FixMatch, self_training_loss
from da_bench.runner.execute import metrics_csv, run_dir

CFG = {"method": "fixmatch", "source": "moons", "target": "moons_rot35", "backbone": "mlp", "head_hidden": [], "lr": 0.5, "momentum": 0.0}


def test_self_training_loss_by_hand_and_its_gradient():
    weak = torch.log(torch.tensor([[0.96, 0.04], [0.5, 0.5], [0.02, 0.98]])).requires_grad_()  # kept (0), dropped, kept (1)
    strong = torch.log(torch.tensor([[0.7, 0.3], [0.9, 0.1], [0.4, 0.6]])).requires_grad_()
    loss, kept = self_training_loss(strong, weak, threshold=0.95)
    assert float(loss) == pytest.approx((-math.log(0.7) - math.log(0.6)) / 3)  # Eq. 4: averaged over all 3 examples
    assert float(kept) == pytest.approx(2 / 3)
    loss.backward()
    assert weak.grad is None  # the pseudo-label is a target, not a prediction to train
    assert torch.equal(strong.grad[1], torch.zeros(2))  # below the threshold: no gradient
    assert strong.grad[0, 0] < 0 and strong.grad[2, 1] < 0  # descent raises the pseudo-label's logit


def test_one_update_is_the_source_loss_plus_the_pseudo_label_loss(monkeypatch):
    torch.manual_seed(0)
    model = build_method(from_dict(CFG), (2,), 2)
    assert isinstance(model, FixMatch)
    model.threshold = 0.6
    model.optimizers = lambda: model.configure_optimizers()["optimizer"]
    model.manual_backward = lambda loss: loss.backward()
    monkeypatch.setattr(fixmatch, "weak_augment", lambda x, noise: x + 0.1)  # fixed views, so the reference can build them
    monkeypatch.setattr(fixmatch, "strong_augment", lambda x, noise, num_ops: -x)
    g = torch.Generator().manual_seed(1)
    xs, ys, xt = torch.randn(16, 2, generator=g), torch.arange(16) % 2, torch.randn(16, 2, generator=g) + 1.0
    reference = copy.deepcopy(model)
    with torch.no_grad():
        p_weak = reference(xt + 0.1).softmax(1)
    keep = p_weak.max(1).values >= 0.6
    assert 0 < int(keep.sum()) < 16  # some pseudo-labels kept, some not
    ce_strong = F.cross_entropy(reference(-xt), p_weak.argmax(1), reduction="none")
    expected = F.cross_entropy(reference(xs), ys) + (ce_strong * keep).sum() / 16
    expected.backward()
    scalars = model.update(Inputs(xs, ys, xt))
    assert float(scalars["loss"]) == pytest.approx(float(expected), rel=1e-6)
    assert float(scalars["pseudo_label_ratio"]) == pytest.approx(float(keep.float().mean()))
    for p, q in zip(model.parameters(), reference.parameters()):  # one SGD step (lr 0.5, no momentum) on that loss
        torch.testing.assert_close(p, q - 0.5 * q.grad)


def test_image_views_by_hand():
    image = torch.arange(64.0).view(1, 1, 8, 8)
    shifted = random_translate(image, 0.25)  # up to 2 pixels either way, the border reflected
    padded = F.pad(image, (2, 2, 2, 2), mode="reflect")
    assert any(torch.equal(shifted, padded[..., i : i + 8, j : j + 8]) for i in range(5) for j in range(5))
    u = torch.tensor([0.2, 0.5, 0.7]).view(3, 1, 1, 1)
    assert solarize(u, torch.full((3,), 0.5)).flatten().tolist() == pytest.approx([0.2, 0.5, 0.3])  # inverts from the threshold up
    assert posterize(u, torch.zeros(3)).flatten().tolist() == pytest.approx([48 / 255, 112 / 255, 176 / 255])  # 4 bits: steps of 16 / 255
    m = torch.tensor([(0.25 + 0.3) / 0.6])  # translate x by a quarter of the side: 2 of 8 pixels
    moved = warp(image / 64, geometric_matrices(m)[3])
    torch.testing.assert_close(moved[..., :6], image[..., 2:] / 64)
    assert torch.equal(moved[..., 6:], torch.full((1, 1, 8, 2), 0.5))  # moved in from outside: gray


def test_views_keep_shape_follow_the_seed_and_scale_vector_noise():
    images = torch.rand(32, 3, 16, 16) * 2 - 1
    for augment in (lambda x: weak_augment(x, 0.1), lambda x: strong_augment(x, 1.0)):
        torch.manual_seed(0)
        first = augment(images)
        torch.manual_seed(0)
        assert first.shape == images.shape and torch.equal(first, augment(images)) and not torch.equal(first, images)
        assert not torch.equal(first, augment(images))  # the generator moved on: fresh draws
    vectors = torch.randn(20000, 2) * torch.tensor([1.0, 10.0])
    for noise in (0.1, 1.0):
        added = (weak_augment(vectors, noise) - vectors).std(0) / torch.tensor([1.0, 10.0])
        torch.testing.assert_close(added, torch.full((2,), noise), rtol=0.05, atol=0)


def test_fixmatch_refuses_losses_with_their_own_adversary_step():
    with pytest.raises(ValueError, match="takes one optimiser step per batch; losses \\['confusion'\\]"):
        build_method(from_dict({**CFG, "losses": {"confusion": {}}}), (2,), 2)


def test_fixmatch_runs_under_bf16_on_cpu(tmp_path):
    assert main(["run", "method=fixmatch", "precision=bf16-mixed", *TOY, "--out", str(tmp_path)]) == 0


def test_fixmatch_killed_between_evaluations_resumes_bit_for_bit(tmp_path):
    config = {**CFG, "lr": 0.1, "momentum": 0.9, "batch_size": 32, "steps": 150, "eval_every": 75, "validator_samples": 100, "threads": 1}
    whole, resumed = killed_and_resumed(config, tmp_path, 120)  # every batch draws its views from the global generator
    assert resumed["resumed_from_step"] == 75
    assert resumed["history"] == whole["history"]
    assert metrics_csv(run_dir(from_dict(config), tmp_path / "resumed")).read_text() == metrics_csv(run_dir(from_dict(config), tmp_path / "whole")).read_text()


@pytest.mark.slow
def test_fixmatch_trains_through_the_cli(tmp_path, capsys):
    record, _ = run_in_process(capsys, tmp_path, *TOY, "method=fixmatch", "losses.entropy.weight=0.1")
    assert record["status"] == "done" and [p["step"] for p in record["history"]] == [20, 40]
    assert record["config"]["losses"] == {"entropy": {"weight": 0.1}}  # the config's losses add to FixMatch's
    listing = methods_listing(capsys)
    assert "fixmatch" in listing and "confident weak-view pseudo-labels" in listing
