"""Divergence is caught without a host synchronisation per training step."""

from __future__ import annotations

import sys

import pytest
import torch
from helpers import TOY_RUN as TOY

from da_bench.config import RunConfig
from da_bench.methods import DivergedError, Method, method_class
from da_bench.methods.divergence import NonFiniteFlag
from da_bench.runner.execute import execute

SYNCS = ("__bool__", "__float__", "__int__", "item", "tolist", "cpu")


def test_the_flag_names_the_range_since_the_last_check():
    flag = NonFiniteFlag()
    flag.add(torch.tensor(1.0), 3)
    flag.check(3)  # finite: nothing raised, the range starts again
    for batch, value in [(4, 1.0), (5, float("nan")), (6, 2.0)]:
        flag.add(torch.tensor(value), batch)
    with pytest.raises(DivergedError, match="^loss became non-finite at a step between 4 and 6 \\(diverged\\); lower"):
        flag.check(6)
    flag.check(7)  # the flag was cleared by the check that raised
    flag.add(torch.tensor(float("inf")), 8)
    with pytest.raises(DivergedError, match="at step 8 "):
        flag.check(8)


def test_a_loss_that_turns_nan_fails_the_run_before_its_evaluation_and_checkpoint(tmp_path, monkeypatch):
    supervised = Method.supervised_loss

    def nan_from_batch_25(self, features, labels):
        loss, logits = supervised(self, features, labels)
        return (loss * float("nan") if self.steps_done >= 25 else loss), logits

    monkeypatch.setattr(Method, "supervised_loss", nan_from_batch_25)
    record = execute(RunConfig(**TOY, method="dann"), tmp_path)
    assert record["status"] == "failed"
    assert record["reason"] == "diverged: loss became non-finite at a step between 20 and 29 (diverged); lower the learning rate or the loss weights"
    assert [p["step"] for p in record["history"]] == [10, 20]  # the points before the divergence are kept, none after
    # the range: the batches since the last check (the evaluation after batch 19), to the one before this evaluation
    checkpoint = torch.load(tmp_path / "runs" / record["run_id"] / "checkpoints" / "last.ckpt", weights_only=True)
    assert checkpoint["global_step"] == 20  # the rolling checkpoint was not overwritten by a diverged model


@pytest.mark.parametrize("method", ["dann", "mcd", "adda"])
def test_no_host_synchronisation_in_a_training_step_that_does_not_log(tmp_path, monkeypatch, method):
    """CPU cannot count device waits, so count the tensor calls that would force one on a GPU, made inside training
    steps; with ``log_every_n_steps`` 50 and 40 batches no step logs, and before this change every step made one.
    ADDA's switch to its second stage (one batch) copies the source encoder and may wait. Calls from torch.optim are
    not counted: Adam's step counters live on the host (``state["step"]`` is a CPU tensor off the fused path)."""
    calls: list[int] = []  # the training batch of each call
    inside: list[int | None] = [None]
    for name in SYNCS:
        original = getattr(torch.Tensor, name)

        def counted(self, *args, _name=name, _original=original, **kwargs):
            if inside[0] is not None and "torch/optim" not in sys._getframe(1).f_code.co_filename:
                calls.append(inside[0])
            return _original(self, *args, **kwargs)

        monkeypatch.setattr(torch.Tensor, name, counted)
    cfg = RunConfig(**TOY, method=method)
    cls = method_class(cfg)
    training_step = cls.training_step

    def watched(self, batch, batch_idx):
        inside[0] = self.steps_done
        try:
            return training_step(self, batch, batch_idx)
        finally:
            inside[0] = None

    monkeypatch.setattr(cls, "training_step", watched)
    record = execute(cfg, tmp_path)
    assert record["status"] == "done"
    stage_switch = {round(0.5 * cfg.steps)} if method == "adda" else set()  # ADDA's default pretrain_fraction
    assert set(calls) <= stage_switch
