"""Methods that own their training step: several optimiser steps per batch, progress and steps counted in batches,
one learning-rate schedule step per batch, and an exact resume after a kill."""

import csv
import subprocess
import sys
import textwrap

import pytest
import torch

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
KILL_AT_BATCH = textwrap.dedent("""
    import os, sys
    from pathlib import Path
    import pytorch_lightning as pl
    import da_bench.runner.execute as ex
    from da_bench.builtins import import_builtins
    from da_bench.config import from_dict
    from da_bench.registry import METHODS, load_plugin_file

    class Kill(pl.Callback):  # dies like a SIGKILL: no clean-up, no record
        def on_train_batch_start(self, trainer, *args):
            if trainer.fit_loop.epoch_loop.batch_progress.total.completed == int(sys.argv[2]):
                os._exit(9)

    make_trainer = ex.make_trainer
    ex.make_trainer = lambda cfg, folder: make_trainer(cfg, folder, [Kill()])
    import_builtins()
    load_plugin_file(sys.argv[4])
    ex.execute(from_dict(eval(sys.argv[3])), Path(sys.argv[1]))
""")


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
    whole = execute(cfg, tmp_path / "whole")
    killed = subprocess.run([sys.executable, "-c", KILL_AT_BATCH, str(tmp_path / "resumed"), "120", repr(TOY), str(plugin)], capture_output=True, text=True)
    assert killed.returncode == 9, killed.stderr[-2000:]
    folder = run_dir(cfg, tmp_path / "resumed")
    assert not (folder / "record.json").exists()
    resumed = execute(cfg, tmp_path / "resumed")
    assert resumed["resumed_from_step"] == 75  # batches, where Lightning's global step is 225
    assert resumed["history"] == whole["history"]
    log = metrics_csv(folder).read_text()
    assert log == metrics_csv(run_dir(cfg, tmp_path / "whole")).read_text()
    assert [int(r["step"]) for r in csv.DictReader(log.splitlines()) if r.get("train/loss")] == [49, 99, 149]  # no row lost or doubled


def test_custom_step_needs_target_data(plugin, tmp_path):
    with pytest.raises(ValueError, match="Mode 'dg' never shows target data to training, so method 'three_steps_probe' cannot run"):
        execute(from_dict({**TOY, "mode": "dg"}), tmp_path)
