"""Geodesic Flow Kernel (Gong, Shi, Sha & Grauman, "Geodesic Flow Kernel for Unsupervised Domain Adaptation", CVPR 2012).

The source and target PCA subspaces Ps, Pt (d x dim) are joined by the geodesic Phi(t) on the Grassmannian
(Eq. 2-3); ``G = int_0^1 Phi(t) Phi(t)^T dt`` (Eq. 6) has the closed form of Eq. 7, with the principal angles
theta from the SVD ``Ps^T Pt = U1 cos(theta) V^T`` and ``U2 sin(theta) = -(I - Ps Ps^T) Pt V`` (the CS decomposition
that the authors' GFK.m gets from ``gsvd``, written here in d dimensions without the null space of Ps):

    G = [Ps U1, U2] [[L1, L2], [L2, L3]] [Ps U1, U2]^T,
    L1 = (1 + sin 2theta / 2theta) / 2,  L2 = (cos 2theta - 1) / 4theta,  L3 = (1 - sin 2theta / 2theta) / 2.

Samples compare by ``(x - y)^T G (x - y)`` (the authors' kernel 1-NN); ``transform`` returns ``x G^{1/2}`` so that
any classifier sees the same geometry.
"""

from __future__ import annotations

import numpy as np

from da_bench.classic.base import ClassicEstimator
from da_bench.classic.subspace import pca_basis

TINY = 1e-12


def geodesic_flow_kernel(Ps: np.ndarray, Pt: np.ndarray) -> np.ndarray:
    """G (d x d) of Eq. 7 for orthonormal bases Ps, Pt of one dimension (dim < d / 2)."""
    U1, cos, Vt = np.linalg.svd(Ps.T @ Pt)
    theta = np.arccos(np.clip(cos, -1.0, 1.0))
    sin = np.sin(theta)
    residual = -(Pt @ Vt.T - Ps @ (U1 * cos))  # U2 sin(theta)
    U2 = np.where(sin > TINY, residual / np.maximum(sin, TINY), 0.0)  # a zero angle has no U2 direction (its L2, L3 vanish)
    t = np.maximum(theta, TINY)
    l1 = 0.5 * (1 + np.sin(2 * t) / (2 * t))
    l2 = 0.5 * (np.cos(2 * t) - 1) / (2 * t)
    l3 = 0.5 * (1 - np.sin(2 * t) / (2 * t))
    W1 = Ps @ U1
    return (W1 * l1) @ W1.T + (W1 * l2) @ U2.T + (U2 * l2) @ W1.T + (U2 * l3) @ U2.T


class GFK(ClassicEstimator):
    """Geodesic flow kernel between the ``dim``-dimensional PCA subspaces of source and target."""

    def __init__(self, dim: int = 20, classifier=None) -> None:
        self.dim, self.classifier = dim, classifier

    def _adapt(self, Xs, ys, Xt, yt) -> None:
        if 2 * self.dim >= Xs.shape[1]:
            raise ValueError(f"GFK needs dim below half the feature count ({Xs.shape[1]}), got dim={self.dim}.")
        self.G_ = geodesic_flow_kernel(pca_basis(Xs, self.dim), pca_basis(Xt, self.dim))
        w, V = np.linalg.eigh(self.G_)
        self.root_ = V * np.sqrt(np.clip(w, 0.0, None))  # G = root root^T

    def transform(self, X, domain: str = "target") -> np.ndarray:
        return np.asarray(X, dtype=np.float64) @ self.root_
