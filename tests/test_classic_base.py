"""The shared estimator shape: input checks in one sentence, weighted fitting, the no-adaptation baseline."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.neighbors import KNeighborsClassifier

from da_bench.classic.base import NoAdaptation, check_domains, fit_weighted
from da_bench.classic.classifiers import logistic_regression, one_nn
from da_bench.classic.tradaboost import TrAdaBoost


def blobs(seed: int = 0, n: int = 40, d: int = 3):
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 2
    return rng.normal(size=(n, d)) + 2.0 * y[:, None], y


def test_nan_and_infinite_features_are_refused_naming_the_row():
    x, y = blobs()
    bad = x.copy()
    bad[5, 1] = np.nan
    bad[7, 0] = np.inf
    with pytest.raises(ValueError, match=r"target features hold NaN or infinite values in 2 of 40 rows \(the first row 5\)"):
        check_domains(x, y, bad)


def test_feature_dimensions_must_agree():
    x, y = blobs()
    with pytest.raises(ValueError, match="3 dimensions but target features 4"):
        check_domains(x, y, np.zeros((5, 4)))


def test_one_label_per_row():
    x, y = blobs()
    with pytest.raises(ValueError, match="40 source rows with 39 labels"):
        check_domains(x, y[:-1], x)


def test_no_adaptation_is_the_plain_classifier():
    xs, ys = blobs(0)
    xt, _ = blobs(1)
    ours = NoAdaptation().fit(xs, ys, xt).predict(xt)
    reference = KNeighborsClassifier(1).fit(xs, ys).predict(xt)
    assert (ours == reference).all()


def test_weights_need_a_classifier_that_takes_them():
    x, y = blobs()
    with pytest.raises(ValueError, match="cannot use source sample weights"):
        fit_weighted(one_nn(), x, y, np.ones(len(y)))
    weighted = fit_weighted(logistic_regression(), x, y, np.r_[np.ones(20), np.zeros(20)])
    plain = logistic_regression().fit(x[:20], y[:20])
    assert np.allclose(weighted.coef_, plain.coef_, atol=1e-3)  # zero weight = sample left out


def test_a_method_that_needs_target_labels_says_so():
    x, y = blobs()
    with pytest.raises(ValueError, match="labels none; label a few"):
        TrAdaBoost().fit(x, y, x)
