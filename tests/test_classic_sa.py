"""Subspace Alignment (Fernando et al. 2013, Algorithm 1) against scikit-learn's PCA and by hand."""

from __future__ import annotations

import numpy as np
from sklearn.decomposition import PCA

from da_bench.classic.sa import SA


def test_aligned_source_coordinates_follow_algorithm_1():
    rng = np.random.default_rng(0)
    xs, xt = rng.normal(size=(50, 6)) @ rng.normal(size=(6, 6)), rng.normal(size=(40, 6)) @ rng.normal(size=(6, 6))
    sa = SA(dim=2).fit(xs, np.arange(50) % 2, xt)
    Ps, Pt = PCA(2).fit(xs).components_.T, PCA(2).fit(xt).components_.T
    Ps = Ps * np.sign(np.sum(Ps * sa.source_basis_, 0))  # PCA directions are defined up to sign
    Pt = Pt * np.sign(np.sum(Pt * sa.target_basis_, 0))
    assert np.allclose(sa.transform(xs, "source"), xs @ Ps @ Ps.T @ Pt)  # S Xa with Xa = Xs Xs' Xt
    assert np.allclose(sa.transform(xt), xt @ Pt)


def test_one_dimensional_alignment_by_hand():
    # source varies along e1, target along (cos a, sin a): M = Xs' Xt = cos a
    a = 0.4
    t = np.linspace(-3, 3, 31)[:, None]
    xs = t * [1.0, 0.0]
    xt = t * [np.cos(a), np.sin(a)]
    sa = SA(dim=1).fit(xs, (t[:, 0] > 0).astype(int), xt)
    sign_s, sign_t = np.sign(sa.source_basis_[0, 0]), np.sign(sa.target_basis_[0, 0])
    assert np.isclose(abs(sa.alignment_[0, 0]), np.cos(a))
    assert np.allclose(sa.transform(xs, "source") * sign_t, t * np.cos(a))
    assert np.allclose(sa.transform(xt) * sign_t, t)
    assert sign_s * sign_t * sa.alignment_[0, 0] > 0
