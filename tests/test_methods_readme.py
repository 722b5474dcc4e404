"""The README's MCD plugin ("A method with its own training step"), taken verbatim and run through the real CLI
(``da_bench.cli.main`` in this process, the plugin forgotten between "processes"): it trains, steps count batches,
evaluation scores the mean of the two classifiers, and a changed plugin file sets its old run aside."""

import json
import re
from pathlib import Path

import pytest
import torch
from helpers import TOY_CLI, methods_listing, plugins_forgotten_after, run_in_process

from da_bench.cli import main
from da_bench.config import from_dict, parse_overrides
from da_bench.data.datamodule import PairedDataModule
from da_bench.selection import EvalOutputs, validator_scores

README = Path(__file__).resolve().parents[1] / "README.md"
TOY = TOY_CLI


def readme_plugin() -> str:
    section = README.read_text().split("## A method with its own training step", 1)[1]
    return re.search(r"```python\n(# my_mcd\.py\n.*?)```", section, re.S).group(1)


@pytest.mark.slow
def test_readme_mcd_plugin_trains_and_predicts_with_the_mean_of_its_classifiers(tmp_path, capsys):
    plugin, out = tmp_path / "my_mcd.py", tmp_path / "out"
    plugin.write_text(readme_plugin())
    _, plain = run_in_process(capsys, tmp_path / "a", "method=source_only", *TOY)  # before any plugin is loaded
    with plugins_forgotten_after():
        assert "my_mcd" in methods_listing(capsys, "--plugin", str(plugin))
    with plugins_forgotten_after():
        record, folder = run_in_process(capsys, out, "--plugin", str(plugin), "method=my_mcd", *TOY)
    assert record["status"] == "done" and [p["step"] for p in record["history"]] == [20, 40]  # batches, at 3 + num_k optimiser steps each
    ckpt = torch.load(folder / "checkpoints" / "last.ckpt", weights_only=True)
    assert ckpt["global_step"] == 40 * (3 + 4)  # step A: both optimisers, B: the classifiers', C: num_k generator steps

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
    with plugins_forgotten_after():
        assert main(["--plugin", str(plugin), "run", "method=my_mcd", *TOY, "--out", str(out)]) == 0
    assert json.loads((folder / "record.json").read_text()) == record and "set aside" not in capsys.readouterr().err
    plugin.write_text(readme_plugin().replace("num_k = 4", "num_k = 2"))
    with plugins_forgotten_after():
        assert main(["--plugin", str(plugin), "run", "method=my_mcd", *TOY, "--out", str(out)]) == 0
        assert f"run {folder.name} was made with plugins (my_mcd.py" in capsys.readouterr().err
        assert (folder / "stale" / "record.stale.json").exists()
        assert torch.load(folder / "checkpoints" / "last.ckpt", weights_only=True)["global_step"] == 40 * (3 + 2)
        # a run that uses no part of the plugin keeps the id and record it has without it
        _, with_plugin = run_in_process(capsys, tmp_path / "b", "--plugin", str(plugin), "method=source_only", *TOY)
    assert plain.name == with_plugin.name
    assert not list((tmp_path / "b").rglob("plugins.json"))
