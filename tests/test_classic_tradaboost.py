"""TrAdaBoost (Dai et al. 2007, Algorithm 1): one round's weight update by hand, conflicting source samples fade out,
and boosting stops where the weighted target error reaches 1/2 (hand-scripted learners)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin

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


class ScriptedLearner(ClassifierMixin, BaseEstimator):
    """The learner fitted in round k predicts column k of X (rounds counted by the class, reset by each test)."""

    fitted = 0

    def fit(self, X, y, sample_weight=None):
        self.column_, self.classes_ = ScriptedLearner.fitted, np.unique(y)
        ScriptedLearner.fitted += 1
        return self

    def predict(self, X):
        return X[:, min(self.column_, X.shape[1] - 1)].astype(int)


def scripted(round_1_target, round_2_target):
    """4 source rows every round gets right, 4 labeled target rows (labels 0 1 0 1) with the scripted predictions."""
    ys = yt = np.array([0, 1, 0, 1])
    xs = np.c_[ys, ys, ys]
    xt = np.c_[round_1_target, round_2_target, round_2_target]
    return xs, ys, xt, yt


def test_boosting_stops_when_the_target_error_reaches_one_half():
    # round 1 errs on target row 0 only: eps_1 = 1/4, beta_1 = 1/3, the row's weight grows to 3;
    # round 2 errs on rows 0 and 1: eps_2 = (3 + 1) / 6 = 2/3 >= 1/2, so N' = 1 and the output is round 1 alone
    ScriptedLearner.fitted = 0
    xs, ys, xt, yt = scripted([1, 1, 0, 1], [1, 0, 0, 1])
    boost = TrAdaBoost(rounds=4, classifier=ScriptedLearner()).fit(xs, ys, xt, yt)
    assert len(boost.learners_) == 1 and np.allclose(boost.betas_, [1 / 3])
    assert np.allclose(boost.errors_, [1 / 4, 2 / 3])
    assert np.allclose(boost.weights_[0][4:], [3, 1, 1, 1])
    assert (boost.predict(np.array([[0, 1, 1], [1, 0, 0]])) == [0, 1]).all()  # round 1's column, not rounds 2-4's


def test_a_first_round_at_one_half_is_refused():
    ScriptedLearner.fitted = 0
    xs, ys, xt, yt = scripted([1, 0, 0, 1], [0, 1, 0, 1])  # eps_1 = 2/4 exactly: beta_1 = 1
    with pytest.raises(ValueError, match="errs on 50% of the labeled target samples"):
        TrAdaBoost(rounds=4, classifier=ScriptedLearner()).fit(xs, ys, xt, yt)
