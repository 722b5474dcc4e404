"""``method_args``: a method class's own hyperparameters set per run, checked before anything runs."""

import pytest
import torch
from helpers import run_in_process
from test_cli import TOY

from da_bench.cli import main
from da_bench.config import ConfigError, from_dict
from da_bench.methods import Inputs, build_method
from da_bench.methods.adda import ADDA
from da_bench.methods.hyperparameters import check_method_args, method_hyperparameters
from da_bench.methods.mcd import MCD
from da_bench.registry import UnknownNameError

CFG = {"method": "mcd", "source": "moons", "target": "moons_rot35", "backbone": "mlp", "head_hidden": []}


def test_a_methods_hyperparameters_are_its_own_plain_class_attributes():
    assert method_hyperparameters(MCD) == {"num_k": 4, "discrepancy_weight": 1.0, "class_balance_weight": 0.0}

    class Slower(MCD):
        num_k = 8
        step_size = 0.5

    assert method_hyperparameters(Slower) == {"num_k": 8, "step_size": 0.5, "discrepancy_weight": 1.0, "class_balance_weight": 0.0}
    assert "setting" not in method_hyperparameters(ADDA) and "uses_target" not in method_hyperparameters(ADDA)


def test_method_args_set_one_runs_values_and_leave_the_class_alone():
    model = build_method(from_dict({**CFG, "method_args": {"num_k": 2, "discrepancy_weight": 0.3}}), (2,), 2)
    assert (model.num_k, model.discrepancy_weight, model.class_balance_weight) == (2, 0.3, 0.0) and MCD.num_k == 4
    opt_g, opt_f = model.configure_optimizers()[0]
    model.optimizers = lambda: (opt_g, opt_f)
    model.manual_backward = lambda loss: loss.backward()
    counted = []
    plain_step = model.step
    model.step = lambda loss, *optimizers: (counted.append(len(optimizers)), plain_step(loss, *optimizers))
    g = torch.Generator().manual_seed(0)
    model.update(Inputs(torch.randn(8, 2, generator=g), torch.arange(8) % 2, torch.randn(8, 2, generator=g)))
    assert counted == [2, 1, 1, 1]  # steps A (both optimisers) and B, then step C num_k = 2 times, not 4


def test_a_list_becomes_the_tuple_its_default_is():
    assert check_method_args(ADDA, "adda", {"adversarial_betas": [0.9, 0.99]}) == {"adversarial_betas": (0.9, 0.99)}


@pytest.mark.parametrize(
    "method,args,error,message",
    [
        ("mcd", {"num_kk": 2}, UnknownNameError, "Did you mean 'num_k'"),
        ("mcd", {"num_k": 2.5}, ConfigError, "'method_args.num_k' must be of type int"),
        ("dann", {"grl_gamma": 4.0}, ConfigError, "has no hyperparameters of its own .* 'losses.<loss>.<argument>'"),
    ],
)
def test_bad_method_args_are_refused_in_one_sentence_before_anything_runs(tmp_path, capsys, method, args, error, message):
    with pytest.raises(error, match=message):
        build_method(from_dict({**CFG, "method": method, "method_args": args}), (2,), 2)
    key, value = next(iter(args.items()))
    assert main(["run", *TOY, f"method={method}", f"method_args.{key}={value}", "--out", str(tmp_path)]) == 2
    assert "Traceback" not in capsys.readouterr().err and not (tmp_path / "runs").exists()


@pytest.mark.slow
def test_method_args_reach_the_cli_run_and_its_identity(tmp_path, capsys):
    record, folder = run_in_process(capsys, tmp_path, *TOY, "method=mcd", "method_args.num_k=2")
    assert record["status"] == "done" and record["config"]["method_args"] == {"num_k": 2}
    assert torch.load(folder / "checkpoints" / "last.ckpt", weights_only=True)["global_step"] == 40 * 5  # 3 + num_k a batch
    default, _ = run_in_process(capsys, tmp_path, *TOY, "method=mcd")
    assert default["run_id"] != record["run_id"]


@pytest.mark.slow
def test_a_sweep_grids_a_method_hyperparameter(tmp_path):
    import json

    sweep = tmp_path / "mcd.yaml"
    sweep.write_text(
        "name: toy\nbase: {source: moons, target: moons_rot35, backbone: mlp, head_hidden: [], steps: 10, eval_every: 10, threads: 1}\n"
        "methods: [mcd]\ngrid: {method_args.num_k: [1, 2]}\n"
    )
    assert main(["sweep", str(sweep), "--out", str(tmp_path / "out"), "--quiet"]) == 0
    records = [json.loads(p.read_text()) for p in (tmp_path / "out" / "runs").glob("*/record.json")]
    assert sorted(r["config"]["method_args"]["num_k"] for r in records) == [1, 2] and all(r["status"] == "done" for r in records)
