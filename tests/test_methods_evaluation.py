"""Evaluation points from hand-made logits: accuracies overall, per class and per task, validators where both
source validation and unlabeled target were seen, and nothing from the unlabeled split's (absent) labels."""

import math

import pytest
import torch

from da_bench.methods.evaluation import Collector, accuracy, evaluation_point
from da_bench.methods.tasks import task_table

ROLES = ["source_val", "target_test", "target_unlabeled"]


def logits_for(predictions: list[int], classes: int = 3) -> torch.Tensor:
    return torch.nn.functional.one_hot(torch.tensor(predictions), classes).float() * 4.0


def test_accuracy_overall_and_per_class_by_hand():
    labels = torch.tensor([0, 0, 1, 1, 2, 2])
    logits = logits_for([0, 1, 1, 1, 0, 0])
    assert accuracy(logits, labels, 3) == pytest.approx(3 / 6)
    assert accuracy(logits, labels, 3, per_class=True) == [0.5, 1.0, 0.0]


def test_point_from_batches_collected_in_pieces():
    collector = Collector()
    f = torch.randn(4, 5)
    parity = task_table({"parity": {"labels": "parity"}}, 3)
    # source validation in two batches: 3 of 4 right; parity predictions 2 of 4 right (labels 0,1,2,2 -> 0,1,0,0)
    collector.add(0, f[:2], logits_for([0, 1]), torch.tensor([0, 1]), {"parity": torch.tensor([1, 1])})
    collector.add(0, f[2:], logits_for([2, 0]), torch.tensor([2, 2]), {"parity": torch.tensor([0, 1])})
    collector.add(1, f[:2], logits_for([2, 2]), torch.tensor([2, 0]), {"parity": torch.tensor([0, 0])})
    collector.add(2, f, logits_for([0, 1, 2, 0]))
    point = evaluation_point(collector.take(), ROLES, parity, 3, step=40, progress=0.5)
    assert point["step"] == 40 and point["progress"] == 0.5
    assert point["source_val_acc"] == pytest.approx(0.75) and point["source_val_per_class"] == [1.0, 1.0, 0.5]
    assert point["source_val_parity_acc"] == pytest.approx(0.5)
    assert point["target_test_acc"] == pytest.approx(0.5) and point["target_test_parity_acc"] == pytest.approx(1.0)
    assert not any(key.startswith("target_unlabeled") for key in point)  # the unlabeled split has no accuracy
    # validators scored on source validation + unlabeled target, e.g. the mean negative entropy of the target predictions
    p = torch.softmax(torch.tensor([4.0, 0.0, 0.0]), 0)
    assert point["val_entropy"] == pytest.approx(float((p * p.log()).sum()), rel=1e-5)
    assert collector.take() == {}  # the buffers start empty again


def test_no_validators_without_unlabeled_target():
    collector = Collector()
    collector.add(0, torch.randn(2, 3), logits_for([0, 1]), torch.tensor([0, 0]))
    point = evaluation_point(collector.take(), ["source_val"], task_table({}, 3), 3, step=1, progress=1.0)
    assert set(point) == {"step", "progress", "source_val_acc", "source_val_per_class"}
    assert math.isclose(point["source_val_acc"], 0.5)
