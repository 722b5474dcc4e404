"""Expected calibration error and the reliability diagram (Guo et al., "On Calibration of Modern Neural Networks",
ICML 2017, Sec. 2). The predictions fall into M equal-width confidence bins I_m = ((m - 1) / M, m / M] by their
confidence p^ = max_k softmax(z)_k; acc(B_m) and conf(B_m) are the accuracy and the mean confidence of bin m
(Eqs. 1, 2), and ECE = sum_m |B_m| / n * |acc(B_m) - conf(B_m)| (Eq. 3), empty bins adding nothing. M = 15 as
in the paper's experiments.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.special import softmax

from da_bench.analysis.figures import pyplot, save

BINS = 15


@dataclass(frozen=True)
class Reliability:
    edges: np.ndarray  # M + 1 bin edges, 0 to 1
    counts: np.ndarray  # |B_m|
    accuracy: np.ndarray  # acc(B_m), NaN for an empty bin
    confidence: np.ndarray  # conf(B_m), NaN for an empty bin

    @property
    def ece(self) -> float:
        """Eq. 3 of Guo et al.: the bins' |acc - conf| weighted by their share of the predictions."""
        filled = self.counts > 0
        gaps = np.abs(self.accuracy[filled] - self.confidence[filled])
        return float((self.counts[filled] * gaps).sum() / self.counts.sum())


def confidence_and_prediction(logits: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """p^ = max_k softmax(z)_k and the predicted class argmax_k z_k, per row of ``logits``."""
    probs = softmax(logits.astype(np.float64), axis=1)
    return probs.max(1), probs.argmax(1)


def reliability(confidence: np.ndarray, correct: np.ndarray, bins: int = BINS) -> Reliability:
    """Bin the predictions by confidence into ((m - 1) / M, m / M] (a confidence of exactly 0 joins the first bin)."""
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.searchsorted(edges, confidence, side="left") - 1, 0, bins - 1)
    counts = np.bincount(which, minlength=bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        accuracy = np.bincount(which, weights=correct.astype(np.float64), minlength=bins) / counts
        mean_confidence = np.bincount(which, weights=confidence.astype(np.float64), minlength=bins) / counts
    return Reliability(edges, counts, accuracy, mean_confidence)


def plot_reliability(rel: Reliability, path: Path, title: str) -> Path:
    """Guo et al.'s Fig. 1 layout: the share of predictions per bin above, accuracy per bin (with its gap to the
    bin's mean confidence) below, the diagonal where a calibrated model lies."""
    plt = pyplot()
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(4.2, 5.4), sharex=True, gridspec_kw={"height_ratios": [1, 2.4]})
    centres, width = (rel.edges[:-1] + rel.edges[1:]) / 2, rel.edges[1] - rel.edges[0]
    top.bar(centres, rel.counts / rel.counts.sum(), width=width, color="tab:blue", edgecolor="black", linewidth=0.5)
    top.set_ylabel("share of samples")
    top.set_title(title, fontsize=9)
    filled = rel.counts > 0
    accuracy = np.where(filled, rel.accuracy, 0.0)
    bottom.bar(centres, accuracy, width=width, color="tab:blue", edgecolor="black", linewidth=0.5, label="accuracy")
    gap = np.where(filled, rel.confidence - accuracy, 0.0)
    bottom.bar(centres, gap, bottom=accuracy, width=width, color="tab:red", alpha=0.35, edgecolor="tab:red", linewidth=0.5, label="gap to confidence")
    bottom.plot([0, 1], [0, 1], "--", color="gray", linewidth=1)
    bottom.text(0.04, 0.9, f"ECE = {100 * rel.ece:.2f} %  ({len(rel.counts)} bins)", transform=bottom.transAxes, fontsize=9)
    bottom.set(xlim=(0, 1), ylim=(0, 1), xlabel="confidence", ylabel="accuracy")
    bottom.legend(loc="lower right", fontsize=8)
    return save(fig, path)
