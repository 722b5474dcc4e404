"""DDP runs on the CPU with 2 gloo processes against the one-process run: global batches shared out among the ranks,
the same weights and history, one record, resume across device counts, a rank's failure in the record, the CLI."""

import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
import pytorch_lightning as pl
import torch
from helpers import KILL_AT_BATCH, TOY_CLI, TOY_RUN, run_in_process

import da_bench.runner.execute as ex
from da_bench.config import from_dict
from da_bench.data.sharding import rank_share
from da_bench.runner.execute import execute, metrics_csv, run_dir

MAKE_TRAINER = ex.make_trainer
DDP = {"devices": 2, "strategy": "ddp"}
# no batch norm, no dropout, batch-mean losses: two ranks' averaged gradients are the one-process run's gradient
TOY = {**TOY_RUN, "steps": 8, "eval_every": 4}
DANN = {**TOY, "method": "dann", "lr": 0.05, "losses": {"dann": {"batch_norm": False, "dropout": 0.0, "width": 16}}}


class SeenBatches(pl.Callback):
    """Saves every training batch each rank receives as ``<rank>-<batch>.pt``."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx):
        done = trainer.fit_loop.epoch_loop.batch_progress.total.completed
        torch.save({"source": batch["source"][0], "target": batch["target"]}, self.folder / f"{trainer.global_rank}-{done}.pt")


def run(config: dict, out: Path, monkeypatch=None, seen: Path | None = None) -> tuple[dict, dict]:
    """The record of ``config`` under ``out`` and its last checkpoint's weights; ``seen``: where SeenBatches writes."""
    if seen is not None:
        seen.mkdir()
        monkeypatch.setattr(ex, "make_trainer", lambda cfg, folder: MAKE_TRAINER(cfg, folder, [SeenBatches(seen)]))
    cfg = from_dict(config)
    record = execute(cfg, out)
    return record, torch.load(run_dir(cfg, out) / "checkpoints" / "last.ckpt", weights_only=True)["state_dict"]


def max_difference(a: dict, b: dict) -> float:
    assert a.keys() == b.keys()
    return max(float((a[k].float() - b[k].float()).abs().max()) for k in a)


def assert_same_history(a: list[dict], b: list[dict], tol: float = 1e-4) -> None:
    assert len(a) == len(b) > 0
    for x, y in zip(a, b):
        assert x.keys() == y.keys()
        for key, value in x.items():
            assert value == pytest.approx(y[key], abs=tol), key


def test_rank_share_takes_a_contiguous_slice_of_every_global_batch():
    stream = torch.arange(12)  # three global batches of 4
    shares = [rank_share(stream, 4, SimpleNamespace(global_rank=r, world_size=2)) for r in (0, 1)]
    assert [size for _, size in shares] == [2, 2]
    assert shares[0][0].tolist() == [0, 1, 4, 5, 8, 9] and shares[1][0].tolist() == [2, 3, 6, 7, 10, 11]
    whole, size = rank_share(stream, 4, None)  # outside a Trainer: the whole batch
    assert torch.equal(whole, stream) and size == 4


def test_ddp_dann_trains_the_one_process_run_on_shared_out_batches(tmp_path, monkeypatch):
    one, one_weights = run(DANN, tmp_path / "one", monkeypatch, tmp_path / "seen_one")
    two, two_weights = run({**DANN, **DDP}, tmp_path / "two", monkeypatch, tmp_path / "seen_two")
    assert one["status"] == two["status"] == "done" and one["run_id"] == two["run_id"]
    for batch in range(DANN["steps"]):
        whole = torch.load(tmp_path / "seen_one" / f"0-{batch}.pt")
        halves = [torch.load(tmp_path / "seen_two" / f"{rank}-{batch}.pt") for rank in (0, 1)]
        for key in ("source", "target"):
            assert [len(h[key]) for h in halves] == [8, 8]  # each rank half of the global batch of 16 ...
            assert torch.equal(torch.cat([h[key] for h in halves]), whole[key])  # ... the two halves the one-process batch
    assert max_difference(one_weights, two_weights) < 1e-5
    assert max_difference(one_weights, run(DANN, tmp_path / "init")[1]) == 0.0  # the same run twice: bit for bit
    assert_same_history(one["history"], two["history"])
    assert two["provenance"]["device"] == "cpu" and two["provenance"]["peak_memory_mb"] > 0


@pytest.mark.parametrize("method", ["mcd", "adda"])
def test_ddp_manual_optimisation_writes_one_record_of_the_one_process_run(tmp_path, method):
    one, one_weights = run({**TOY, "method": method}, tmp_path / "one")
    two, two_weights = run({**TOY, "method": method, **DDP}, tmp_path / "two")
    assert two["status"] == "done", two.get("reason")
    folder = run_dir(from_dict({**TOY, "method": method}), tmp_path / "two")
    files = sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())
    assert files == ["checkpoints/last.ckpt", "lock", "logs/hparams.yaml", "logs/metrics.csv", "record.json"]  # written by rank 0 alone
    assert len(metrics_csv(folder).read_text().splitlines()) == 1 + 2  # the header and one row per evaluation
    assert max_difference(one_weights, two_weights) < 1e-5  # every optimiser step's gradients averaged over the ranks
    assert_same_history(one["history"], two["history"])


def test_one_process_run_killed_resumes_under_ddp(tmp_path):
    config = {**DANN, "steps": 12}
    whole = execute(from_dict(config), tmp_path / "whole")
    killed = subprocess.run([sys.executable, "-c", KILL_AT_BATCH, str(tmp_path / "resumed"), "6", repr(config)], capture_output=True, text=True)
    assert killed.returncode == 9, killed.stderr[-2000:]
    resumed = execute(from_dict({**config, **DDP}), tmp_path / "resumed")  # devices and strategy: the same run id
    assert resumed["status"] == "done" and resumed["resumed_from_step"] == 4
    assert_same_history(whole["history"], resumed["history"])
    rows = metrics_csv(run_dir(from_dict(config), tmp_path / "resumed")).read_text().splitlines()
    assert len(rows) == 1 + 3  # the header and one row per evaluation, written once


def test_a_rank_diverging_reaches_the_record(tmp_path):
    record = execute(from_dict({**DANN, **DDP, "lr": 1e12}), tmp_path)
    assert record["status"] == "failed" and record["reason"].startswith("diverged: loss became non-finite")


def test_cli_runs_ddp(tmp_path, capsys):
    record, folder = run_in_process(capsys, tmp_path, *TOY_CLI, "method=dann", "devices=2", "strategy=ddp")
    assert record["status"] == "done" and record["config"]["devices"] == 2
    assert len(record["history"]) == 2 and (folder / "checkpoints" / "last.ckpt").exists()
