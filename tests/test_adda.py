"""ADDA (Tzeng et al., CVPR 2017): the GAN losses worked by hand; stage 1 trains M_s and C on the source, stage 2
starts M_t as a copy of M_s and moves only M_t and D, each the way its loss says; the target is predicted through M_t,
the source through M_s; a bf16 run, an exact resume after a kill inside stage 2, and a CLI run."""

import math

import pytest
import torch
from helpers import TOY_CLI as TOY
from helpers import killed_and_resumed, methods_listing, run_in_process

from da_bench.cli import main
from da_bench.config import from_dict
from da_bench.losses.base import domain_bce
from da_bench.methods import Inputs, build_method
from da_bench.methods.adda import ADDA, mapping_loss
from da_bench.runner.execute import metrics_csv, run_dir

CFG = {
    "method": "adda",
    "source": "moons",
    "target": "moons_rot35",
    "backbone": "mlp",
    "head_hidden": [],
    "threads": 1,
    "lr": 0.5,
    "momentum": 0.0,
    "steps": 10,
    "eval_every": 10,
}


def test_gan_losses_by_hand():
    d_s, d_t = torch.tensor([0.0]), torch.tensor([math.log(3.0)])  # D(M_s(x_s)) = 0.5, D(M_t(x_t)) = 0.75
    assert float(mapping_loss(d_t)) == pytest.approx(-math.log(0.75))  # Eq. 9: M_t wants D to say "source"
    assert float(domain_bce(d_s, d_t)) == pytest.approx((-math.log(0.5) - math.log(1 - 0.75)) / 2)  # Eq. 7, mean over both


def parts(model: ADDA) -> dict[str, list[torch.Tensor]]:
    return {
        "M_s": [*model.backbone.parameters()],
        "C": [*model.heads.parameters()],
        "M_t": [*model.target_encoder.parameters()],
        "D": [*model.discriminator.parameters()],
    }


def snapshot(model: ADDA) -> dict[str, list[torch.Tensor]]:
    return {name: [p.detach().clone() for p in params] for name, params in parts(model).items()}


def moved(model: ADDA, before: dict[str, list[torch.Tensor]]) -> set[str]:
    return {name for name, params in parts(model).items() if any(not torch.equal(p, q) for p, q in zip(params, before[name]))}


def test_stage_1_trains_the_source_model_and_stage_2_the_target_encoder_against_d(monkeypatch):
    torch.manual_seed(0)
    model = build_method(from_dict(CFG), (2,), 2)
    assert isinstance(model, ADDA) and model.pretrain_steps == 5
    optimizers, schedulers = model.configure_optimizers()
    assert [type(o).__name__ for o in optimizers] == ["SGD", "Adam", "Adam"] and len(schedulers) == 1
    assert optimizers[1].param_groups[0]["lr"] == 2e-4 and optimizers[2].param_groups[0]["betas"] == (0.5, 0.999)
    model.optimizers = lambda: optimizers
    model.manual_backward = lambda loss: loss.backward()
    batches = {"done": 0}
    monkeypatch.setattr(ADDA, "steps_done", property(lambda self: batches["done"]))
    g = torch.Generator().manual_seed(1)
    inputs = Inputs(torch.randn(16, 2, generator=g), torch.arange(16) % 2, torch.randn(16, 2, generator=g) + 1.0)

    before = snapshot(model)
    model.update(inputs)  # batch 0 of 10: stage 1
    assert moved(model, before) == {"M_s", "C"} and not model.adapting

    batches["done"] = 5  # the first batch of stage 2
    trained_source = snapshot(model)
    changes, plain_step = [], model.step

    def losses() -> list[float]:
        with torch.no_grad():
            d_s, d_t = model.discriminator(model.features(inputs.source)), model.discriminator(model.target_features(inputs.target))
            return [float(mapping_loss(d_t)), float(domain_bce(d_s, d_t))]

    def recording_step(loss, *opts):
        if not changes:  # the first step of stage 2 sees M_t as a copy of M_s
            assert torch.equal(model.target_features(inputs.target), model.features(inputs.target))
        start = losses()
        plain_step(loss, *opts)
        changes.append([after - first for after, first in zip(losses(), start)])

    model.step = recording_step
    model.update(inputs)
    assert moved(model, trained_source) == {"M_t", "D"} and bool(model.adapting)
    assert not model.backbone.training  # M_s frozen, batch norm included
    assert changes[0][0] < 0  # M_t's step: D takes its features more for the source's (Eq. 9 falls)
    assert changes[1][1] < 0  # D's step: it separates the domains better (Eq. 7 falls)


def test_target_predicted_through_the_target_encoder_source_through_the_source_encoder():
    torch.manual_seed(0)
    model = build_method(from_dict(CFG), (2,), 2)
    x = torch.randn(8, 2)
    with torch.no_grad():
        for p in model.target_encoder.parameters():
            p.add_(1.0)
        assert torch.equal(model.predict(x, "target")[1], model.heads["label"](model.features(x)))  # stage 1: M_s for both
        model.start_adaptation()
        assert torch.equal(model.target_features(x), model.features(x))  # M_t starts as M_s
        for p in model.target_encoder.parameters():
            p.add_(1.0)
        assert torch.equal(model.predict(x, "target")[1], model.heads["label"](model.target_features(x)))
        assert torch.equal(model.predict(x, "source")[1], model.heads["label"](model.features(x)))
        assert not torch.equal(model.predict(x, "target")[1], model.predict(x, "source")[1])


def test_adda_refuses_added_losses():
    with pytest.raises(ValueError, match="trains in its own two stages and adds no 'losses'"):
        build_method(from_dict({**CFG, "losses": {"entropy": {"weight": 0.1}}}), (2,), 2)


def test_adda_runs_under_bf16_on_cpu(tmp_path):
    assert main(["run", "method=adda", "precision=bf16-mixed", *TOY, "--out", str(tmp_path)]) == 0


def test_adda_killed_in_stage_2_resumes_bit_for_bit(tmp_path):
    config = {**CFG, "momentum": 0.9, "batch_size": 32, "steps": 150, "eval_every": 50, "validator_samples": 100, "threads": 1}
    whole, resumed = killed_and_resumed(config, tmp_path, 120)  # stage 2 from batch 75; the last checkpoint is at 100
    assert resumed["resumed_from_step"] == 100
    assert resumed["history"] == whole["history"]
    assert metrics_csv(run_dir(from_dict(config), tmp_path / "resumed")).read_text() == metrics_csv(run_dir(from_dict(config), tmp_path / "whole")).read_text()


@pytest.mark.slow
def test_adda_trains_through_the_cli(tmp_path, capsys):
    record, folder = run_in_process(capsys, tmp_path, *TOY, "method=adda")
    assert record["status"] == "done" and [(p["step"], p["stage"]) for p in record["history"]] == [(20, "source"), (40, "adapted")]
    # 20 source batches of one optimiser step, then 20 adversarial batches of two (M_t, D)
    assert torch.load(folder / "checkpoints" / "last.ckpt", weights_only=True)["global_step"] == 20 + 20 * 2
    listing = methods_listing(capsys)
    assert "adda" in listing and "separate target encoder against a domain discriminator" in listing
