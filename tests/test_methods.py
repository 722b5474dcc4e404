"""The Method LightningModule: multi-task heads, transfer options, logging, and the DANN toy convergence test."""

import statistics

import pytest
import torch

from da_bench.classic.spec import ClassicSpec
from da_bench.config import from_dict
from da_bench.methods import build_method
from da_bench.methods.module import Inputs
from da_bench.methods.spec import as_spec
from da_bench.registry import METHODS
from da_bench.runner.execute import execute, prepare

TOY = {
    "source": "moons",
    "target": "moons_rot35",
    "backbone": "mlp",
    "backbone_args": {"hidden": [15], "activation": "sigmoid"},
    "head_hidden": [],
    "batch_size": 32,
    "steps": 1000,
    "eval_every": 1000,
    "lr": 0.5,
    "momentum": 0.9,
    "lr_anneal": False,
    "validator_samples": 50,
    "threads": 1,
}
SMALL_DISC = {"width": 15, "depth": 1, "batch_norm": False}
CONVERGENCE = {
    "source_only": {},
    "dann": {"dann": SMALL_DISC},
    "cdan": {"cdan": SMALL_DISC},
    "cdan_e": {"cdan_e": SMALL_DISC},
    "dan": {"mmd": {}},
    "jan": {"jmmd": {}},
    "coral": {"coral": {"weight": 100.0}},
    "confusion": {"confusion": SMALL_DISC},
    "entropy_min": {},
    "mcc": {},
    "dann_bsp": {"dann": SMALL_DISC},
    "cdan_bsp": {"cdan": SMALL_DISC, "bsp": {"weight": 1e-2}},  # with the paper's 1e-4: 0.611 here, below source-only
    "afn": {"afn": {"delta_r": 0.3, "weight": 0.01}},  # the paper's delta_r = 1, weight 0.05: 0.629 here
    "mcd": {},
    "mdd": {},
    "adda": {},
    "fixmatch": {},  # its vector-view noise (0.1 weak, 1.0 strong) was chosen on this toy: see da_bench/methods/fixmatch.py
}


def test_multitask_heads_with_own_weights_and_metrics(tmp_path):
    cfg = from_dict(
        {
            "source": "mnist5k",
            "target": None,
            "mode": "multitask",
            "steps": 20,
            "eval_every": 10,
            "batch_size": 16,
            "tasks": {"parity": {"labels": "parity", "weight": 0.5}},
            "threads": 2,
        }
    )
    record = execute(cfg, tmp_path)
    assert record["status"] == "done", record.get("reason")
    assert {"source_val_acc", "source_val_parity_acc"} <= set(record["final"])


def test_freeze_backbone_and_start_from_checkpoint(tmp_path):
    first = execute(from_dict({**TOY, "steps": 20, "eval_every": 10, "lr": 0.1}), tmp_path)
    ckpt = tmp_path / "runs" / first["run_id"] / "checkpoints" / "last.ckpt"
    cfg = from_dict({**TOY, "method": "dann", "freeze_backbone": True, "init_checkpoint": str(ckpt), "steps": 20, "eval_every": 10, "lr": 0.1})
    _, model = prepare(cfg)
    state = torch.load(ckpt, weights_only=True)["state_dict"]
    assert torch.equal(model.backbone.body[0].weight, state["backbone.body.0.weight"])
    assert not any(p.requires_grad for p in model.backbone.parameters())
    before = model.backbone.body[0].weight.clone()
    record = execute(cfg, tmp_path)
    assert record["status"] == "done"
    after = torch.load(tmp_path / "runs" / record["run_id"] / "checkpoints" / "last.ckpt", weights_only=True)["state_dict"]
    assert torch.equal(after["backbone.body.0.weight"], before)


def test_backbone_lr_multiplier_groups():
    model = build_method(from_dict({**TOY, "backbone_lr_mult": 0.1}), (2,), 2)
    lrs = sorted(g["lr"] for g in model.configure_optimizers()["optimizer"].param_groups)
    assert lrs == pytest.approx([0.05, 0.5])


def test_source_only_trains_on_source_images_alone():
    """Source-only is TLlib's erm.py / DomainBed's ERM: the target batch of a 'uda' run stays out of its forward pass,
    so its batch norm statistics hold source features alone; DANN's pass holds both domains (TLlib's concatenation)."""
    g = torch.Generator().manual_seed(0)
    xs, ys, xt = torch.randn(5, 2, generator=g), torch.tensor([0, 1, 0, 1, 1]), torch.randn(7, 2, generator=g) + 10.0
    for method, losses, batch in (("source_only", {}, 5), ("dann", {"dann": SMALL_DISC}, 12)):
        model = build_method(from_dict({**TOY, "method": method, "losses": losses, "bottleneck_dim": 4}), (2,), 2).train()
        sizes: list[int] = []
        model.backbone.register_forward_hook(lambda _m, _i, out: sizes.append(out.shape[0]))
        model.step_outputs(Inputs(xs, ys, xt))
        assert sizes == [batch], method
        linear, norm = model.bottleneck[0], model.bottleneck[1]
        seen = xs if method == "source_only" else torch.cat([xs, xt])
        with torch.no_grad():
            expected = 0.1 * linear(model.backbone(seen)).mean(0)  # BatchNorm1d's running mean after one batch (momentum 0.1)
        torch.testing.assert_close(norm.running_mean, expected)


def toy_target_accuracy(method: str, folder) -> float:
    """Mean final target accuracy over 3 seeds on the DANN paper's toy (JMLR 2016, Sec. 5.1.1)."""
    runs = [execute(from_dict({**TOY, "method": method, "losses": CONVERGENCE[method], "seed": s}), folder) for s in (0, 1, 2)]
    return statistics.fmean(run["final"]["target_test_acc"] for run in runs)


@pytest.fixture(scope="module")
def toy_source_only(tmp_path_factory) -> float:
    return toy_target_accuracy("source_only", tmp_path_factory.mktemp("toy_source_only"))


def test_every_builtin_deep_uda_method_is_in_the_toy_test():
    # classic ones: tests/test_classic_*; source-free and test-time ones on their own toy: tests/test_shot.py, tests/test_tent.py
    deep = {name for name, entry in METHODS.items() if not isinstance(entry, ClassicSpec) and as_spec(name, entry).setting == "uda"}
    assert set(CONVERGENCE) == deep  # a new built-in deep UDA method joins the toy test below


@pytest.mark.parametrize("method", [m for m in CONVERGENCE if m != "source_only"])
def test_toy_adaptation_beats_source_only(method, toy_source_only, tmp_path):
    """Every built-in adaptation method raises the mean target accuracy over 3 seeds on the DANN paper's toy."""
    accuracy = toy_target_accuracy(method, tmp_path)
    print(f"toy target accuracy: {method} {accuracy:.3f}, source_only {toy_source_only:.3f}")
    assert accuracy > toy_source_only + 0.005


def test_logged_training_loss_is_the_loss_of_the_logged_batch(tmp_path):
    """Each training row of metrics.csv holds the loss of the batch it is stamped with (every 50th),
    also when evaluations (Lightning epochs) are shorter than 50 steps."""
    import csv

    import pytorch_lightning as pl

    from da_bench.runner.execute import make_trainer

    losses: dict[int, float] = {}

    class Capture(pl.Callback):
        def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx):
            losses[trainer.global_step - 1] = float(outputs["loss"])

    cfg = from_dict({**TOY, "method": "dann", "losses": {"dann": SMALL_DISC}, "steps": 100, "eval_every": 25})
    dm, model = prepare(cfg)
    make_trainer(cfg, tmp_path, [Capture()]).fit(model, datamodule=dm)
    rows = [r for r in csv.DictReader(open(tmp_path / "logs" / "metrics.csv")) if r.get("train/loss")]
    assert [int(r["step"]) for r in rows] == [49, 99]
    for row in rows:
        assert float(row["train/loss"]) == pytest.approx(losses[int(row["step"])], rel=1e-6)


@pytest.mark.parametrize("setting", [{}, {"backbone_bn": "eval"}, {"freeze_backbone": True}])
def test_a_trained_runs_backbone_batch_norm_statistics_move_only_when_they_should(tmp_path, setting):
    """Through the Trainer, as ``da-bench run`` trains: Lightning never calls ``train()`` itself, so a module mode set
    there (a frozen backbone's batch norm, ``backbone_bn: eval``) must still hold during training."""
    base = {"source": "sklearn_digits", "target": "mnist5k", "backbone": "dtn", "batch_size": 16, "steps": 4, "eval_every": 2}
    record = execute(from_dict({**base, "method": "dann", "validator_samples": 20, "threads": 1, **setting}), tmp_path)
    assert record["status"] == "done", record.get("reason")
    state = torch.load(tmp_path / "runs" / record["run_id"] / "checkpoints" / "last.ckpt", weights_only=True)["state_dict"]
    means = [v for k, v in state.items() if k.startswith("backbone.") and k.endswith("running_mean")]
    weights = [v for k, v in state.items() if k.startswith("backbone.") and k.endswith("weight") and v.ndim == 4]
    _, fresh = prepare(from_dict({**base, "method": "dann"}))
    moved = [bool(m.abs().sum() > 0) for m in means]  # batch norm starts at mean 0
    changed = [not torch.equal(w, f.weight) for w, f in zip(weights, [m for m in fresh.backbone.modules() if isinstance(m, torch.nn.Conv2d)])]
    assert means and weights and len(changed) == len(weights)
    assert all(moved) if not setting else not any(moved)
    assert all(changed) if not setting.get("freeze_backbone") else not any(changed)
