"""CORAL (Sun, Feng & Saenko, "Return of Frustratingly Easy Domain Adaptation", AAAI 2016, Algorithm 1).

Source features are whitened with their own regularised covariance and re-coloured with the target's:
``Cs = cov(Ds) + reg I``, ``Ct = cov(Dt) + reg I``, ``Ds* = Ds Cs^{-1/2} Ct^{1/2}`` (Eq. 1-5; ``reg = 1`` is the
paper's ``eye(size(Ds, 2))``). Target features are left as they are; the classifier trains on ``Ds*``.
"""

from __future__ import annotations

import numpy as np

from da_bench.classic.base import ClassicEstimator


def matrix_power(C: np.ndarray, p: float) -> np.ndarray:
    """``C^p`` of a symmetric positive definite matrix."""
    w, V = np.linalg.eigh(C)
    return (V * w**p) @ V.T


class CORAL(ClassicEstimator):
    """Correlation alignment of the source to the target covariance, regulariser ``reg``."""

    def __init__(self, reg: float = 1.0, classifier=None) -> None:
        self.reg, self.classifier = reg, classifier

    def _adapt(self, Xs, ys, Xt, yt) -> None:
        if self.reg <= 0:
            raise ValueError(f"CORAL needs reg > 0 (it keeps the covariances invertible), got reg={self.reg}.")
        eye = self.reg * np.eye(Xs.shape[1])
        self.map_ = matrix_power(np.cov(Xs, rowvar=False) + eye, -0.5) @ matrix_power(np.cov(Xt, rowvar=False) + eye, 0.5)

    def transform(self, X, domain: str = "target") -> np.ndarray:
        X = np.asarray(X, dtype=np.float64)
        return X @ self.map_ if domain == "source" else X
