"""Kernel Mean Matching (Huang, Smola, Gretton, Borgwardt & Schölkopf, "Correcting Sample Selection Bias by
Unlabeled Data", NeurIPS 2006, Eq. 6-7).

Source weights beta solve the quadratic programme

    min_beta 1/2 beta^T K beta - kappa^T beta   s.t.  0 <= beta_i <= B,  |sum_i beta_i - ns| <= ns eps,

with ``K_ij = k(xs_i, xs_j)``, ``kappa_i = ns/nt sum_j k(xs_i, xt_j)``, and the paper's ``eps = (sqrt(ns) - 1) /
sqrt(ns)``. It is solved here by accelerated projected gradient (FISTA, Beck & Teboulle 2009) with an exact
projection onto the box-and-slab constraint set; the classifier then trains on the weighted source.
"""

from __future__ import annotations

import numpy as np
from scipy.sparse.linalg import eigsh

from da_bench.classic.base import ClassicEstimator
from da_bench.classic.kernels import kernel, median_gamma


def project_box_slab(v: np.ndarray, upper: float, lo: float, hi: float) -> np.ndarray:
    """Euclidean projection of v onto {0 <= b <= upper, lo <= sum(b) <= hi}: clip(v - tau), tau by bisection."""
    b = np.clip(v, 0.0, upper)
    total = b.sum()
    if lo <= total <= hi:
        return b
    goal = lo if total < lo else hi
    left, right = v.min() - upper, v.max()  # sum(clip(v - tau)) falls from n*upper to 0 over [left, right]
    for _ in range(100):
        tau = 0.5 * (left + right)
        if np.clip(v - tau, 0.0, upper).sum() > goal:
            left = tau
        else:
            right = tau
    return np.clip(v - 0.5 * (left + right), 0.0, upper)


def solve_kmm(K: np.ndarray, kappa: np.ndarray, upper: float, eps: float, iterations: int = 2000, tol: float = 1e-8) -> np.ndarray:
    """The KMM weights for kernel K (ns x ns) and kappa (ns,)."""
    ns = len(kappa)
    lo, hi = ns * (1 - eps), ns * (1 + eps)
    step = 1.0 / max(float(eigsh(K, k=1, which="LA", return_eigenvectors=False)[0]), 1e-12)  # 1 / Lipschitz constant
    beta = project_box_slab(np.ones(ns), upper, lo, hi)
    y, t = beta, 1.0
    for _ in range(iterations):
        new = project_box_slab(y - step * (K @ y - kappa), upper, lo, hi)
        t_new = 0.5 * (1 + np.sqrt(1 + 4 * t * t))
        y = new + ((t - 1) / t_new) * (new - beta)
        done = np.abs(new - beta).max() <= tol * max(1.0, np.abs(new).max())
        beta, t = new, t_new
        if done:
            break
    return beta


class KMM(ClassicEstimator):
    """Kernel mean matching weights (bound ``B``; RBF ``gamma`` by default 1 / the median squared source-target distance)."""

    reweights_source = True
    default_classifier = "logreg"

    def __init__(self, gamma: float | None = None, B: float = 1000.0, eps: float | None = None, kernel: str = "rbf", classifier=None) -> None:
        self.gamma, self.B, self.eps, self.kernel, self.classifier = gamma, B, eps, kernel, classifier

    def kernel_sizes(self, ns: int, nt: int, d: int) -> list[int]:
        return [ns, ns, int(np.sqrt(ns * nt)) + 1]  # K, its working copy, the ns x nt cross kernel

    def _adapt(self, Xs, ys, Xt, yt) -> None:
        ns, nt = len(Xs), len(Xt)
        eps = (np.sqrt(ns) - 1) / np.sqrt(ns) if self.eps is None else self.eps
        gamma = median_gamma(Xs, Xt) if self.gamma is None else self.gamma
        K = kernel(self.kernel, Xs, gamma=gamma)
        kappa = (ns / nt) * kernel(self.kernel, Xs, Xt, gamma).sum(1)
        self.sample_weight_ = solve_kmm(K, kappa, self.B, eps)
