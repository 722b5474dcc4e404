"""Loading a run for analysis: one sentence naming the problem and the fix for each run that cannot be analysed."""

import re

import pytest
import torch
from helpers import fake_record
from torchvision import transforms

from da_bench.analysis.load import CHECKPOINT, AnalysisError, NotAnalysable, evaluation_split, finished_record, load_checkpoint
from da_bench.data.domains import Split
from da_bench.data.images import Transformed


def run(tmp_path, status="done", method="dann", checkpoint=True):
    fake_record(tmp_path, "r1", method, "mnist5k", "mnistm_like", 0, 0.5, status=status)
    folder = tmp_path / "runs" / "r1"
    if checkpoint:
        (folder / CHECKPOINT).parent.mkdir(parents=True)
        torch.save({"state_dict": {}, "global_step": 3}, folder / CHECKPOINT)
    return folder


def test_finished_deep_run_with_checkpoint(tmp_path):
    assert finished_record(run(tmp_path))["run_id"] == "r1"


@pytest.mark.parametrize(
    "kwargs, error, fragment",
    [
        ({"status": "failed"}, NotAnalysable, "failed (boom); fix the cause and rerun it"),
        ({"status": "running"}, NotAnalysable, "is not finished (status 'running'); let it finish"),
        ({"method": "tca", "checkpoint": False}, NotAnalysable, "classic feature-level method ('tca')"),
        ({"checkpoint": False}, AnalysisError, "has no checkpoints/last.ckpt to rebuild its network from; rerun it"),
    ],
)
def test_runs_that_cannot_be_analysed(tmp_path, kwargs, error, fragment):
    with pytest.raises(error, match=re.escape(fragment)) as caught:
        finished_record(run(tmp_path, **kwargs))
    assert "\n" not in str(caught.value)


def test_folder_without_record(tmp_path):
    with pytest.raises(AnalysisError, match="has no readable record.json; pass a run folder"):
        finished_record(tmp_path)


def test_checkpoint_that_runs_code_is_refused(tmp_path):
    folder = run(tmp_path, checkpoint=False)
    (folder / CHECKPOINT).parent.mkdir(parents=True)
    torch.save({"state_dict": {}, "thing": Split}, folder / CHECKPOINT)  # a class: unpickling it needs code
    with pytest.raises(AnalysisError, match="does not load safely .*; rerun the run"):
        load_checkpoint(folder)


class FakeDataModule:
    def __init__(self, augment, evaluate) -> None:
        base = [(torch.zeros(3, 4, 4), 0)]
        self.splits = {"source_train": Split(Transformed(base, augment), torch.zeros(1)), "source_val": Split(Transformed(base, evaluate), torch.zeros(1))}


def test_source_train_images_read_with_evaluation_preprocessing():
    augment, evaluate = transforms.RandomErasing(p=1.0), transforms.Lambda(lambda x: x + 1)
    dm = FakeDataModule(augment, evaluate)
    split = evaluation_split(dm, "source_train")
    assert split.x.transform is evaluate and split.x.base is dm.splits["source_train"].x.base
    assert evaluation_split(dm, "source_val") is dm.splits["source_val"]
