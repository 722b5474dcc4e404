"""TrAdaBoost (Dai, Yang, Xue & Yu, "Boosting for Transfer Learning", ICML 2007, Algorithm 1).

The base classifier trains on the source (``Td``, n rows) and the few labeled target samples (``Ts``, m rows)
with weights ``p = w / sum(w)`` (passed times n + m, so that a regularised learner weighs its data as unweighted).
Each round t measures the weighted error on Ts (step 3),
``eps_t = sum_Ts w_i [h_t(x_i) != y_i] / sum_Ts w_i``, sets ``beta_t = eps_t / (1 - eps_t)`` and
``beta = 1 / (1 + sqrt(2 ln n / N))`` (step 4), then shrinks misclassified source weights by ``beta`` and grows
misclassified target weights by ``1 / beta_t`` (step 5). The output votes the rounds ``ceil(N/2) .. N`` with weights
``ln(1 / beta_t)``: for two classes exactly the paper's rule, for more the usual multi-class reading
(argmax of the weighted votes).

Algorithm 1 requires ``eps_t < 1/2`` (a note at steps 3-4; else ``beta_t >= 1``: the round would vote with weight
<= 0 and shrink the weights of the target samples it got wrong) but does not say what to do otherwise. As in
AdaBoost.M1 (Freund & Schapire, ICML 1996, Fig. 1: if eps_t > 1/2, set T = t - 1 and abort the loop), on which
Algorithm 1 is built, boosting stops at the first round with ``eps_t >= 1/2`` and the output votes the rounds
``ceil(N'/2) .. N'`` of the ``N' = t - 1`` kept. A round with ``eps_t = 0`` (``beta_t = 0``, an infinite vote) is
floored at ``eps_t = 1e-10``, so that such rounds vote equally and outvote the others.
"""

from __future__ import annotations

import math

import numpy as np

from da_bench.classic.base import UNLABELED, ClassicEstimator, fit_weighted

MIN_ERROR = 1e-10


class TrAdaBoost(ClassicEstimator):
    """TrAdaBoost with at most ``rounds`` boosting rounds over source plus labeled target samples (k_shot)."""

    uses_target_labels = True
    adapts_with_source_labels = True  # the boosting rounds
    reweights_source = True  # each round fits the base classifier with weights p: 1-NN is refused before any work
    default_classifier = "logreg"

    def __init__(self, rounds: int = 20, classifier=None) -> None:
        self.rounds, self.classifier = rounds, classifier

    def _adapt(self, Xs, ys, Xt, yt) -> None:
        if self.rounds < 1:
            raise ValueError(f"TrAdaBoost needs rounds >= 1, got rounds={self.rounds}.")
        labeled = yt != UNLABELED
        X, y = np.vstack([Xs, Xt[labeled]]), np.r_[ys, yt[labeled]]
        n = len(Xs)
        beta = 1.0 / (1.0 + math.sqrt(2.0 * math.log(n) / self.rounds))
        w = np.ones(len(X))
        self.learners_, self.betas_, self.weights_, self.errors_ = [], [], [], []
        for _ in range(self.rounds):
            h = fit_weighted(self.base_classifier(), X, y, w / w.mean())  # p = w / sum(w), scaled by the row count
            wrong = h.predict(X) != y
            eps = float(w[n:][wrong[n:]].sum() / w[n:].sum())
            self.errors_.append(eps)
            if eps >= 0.5:  # Algorithm 1 requires eps_t < 1/2: stop with N' = t - 1 (AdaBoost.M1)
                break
            beta_t = max(eps, MIN_ERROR) / (1.0 - eps)
            self.learners_.append(h)
            self.betas_.append(beta_t)
            w = w * np.where(wrong, np.r_[np.full(n, beta), np.full(len(X) - n, 1.0 / beta_t)], 1.0)
            self.weights_.append(w.copy())
        if not self.learners_:
            raise ValueError(
                f"TrAdaBoost's first learner errs on {eps:.0%} of the labeled target samples, but Algorithm 1 needs"
                " an error below 50%; label more target samples (k_shot) or choose another classifier."
            )

    def predict(self, X) -> np.ndarray:
        X = np.asarray(X, dtype=np.float64)
        first = math.ceil(len(self.learners_) / 2) - 1  # rounds ceil(N'/2) .. N', counted from 1
        votes = np.zeros((len(X), len(self.classes_)))
        for h, beta_t in zip(self.learners_[first:], self.betas_[first:]):
            votes[np.arange(len(X)), np.searchsorted(self.classes_, h.predict(X))] += math.log(1.0 / beta_t)
        return self.classes_[votes.argmax(1)]
