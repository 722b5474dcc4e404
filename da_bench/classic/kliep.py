"""KLIEP (Sugiyama, Nakajima, Kashima, von Bünau & Kawanabe, "Direct Importance Estimation with Model Selection
and Its Application to Covariate Shift Adaptation", NeurIPS 2007).

The importance ``w(x) = p_t(x) / p_s(x)`` is modelled as ``sum_l alpha_l exp(-||x - c_l||^2 / 2 sigma^2)`` with
centres c_l drawn from the target (Eq. 3); alpha maximises the target log-likelihood ``sum_j log w(xt_j)`` subject to
``mean_i w(xs_i) = 1`` and ``alpha >= 0`` (Eq. 4), by the paper's gradient ascent with projection (Fig. 1, the
authors' KLIEP.m: steps 10^3 ... 10^-3). The width sigma is chosen by likelihood cross-validation on the target
(Sec. 2.3, ``folds`` folds) among ``sigmas``, by default multiples of the median source-target distance.
"""

from __future__ import annotations

import numpy as np

from da_bench.classic.base import ClassicEstimator
from da_bench.classic.kernels import median_gamma, sq_distances

STEPS = 10.0 ** np.arange(3, -4, -1)


def _project(alpha: np.ndarray, b: np.ndarray) -> np.ndarray:
    """KLIEP_projection: onto b^T alpha = 1, then alpha >= 0, then rescaled so that b^T alpha = 1."""
    alpha = np.maximum(alpha + b * (1 - b @ alpha) / (b @ b), 0.0)
    return alpha / max(b @ alpha, 1e-300)


def fit_alpha(Kt: np.ndarray, b: np.ndarray, max_iter: int = 100) -> np.ndarray:
    """alpha maximising mean(log(Kt alpha)) s.t. b^T alpha = 1, alpha >= 0 (Kt: target x centres; b: mean source kernel)."""
    alpha = _project(np.ones(Kt.shape[1]), b)
    score = np.mean(np.log(np.maximum(Kt @ alpha, 1e-300)))
    for step in STEPS:
        for _ in range(max_iter):
            new = _project(alpha + step * Kt.T @ (1.0 / np.maximum(Kt @ alpha, 1e-300)), b)
            new_score = np.mean(np.log(np.maximum(Kt @ new, 1e-300)))
            if new_score <= score:
                break
            alpha, score = new, new_score
    return alpha


class KLIEP(ClassicEstimator):
    """Importance weights by KLIEP with ``centers`` target centres and a cross-validated Gaussian width."""

    reweights_source = True
    default_classifier = "logreg"

    def __init__(self, sigmas: list[float] | None = None, centers: int = 100, folds: int = 5, seed: int = 0, classifier=None) -> None:
        self.sigmas, self.centers, self.folds, self.seed, self.classifier = sigmas, centers, folds, seed, classifier

    def _gauss(self, X: np.ndarray, sigma: float) -> np.ndarray:
        return np.exp(-sq_distances(X, self.centers_) / (2 * sigma**2))

    def _cv_score(self, Xs: np.ndarray, Xt: np.ndarray, sigma: float, rng: np.random.Generator) -> float:
        b = self._gauss(Xs, sigma).mean(0)
        Kt = self._gauss(Xt, sigma)
        fold = rng.permutation(len(Xt)) % self.folds
        return float(np.mean([np.mean(np.log(np.maximum(Kt[fold == k] @ fit_alpha(Kt[fold != k], b), 1e-300))) for k in range(self.folds)]))

    def _adapt(self, Xs, ys, Xt, yt) -> None:
        rng = np.random.default_rng(self.seed)
        self.centers_ = Xt[np.sort(rng.permutation(len(Xt))[: self.centers])]
        base = np.sqrt(0.5 / median_gamma(Xs, Xt))  # 2 sigma^2 = the median squared source-target distance
        sigmas = self.sigmas or [base * f for f in (0.25, 0.5, 1.0, 2.0, 4.0)]
        scores = [self._cv_score(Xs, Xt, s, np.random.default_rng(self.seed)) for s in sigmas]
        self.sigma_ = float(sigmas[int(np.argmax(scores))])
        alpha = fit_alpha(self._gauss(Xt, self.sigma_), self._gauss(Xs, self.sigma_).mean(0))
        self.sample_weight_ = self._gauss(Xs, self.sigma_) @ alpha
