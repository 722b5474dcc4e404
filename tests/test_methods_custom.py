"""Methods that own their training step: several optimiser steps per batch, progress and steps counted in batches,
one learning-rate schedule step per batch, and an exact resume after a kill."""

import csv
import textwrap

import pytest
import torch
from helpers import killed_and_resumed

from da_bench.config import from_dict
from da_bench.registry import METHODS, load_plugin_file
from da_bench.runner.execute import execute, metrics_csv, run_dir

# three optimiser steps per batch on the source loss, recording the progress each batch sees
PLUGIN = textwrap.dedent('''
    import torch.nn.functional as F
    from da_bench.methods import CustomStepMethod, register_method


    @register_method("three_steps_probe")
    class ThreeSteps(CustomStepMethod):
        """Three SGD steps per batch on the source cross-entropy."""

        seen = []

        def update(self, inputs):
            (opt,) = [self.optimizers()]
            type(self).seen.append((self.steps_done, self.progress, self.global_step))
            for _ in range(3):
                loss = F.cross_entropy(self.heads["label"](self.features(inputs.source)), inputs.source_labels)
                self.step(loss, opt)
            return {"loss": loss}
''')
TOY = {
    "method": "three_steps_probe",
    "source": "moons",
    "target": "moons_rot35",
    "backbone": "mlp",
    "backbone_args": {"hidden": [16]},
    "head_hidden": [],
    "batch_size": 32,
    "steps": 150,
    "eval_every": 75,
    "validator_samples": 100,
    "threads": 1,
}


@pytest.fixture(scope="module")
def plugin(tmp_path_factory):
    path = tmp_path_factory.mktemp("plugin") / "three_steps.py"
    path.write_text(PLUGIN)
    load_plugin_file(path)
    yield path
    METHODS._items.pop("three_steps_probe")  # other test modules see the built-in methods only


def test_progress_and_steps_count_batches_not_optimiser_steps(plugin, tmp_path):
    cls = METHODS.get("three_steps_probe")
    cls.seen.clear()
    record = execute(from_dict({**TOY, "steps": 20, "eval_every": 10}), tmp_path)
    assert record["status"] == "done", record.get("reason")
    # batch k sees k batches done, p = k / 20, and Lightning's global step at 3 optimiser steps per batch
    assert cls.seen == [(k, k / 20, 3 * k) for k in range(20)]
    assert [(p["step"], p["progress"]) for p in record["history"]] == [(10, 0.5), (20, 1.0)]
    ckpt = torch.load(run_dir(from_dict({**TOY, "steps": 20, "eval_every": 10}), tmp_path) / "checkpoints" / "last.ckpt", weights_only=True)
    assert ckpt["global_step"] == 60
    # the annealed schedule stepped once per batch: lr * (1 + 10 * 20/20) ** -0.75 after 20 batches (Ganin et al. 2016, Eq. 14)
    assert ckpt["lr_schedulers"][0]["_last_lr"] == pytest.approx([0.01 * 11**-0.75] * 2)  # heads, backbone


def test_custom_step_killed_between_evaluations_resumes_bit_for_bit(plugin, tmp_path):
    cfg = from_dict(TOY)
    whole, resumed = killed_and_resumed(TOY, tmp_path, 120, plugin)
    folder = run_dir(cfg, tmp_path / "resumed")
    assert resumed["resumed_from_step"] == 75  # batches, where Lightning's global step is 225
    assert resumed["history"] == whole["history"]
    log = metrics_csv(folder).read_text()
    assert log == metrics_csv(run_dir(cfg, tmp_path / "whole")).read_text()
    assert [int(r["step"]) for r in csv.DictReader(log.splitlines()) if r.get("train/loss")] == [49, 99, 149]  # no row lost or doubled


def test_custom_step_needs_target_data(plugin, tmp_path):
    with pytest.raises(ValueError, match="Mode 'dg' never shows target data to training, so method 'three_steps_probe' cannot run"):
        execute(from_dict({**TOY, "mode": "dg"}), tmp_path)
