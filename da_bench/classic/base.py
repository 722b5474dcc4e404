"""The shape every classic estimator shares: ``fit(Xs, ys, Xt, yt=None)``, ``transform(X, domain)``, ``predict(X)``.

A method adapts features (``transform``), reweights source samples (``sample_weight_``) or both; the base
classifier (1-NN, linear SVM, logistic regression: :mod:`da_bench.classic.classifiers`) is then fitted on the
adapted, weighted source and predicts the adapted target. ``yt`` marks the few labeled target samples
(``-1`` for unlabeled ones), the scikit-learn semi-supervised convention; ``ys`` may mark unlabeled source rows so
too (random source splits, as Gong et al.'s and Fernando et al.'s demos: subspaces from the whole source domain, the
classifier from the labeled rows). Those rows reach ``_adapt`` unless the method learns from source labels there
(``adapts_with_source_labels``: JDA, TrAdaBoost), and never the classifier.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.utils.validation import has_fit_parameter

from da_bench.classic.kernels import check_memory
from da_bench.data.files import refuse_non_finite

UNLABELED = -1


def check_domains(Xs, ys, Xt, yt=None) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Float 2-D source and target features of one width, finite; labels as integer vectors (``yt``: -1 = unlabeled)."""
    Xs, Xt = np.asarray(Xs, dtype=np.float64), np.asarray(Xt, dtype=np.float64)
    if Xs.ndim != 2 or Xt.ndim != 2:
        raise ValueError(f"Source and target features must be 2-D arrays (samples x features), got shapes {Xs.shape} and {Xt.shape}; flatten them first.")
    if Xs.shape[1] != Xt.shape[1]:
        raise ValueError(f"Source features have {Xs.shape[1]} dimensions but target features {Xt.shape[1]}; give both domains the same features.")
    ys = np.asarray(ys).reshape(-1)
    yt = np.full(len(Xt), UNLABELED) if yt is None else np.asarray(yt).reshape(-1)
    if len(ys) != len(Xs) or len(yt) != len(Xt):
        raise ValueError(f"Got {len(Xs)} source rows with {len(ys)} labels and {len(Xt)} target rows with {len(yt)} labels; pass one label per row.")
    refuse_non_finite("source features", Xs, ValueError)
    refuse_non_finite("target features", Xt, ValueError)
    return Xs, ys.astype(np.int64), Xt, yt.astype(np.int64)


def fit_weighted(classifier, X: np.ndarray, y: np.ndarray, weight: np.ndarray | None):
    """A fitted clone of ``classifier``; source weights need a classifier whose ``fit`` takes ``sample_weight``."""
    clf = clone(classifier)
    if weight is None:
        return clf.fit(X, y)
    if not has_fit_parameter(clf, "sample_weight"):
        raise ValueError(f"{type(clf).__name__} cannot use source sample weights; choose a classifier that can (classifier=svm or classifier=logreg).")
    return clf.fit(X, y, sample_weight=weight)


class ClassicEstimator(ClassifierMixin, BaseEstimator):
    """Base of every method: subclasses implement ``_adapt`` (and ``transform`` where they change features)."""

    uses_target_labels = False  # TrAdaBoost: needs some labeled target samples (k_shot)
    reweights_source = False  # KMM, KLIEP: the classifier must take sample weights
    adapts_with_source_labels = False  # JDA, TrAdaBoost: _adapt learns from ys, so it sees the labeled source rows only
    default_classifier = "1nn"  # used when ``classifier`` is None

    def __init__(self, classifier=None) -> None:
        self.classifier = classifier

    def kernel_sizes(self, ns: int, nt: int, d: int) -> list[int]:
        """Sides of the square matrices ``fit`` holds at once (for the memory check); none by default."""
        return []

    def check_memory(self, ns: int, nt: int, d: int) -> None:
        check_memory(type(self).__name__, self.kernel_sizes(ns, nt, d))

    def fit(self, Xs, ys, Xt, yt=None) -> "ClassicEstimator":
        Xs, ys, Xt, yt = check_domains(Xs, ys, Xt, yt)
        if self.uses_target_labels and not (yt != UNLABELED).any():
            raise ValueError(f"{type(self).__name__} learns from labeled target samples, but yt labels none; label a few (k_shot).")
        labeled = ys != UNLABELED
        if not labeled.any():
            raise ValueError("ys labels no source row; a classic method needs labeled source samples.")
        if self.adapts_with_source_labels:
            Xs, ys = Xs[labeled], ys[labeled]
            labeled = np.ones(len(ys), dtype=bool)
        self.check_memory(len(Xs), len(Xt), Xs.shape[1])
        self.classes_ = np.unique(ys[labeled])
        self.sample_weight_: np.ndarray | None = None
        self._adapt(Xs, ys, Xt, yt)
        self.labeled_weight_ = None if self.sample_weight_ is None else self.sample_weight_[labeled]  # the labeled rows, as the classifier takes them
        self.classifier_ = fit_weighted(self.base_classifier(), self.transform(Xs[labeled], "source"), ys[labeled], self.labeled_weight_)
        return self

    def base_classifier(self):
        from da_bench.classic.classifiers import CLASSIFIERS

        return self.classifier if self.classifier is not None else CLASSIFIERS.get(self.default_classifier)()

    def _adapt(self, Xs: np.ndarray, ys: np.ndarray, Xt: np.ndarray, yt: np.ndarray) -> None:
        """Learn the adaptation (feature map and/or ``sample_weight_``); the identity by default."""

    def transform(self, X, domain: str = "target") -> np.ndarray:
        """Features of ``X`` (from ``domain``: 'source' or 'target') in the adapted space."""
        return np.asarray(X, dtype=np.float64)

    def predict(self, X) -> np.ndarray:
        """Labels of target samples ``X``."""
        return self.classifier_.predict(self.transform(X, "target"))


class NoAdaptation(ClassicEstimator):
    """No adaptation: the base classifier on the source features as given (JDA's 'NN' column with 1-NN)."""
