"""One run: exact resume after a kill between evaluations, safe checkpoint loading, set-up errors."""

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch

from da_bench.cli import main
from da_bench.config import from_dict
from da_bench.runner.execute import execute, metrics_csv, run_dir

# DANN with the paper's ReLU-Dropout discriminator: its dropout draws from torch's global generator every step
DROPOUT_DANN = {
    "method": "dann",
    "backbone": "mlp",
    "backbone_args": {"hidden": [16]},
    "head_hidden": [],
    "source": "moons",
    "target": "moons_rot35",
    "steps": 150,
    "eval_every": 75,
    "batch_size": 32,
    "validator_samples": 100,
    "threads": 1,
    "losses": {"dann": {"batch_norm": False, "width": 32}},
}

KILL_AT_STEP = textwrap.dedent("""
    import os, sys
    from pathlib import Path
    import pytorch_lightning as pl
    import da_bench.runner.execute as ex
    from da_bench.builtins import import_builtins
    from da_bench.config import from_dict

    class Kill(pl.Callback):  # dies like a SIGKILL: no clean-up, no record
        def on_train_batch_start(self, trainer, *args):
            if trainer.global_step == int(sys.argv[2]):
                os._exit(9)

    make_trainer = ex.make_trainer
    ex.make_trainer = lambda cfg, folder: make_trainer(cfg, folder, [Kill()])
    import_builtins()
    ex.execute(from_dict(eval(sys.argv[3])), Path(sys.argv[1]))
""")


def test_run_killed_between_evaluations_resumes_bit_for_bit(tmp_path):
    cfg = from_dict(DROPOUT_DANN)
    whole = execute(cfg, tmp_path / "whole")
    killed = subprocess.run([sys.executable, "-c", KILL_AT_STEP, str(tmp_path / "resumed"), "120", repr(DROPOUT_DANN)], capture_output=True, text=True)
    assert killed.returncode == 9, killed.stderr[-2000:]
    folder = run_dir(cfg, tmp_path / "resumed")
    assert not (folder / "record.json").exists() and (folder / "checkpoints" / "last.ckpt").exists()
    resumed = execute(cfg, tmp_path / "resumed")
    assert resumed["resumed_from_step"] == 75
    assert resumed["history"] == whole["history"]  # every evaluation point, every validator score, exactly
    assert metrics_csv(folder).read_text() == metrics_csv(run_dir(cfg, tmp_path / "whole")).read_text()
    assert "train/loss" in metrics_csv(folder).read_text()  # training rows on both sides of the checkpoint (steps 49 and 149)


class WritesAMarker:
    """Unpickling this runs ``open(marker, "w")``: what a crafted checkpoint could do with any code."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return open, (str(self.marker), "w")


TOY = {
    "backbone": "mlp",
    "head_hidden": [],
    "source": "moons",
    "target": "moons_rot35",
    "steps": 20,
    "eval_every": 10,
    "batch_size": 16,
    "validator_samples": 50,
    "threads": 1,
}


def test_crafted_checkpoint_is_set_aside_without_running_its_code(tmp_path, capsys):
    cfg = from_dict(TOY)
    checkpoint = run_dir(cfg, tmp_path) / "checkpoints" / "last.ckpt"
    checkpoint.parent.mkdir(parents=True)
    marker = tmp_path / "pwned"
    torch.save({"global_step": 10, "payload": WritesAMarker(marker)}, checkpoint)
    record = execute(cfg, tmp_path)
    assert not marker.exists()
    assert record["status"] == "done" and record["resumed_from_step"] is None  # started afresh
    assert checkpoint.with_suffix(".corrupt").exists()
    err = capsys.readouterr().err
    assert "does not load safely" in err and "last.corrupt" in err


def test_setup_error_raises_or_becomes_a_failed_record(tmp_path):
    cfg = from_dict({**TOY, "source": "usps", "target": "mnist", "data_root": str(tmp_path / "empty")})
    with pytest.raises(Exception, match="usps"):
        execute(cfg, tmp_path / "out")
    assert not (run_dir(cfg, tmp_path / "out") / "record.json").exists()
    record = execute(cfg, tmp_path / "out", record_setup_errors=True)
    assert record["status"] == "failed" and "usps" in record["reason"]
    assert json.loads((run_dir(cfg, tmp_path / "out") / "record.json").read_text())["reason"] == record["reason"]


def read_only_folder(tmp_path: Path) -> Path:
    if os.geteuid() == 0:  # root writes through permission bits; /proc takes no new files from anyone
        return Path("/proc")
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    return folder


@pytest.mark.parametrize("kind,fragment", [("file", "is an existing file"), ("read-only", "is not writable")])
def test_an_out_that_cannot_hold_runs_is_one_sentence_before_anything_runs(tmp_path, capsys, kind, fragment):
    (tmp_path / "file").write_text("not a folder")
    out = tmp_path / "file" if kind == "file" else read_only_folder(tmp_path)
    assert main(["run", *(f"{k}={v}" for k, v in TOY.items() if k != "head_hidden"), "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert err == err.splitlines()[0] and fragment in err and f"'{out}'" in err
