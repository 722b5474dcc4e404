"""Subspace Alignment (Fernando, Habrard, Sebban & Tuytelaars, "Unsupervised Visual Domain Adaptation Using
Subspace Alignment", ICCV 2013).

With the ``dim`` leading PCA directions Xs, Xt of each domain (d x dim), the alignment ``M = Xs^T Xt`` (Eq. 3)
maps source data to ``S Xs M`` (the target-aligned source coordinate system Xa = Xs Xs^T Xt) and target data to
``T Xt`` (Algorithm 1).
"""

from __future__ import annotations

import numpy as np

from da_bench.classic.base import ClassicEstimator
from da_bench.classic.subspace import pca_basis


class SA(ClassicEstimator):
    """Subspace alignment of ``dim``-dimensional PCA subspaces."""

    def __init__(self, dim: int = 80, classifier=None) -> None:
        self.dim, self.classifier = dim, classifier

    def _adapt(self, Xs, ys, Xt, yt) -> None:
        self.source_basis_, self.target_basis_ = pca_basis(Xs, self.dim), pca_basis(Xt, self.dim)
        self.alignment_ = self.source_basis_.T @ self.target_basis_

    def transform(self, X, domain: str = "target") -> np.ndarray:
        X = np.asarray(X, dtype=np.float64)
        return X @ self.source_basis_ @ self.alignment_ if domain == "source" else X @ self.target_basis_
