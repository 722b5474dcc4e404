"""Confusion matrix and per-class accuracy against hand counts."""

import numpy as np
import pytest
from PIL import Image

from da_bench.analysis.per_class import confusion_matrix, mean_per_class, per_class_accuracy, plot_confusion

LABELS = np.array([0, 0, 0, 1, 1, 2])
PREDICTED = np.array([0, 1, 0, 1, 1, 0])


def test_confusion_rows_are_true_classes():
    assert confusion_matrix(LABELS, PREDICTED, 4).tolist() == [[2, 1, 0, 0], [0, 2, 0, 0], [1, 0, 0, 0], [0, 0, 0, 0]]


def test_per_class_and_mean_over_present_classes():
    accuracies = per_class_accuracy(confusion_matrix(LABELS, PREDICTED, 4))
    assert accuracies[:3] == pytest.approx([2 / 3, 1.0, 0.0])
    assert accuracies[3] is None  # class 3 has no samples
    assert mean_per_class(accuracies) == pytest.approx((2 / 3 + 1 + 0) / 3)
    assert mean_per_class([None, None]) is None


def test_confusion_png(tmp_path):
    path = plot_confusion(confusion_matrix(LABELS, PREDICTED, 4), tmp_path / "c.png", "toy")
    with Image.open(path) as image:
        assert image.format == "PNG" and image.width >= 200 and image.height >= 200
