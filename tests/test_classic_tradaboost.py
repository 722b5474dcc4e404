"""TrAdaBoost (Dai et al. 2007, Algorithm 1): one round's weight update by hand, conflicting source samples fade out."""

from __future__ import annotations

import math

import numpy as np

from da_bench.classic.classifiers import logistic_regression
from da_bench.classic.tradaboost import TrAdaBoost


def conflicting(seed=0):
    rng = np.random.default_rng(seed)
    xs = rng.normal(size=(200, 2))
    ys = (xs[:, 0] > 0).astype(int)
    flipped = np.arange(200) < 60
    ys[flipped] = 1 - ys[flipped]  # a third of the source disagrees with the target concept
    xt = rng.normal(size=(100, 2))
    yt = np.full(100, -1)
    yt[:20] = (xt[:20, 0] > 0).astype(int)
    return xs, ys, xt, yt, flipped


def test_one_round_updates_weights_as_algorithm_1():
    xs, ys, xt, yt, _ = conflicting()
    boost = TrAdaBoost(rounds=1, classifier=logistic_regression()).fit(xs, ys, xt, yt)
    h = boost.learners_[0]
    X, y = np.vstack([xs, xt[:20]]), np.r_[ys, yt[:20]]
    wrong = h.predict(X) != y
    eps = wrong[200:].mean()  # uniform initial weights
    beta_t, beta = eps / (1 - eps), 1 / (1 + math.sqrt(2 * math.log(200) / 1))
    expected = np.where(wrong, np.r_[np.full(200, beta), np.full(20, 1 / beta_t)], 1.0)
    assert np.allclose(boost.weights_[0], expected)


def test_conflicting_source_samples_lose_weight():
    xs, ys, xt, yt, flipped = conflicting(1)
    boost = TrAdaBoost(rounds=10, classifier=logistic_regression()).fit(xs, ys, xt, yt)
    w = boost.weights_[-1][:200]
    assert w[flipped].mean() < 0.5 * w[~flipped].mean()
    assert (boost.predict(xt[20:]) == (xt[20:, 0] > 0)).mean() > 0.85
