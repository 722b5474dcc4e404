"""Label maps of multi-task heads, by hand on the ten digit classes."""

import pytest
import torch

from da_bench.methods.tasks import Task, task_table
from da_bench.registry import UnknownNameError

DIGITS = torch.arange(10)


def test_label_maps_by_hand():
    assert Task(2, 1.0, "parity").labels(DIGITS).tolist() == [0, 1, 0, 1, 0, 1, 0, 1, 0, 1]
    assert Task(2, 1.0, "ge5").labels(DIGITS).tolist() == [0, 0, 0, 0, 0, 1, 1, 1, 1, 1]
    assert Task(10, 1.0, "identity").labels(DIGITS).tolist() == list(range(10))


def test_table_puts_the_label_task_first_with_classes_and_weights():
    table = task_table({"parity": {"labels": "parity", "weight": 0.5}, "copy": {}}, 10)
    assert list(table) == ["label", "parity", "copy"]
    assert table["label"] == Task(10, 1.0, "identity") and table["parity"] == Task(2, 0.5, "parity") and table["copy"] == Task(10, 1.0, "identity")


def test_unknown_label_map_names_the_closest():
    with pytest.raises(UnknownNameError, match="Did you mean 'parity'"):
        task_table({"p": {"labels": "parityy"}}, 10)
