"""Confusion matrix and per-class accuracy on a labeled split: C[i, j] counts samples of class i predicted as j,
class i's accuracy is C[i, i] / sum_j C[i, j], and the mean per-class accuracy averages it over the classes present
(the metric VisDA-2017 reports, Peng et al. 2017)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from da_bench.analysis.figures import pyplot, save

ANNOTATE_UP_TO = 20  # classes; larger matrices are drawn without counts in the cells


def confusion_matrix(labels: np.ndarray, predicted: np.ndarray, num_classes: int) -> np.ndarray:
    """C[i, j]: the samples of true class i predicted as class j."""
    return np.bincount(labels * num_classes + predicted, minlength=num_classes * num_classes).reshape(num_classes, num_classes)


def per_class_accuracy(confusion: np.ndarray) -> list[float | None]:
    """C[i, i] / sum_j C[i, j] per class; None for a class with no samples."""
    totals = confusion.sum(1)
    return [float(confusion[i, i] / totals[i]) if totals[i] else None for i in range(len(confusion))]


def mean_per_class(accuracies: list[float | None]) -> float | None:
    """The mean over the classes that have samples."""
    present = [a for a in accuracies if a is not None]
    return float(np.mean(present)) if present else None


def plot_confusion(confusion: np.ndarray, path: Path, title: str) -> Path:
    """Rows normalised to the true class's samples (the diagonal is per-class accuracy), counts in the cells."""
    plt = pyplot()
    k = len(confusion)
    rates = confusion / np.maximum(confusion.sum(1, keepdims=True), 1)
    fig, ax = plt.subplots(figsize=(1.6 + 0.42 * k, 1.2 + 0.42 * k))
    image = ax.imshow(rates, cmap="Blues", vmin=0, vmax=1)
    fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04, label="share of the true class")
    if k <= ANNOTATE_UP_TO:
        for i, j in zip(*np.nonzero(confusion)):
            ax.text(j, i, str(confusion[i, j]), ha="center", va="center", fontsize=7, color="white" if rates[i, j] > 0.5 else "black")
    ax.set(xticks=range(k), yticks=range(k), xlabel="predicted class", ylabel="true class")
    ax.set_title(title, fontsize=9)
    ax.tick_params(labelsize=7)
    return save(fig, path)
