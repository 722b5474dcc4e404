"""The README's MCD plugin ("A method with its own training step"), taken verbatim and run through the real CLI:
it trains, steps count batches, evaluation scores the mean of the two classifiers, and a changed plugin file
sets its old run aside."""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from da_bench.config import from_dict, parse_overrides
from da_bench.data.datamodule import PairedDataModule
from da_bench.selection import EvalOutputs, validator_scores

README = Path(__file__).resolve().parents[1] / "README.md"
TOY = ["source=moons", "target=moons_rot35", "backbone=mlp", "head_hidden=[]", "steps=40", "eval_every=20", "batch_size=16", "validator_samples=50"]


def readme_plugin() -> str:
    section = README.read_text().split("## A method with its own training step", 1)[1]
    return re.search(r"```python\n(# my_mcd\.py\n.*?)```", section, re.S).group(1)


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "da_bench.cli", *args], capture_output=True, text=True)


@pytest.mark.slow
def test_readme_mcd_plugin_trains_and_predicts_with_the_mean_of_its_classifiers(tmp_path):
    plugin, out = tmp_path / "my_mcd.py", tmp_path / "out"
    plugin.write_text(readme_plugin())
    result = cli("--plugin", str(plugin), "run", "method=my_mcd", *TOY, "--out", str(out))
    assert result.returncode == 0, result.stderr[-2000:]
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    folder = out / "runs" / summary["run_id"]
    record = json.loads((folder / "record.json").read_text())
    assert record["status"] == "done" and [p["step"] for p in record["history"]] == [20, 40]  # batches, at 3 + num_k optimiser steps each
    ckpt = torch.load(folder / "checkpoints" / "last.ckpt", weights_only=True)
    assert ckpt["global_step"] == 40 * (3 + 4)  # step A: both optimisers, B: the classifiers', C: num_k generator steps
    assert "my_mcd" in cli("--plugin", str(plugin), "methods").stdout

    # the recorded scores, recomputed by hand from the checkpoint's weights: they are those of (F1 + F2) / 2, not of F1
    cfg = from_dict({**parse_overrides(TOY), "method": "my_mcd"})
    dm = PairedDataModule(cfg)
    dm.setup("fit")
    state = ckpt["state_dict"]
    roles = dm.eval_roles

    def outputs(x):
        h = torch.relu(x @ state["backbone.body.0.weight"].T + state["backbone.body.0.bias"])
        return h, [h @ state[f"heads.{k}.0.weight"].T + state[f"heads.{k}.0.bias"] for k in ("label", "label_2")]

    (xs, ys), xt = next(iter(dm.val_dataloader()[roles.index("source_val")])), next(iter(dm.val_dataloader()[roles.index("target_unlabeled")]))
    (fs, (s1, s2)), (ft, (t1, t2)) = outputs(xs), outputs(xt)
    mean = validator_scores(EvalOutputs((s1 + s2) / 2, fs, ys, (t1 + t2) / 2, ft))
    first = validator_scores(EvalOutputs(s1, fs, ys, t1, ft))
    final = record["final"]
    assert final["source_val_acc"] > 0.75  # it learned the source task (chance: 0.5)
    assert final["val_entropy"] == pytest.approx(mean["val_entropy"], rel=1e-4) and final["val_entropy"] != pytest.approx(first["val_entropy"], rel=1e-4)
    assert final["source_val_acc"] == pytest.approx(float(((s1 + s2).argmax(1) == ys).float().mean()))

    # the plugin is part of the run's identity: unchanged, the record is reused; changed, the old run is set aside
    again = cli("--plugin", str(plugin), "run", "method=my_mcd", *TOY, "--out", str(out))
    assert json.loads((folder / "record.json").read_text()) == record and "set aside" not in again.stderr
    plugin.write_text(readme_plugin().replace("num_k = 4", "num_k = 2"))
    changed = cli("--plugin", str(plugin), "run", "method=my_mcd", *TOY, "--out", str(out))
    assert changed.returncode == 0 and f"run {summary['run_id']} was made with plugins (my_mcd.py" in changed.stderr
    assert (folder / "stale" / "record.stale.json").exists()
    assert torch.load(folder / "checkpoints" / "last.ckpt", weights_only=True)["global_step"] == 40 * (3 + 2)
    # a run that uses no part of the plugin keeps the id and record it has without it
    plain = cli("run", "method=source_only", *TOY, "--out", str(tmp_path / "a"))
    with_plugin = cli("--plugin", str(plugin), "run", "method=source_only", *TOY, "--out", str(tmp_path / "b"))
    assert json.loads(plain.stdout.splitlines()[-1])["run_id"] == json.loads(with_plugin.stdout.splitlines()[-1])["run_id"]
    assert not list((tmp_path / "b").rglob("plugins.json"))
