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


def partly_labeled(seed: int = 0):
    x, y = blobs(seed, n=60, d=6)
    xt = blobs(seed + 1, n=50, d=6)[0] @ np.diag(np.linspace(0.5, 2.0, 6))
    ys = np.where(np.arange(60) < 20, y, -1)  # 10 labeled per class, 40 unlabeled source rows
    return x, y, ys, xt


def test_unlabeled_source_rows_shape_the_subspace_but_not_the_classifier():
    from da_bench.classic.sa import SA

    x, y, ys, xt = partly_labeled()
    partial, full = SA(dim=2).fit(x, ys, xt), SA(dim=2).fit(x, y, xt)
    assert np.allclose(partial.source_basis_, full.source_basis_)  # PCA of every source row, as the GFK and SA demos
    assert partial.classifier_.n_samples_fit_ == 20
    nn = one_nn().fit(full.transform(x[:20], "source"), y[:20])  # 1-NN on the labeled rows alone, by hand
    assert np.array_equal(partial.predict(xt), nn.predict(full.transform(xt)))


def test_reweighting_covers_every_source_row_and_the_classifier_takes_the_labeled_rows_weights():
    from da_bench.classic.kmm import KMM

    x, _, ys, xt = partly_labeled()
    kmm = KMM(gamma=0.5, classifier=logistic_regression()).fit(x, ys, xt)
    assert len(kmm.sample_weight_) == 60 and np.array_equal(kmm.labeled_weight_, kmm.sample_weight_[:20])


@pytest.mark.parametrize("method", ["jda", "tradaboost"])
def test_methods_learning_from_source_labels_adapt_on_the_labeled_rows_only(method):
    from da_bench.classic.tca import JDA

    x, y, ys, xt = partly_labeled()
    yt = np.where(np.arange(50) < 4, blobs(1, n=50, d=6)[1], -1)
    make = {"jda": lambda: JDA(dim=3, iterations=2), "tradaboost": lambda: TrAdaBoost(rounds=3, classifier=logistic_regression())}[method]
    assert np.array_equal(make().fit(x, ys, xt, yt).predict(xt), make().fit(x[:20], y[:20], xt, yt).predict(xt))


def test_a_source_without_labels_is_refused():
    x, y, _, xt = partly_labeled()
    with pytest.raises(ValueError, match="ys labels no source row"):
        NoAdaptation().fit(x, np.full(60, -1), xt)
