"""The built-in MCD (Saito et al., CVPR 2018): the discrepancy worked by hand; steps A/B/C update the parts the paper
names and move the target discrepancy the way it says; evaluation scores (F1 + F2) / 2; it trains through the CLI."""

import pytest
import torch
from helpers import methods_listing, run_in_process
from test_cli import TOY

from da_bench.config import from_dict
from da_bench.methods import Inputs, build_method
from da_bench.methods.mcd import MCD, class_balance, classifier_discrepancy

CFG = {"method": "mcd", "source": "moons", "target": "moons_rot35", "backbone": "mlp", "head_hidden": [], "lr": 0.5, "momentum": 0.0}


def test_discrepancy_by_hand():
    p1, p2 = torch.log(torch.tensor([[0.8, 0.2]])), torch.log(torch.tensor([[0.2, 0.8]]))
    assert float(classifier_discrepancy(p1, p2)) == pytest.approx(0.6)  # (|0.6| + |-0.6|) / 2


def test_class_balance_by_hand_is_tllibs_term_not_a_per_sample_entropy():
    """TLlib's MCD term -(1/K) sum_k log(mean_i p_ik): a batch split evenly over 2 classes gives log 2 = 0.6931; the
    same two confident rows piled on one class give -(log 0.8 + log 0.2) / 2 = 0.9163. A per-sample entropy would
    give 0.5004 for both batches."""
    split = torch.log(torch.tensor([[0.8, 0.2], [0.2, 0.8]]))
    piled = torch.log(torch.tensor([[0.8, 0.2], [0.8, 0.2]]))
    assert float(class_balance(split)) == pytest.approx(0.693146, abs=1e-5)
    assert float(class_balance(piled)) == pytest.approx(0.916290, abs=1e-5)


def test_one_batch_runs_steps_a_b_c_on_the_right_parameters():
    torch.manual_seed(0)
    model = build_method(from_dict(CFG), (2,), 2)
    assert isinstance(model, MCD)
    opt_g, opt_f = model.configure_optimizers()[0]
    model.optimizers = lambda: (opt_g, opt_f)
    model.manual_backward = lambda loss: loss.backward()
    g = torch.Generator().manual_seed(1)
    inputs = Inputs(torch.randn(16, 2, generator=g), torch.arange(16) % 2, torch.randn(16, 2, generator=g) + 1.0)
    x = torch.cat([inputs.source, inputs.target])
    parts = {"G": [*model.backbone.parameters()], "F": [*model.heads.parameters()]}
    steps, plain_step, stepped = [], model.step, []

    def recording_step(loss, *optimizers):
        stepped.extend(optimizers)
        before = {name: [p.detach().clone() for p in params] for name, params in parts.items()}
        gap = float(model.objectives(x, inputs.source_labels)[1])
        plain_step(loss, *optimizers)
        moved = {name for name, params in parts.items() if any(not torch.equal(p, q) for p, q in zip(params, before[name]))}
        steps.append((moved, float(model.objectives(x, inputs.source_labels)[1]) - gap))

    model.step = recording_step
    model.update(inputs)
    assert [moved for moved, _ in steps] == [{"G", "F"}, {"F"}] + [{"G"}] * 4  # A: all; B: F1, F2; C: G, num_k times
    assert len(stepped) == 3 + model.num_k == 7  # optimiser steps per batch: A both, B one, C num_k
    assert steps[1][1] > 0 and all(change < 0 for _, change in steps[2:])  # B raises the target discrepancy, C lowers it
    f = model.features(inputs.target)
    assert torch.allclose(model.predict(inputs.target)[1], (model.heads["label"](f) + model.heads["label_2"](f)) / 2)


def test_mcd_refuses_added_losses():
    with pytest.raises(ValueError, match="trains with its own three steps and adds no 'losses'"):
        build_method(from_dict({**CFG, "losses": {"entropy": {"weight": 0.1}}}), (2,), 2)


@pytest.mark.slow
def test_mcd_trains_through_the_cli(tmp_path, capsys):
    record, folder = run_in_process(capsys, tmp_path, *TOY, "method=mcd")
    assert record["status"] == "done" and [p["step"] for p in record["history"]] == [20, 40]
    assert torch.load(folder / "checkpoints" / "last.ckpt", weights_only=True)["global_step"] == 40 * 7
    assert "mcd" in methods_listing(capsys)


def test_class_balance_weight_adds_the_term_of_both_classifiers_on_the_target_only():
    model = build_method(from_dict({**CFG, "method_args": {"class_balance_weight": 0.5}}), (2,), 2).eval()
    g = torch.Generator().manual_seed(0)
    x, y = torch.randn(10, 2, generator=g), torch.arange(4) % 2  # 4 labeled rows, then 6 target rows
    with_term = model.objectives(x, y)[0]
    model.class_balance_weight = 0.0
    f = model.features(x)
    term = class_balance(model.heads["label"](f)[4:]) + class_balance(model.heads["label_2"](f)[4:])
    assert float(with_term - model.objectives(x, y)[0]) == pytest.approx(0.5 * float(term), rel=1e-5)
