"""Base classifiers by name, with their arguments and the run's seed."""

from __future__ import annotations

import numpy as np

from da_bench.classic.classifiers import CLASSIFIERS


def test_registered_names_and_one_nn_by_hand():
    assert {"1nn", "svm", "logreg"} <= set(CLASSIFIERS.names())
    clf = CLASSIFIERS.get("1nn")().fit(np.array([[0.0], [10.0]]), np.array([3, 7]))
    assert list(clf.predict(np.array([[4.9], [5.1]]))) == [3, 7]


def test_linear_classifiers_take_C_and_sample_weights():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(60, 2))
    y = (x[:, 0] > 0).astype(int)
    for name in ("svm", "logreg"):
        clf = CLASSIFIERS.get(name)(C=10.0, seed=1).fit(x, y, sample_weight=np.ones(60))
        assert (clf.predict(x) == y).mean() > 0.95
