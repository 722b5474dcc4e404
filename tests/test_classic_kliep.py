"""KLIEP (Sugiyama et al. 2007): the constraint mean_s w = 1, the true density ratio of two Gaussians, determinism."""

from __future__ import annotations

import numpy as np
from scipy.stats import norm

from da_bench.classic.kliep import KLIEP


def shifted(seed=0):
    rng = np.random.default_rng(seed)
    xs = rng.normal(0.0, 1.0, size=(300, 1))
    xt = rng.normal(0.5, 0.7, size=(300, 1))
    return xs, (xs[:, 0] > 0).astype(int), xt


def test_weights_estimate_the_density_ratio():
    xs, ys, xt = shifted()
    kliep = KLIEP(seed=0).fit(xs, ys, xt)
    w = kliep.sample_weight_
    assert np.isclose(w.mean(), 1.0)  # b^T alpha = 1 (Eq. 4)
    true = norm.pdf(xs[:, 0], 0.5, 0.7) / norm.pdf(xs[:, 0], 0.0, 1.0)
    assert np.corrcoef(w, true)[0, 1] > 0.9


def test_same_seed_same_weights():
    xs, ys, xt = shifted(1)
    a = KLIEP(seed=3).fit(xs, ys, xt).sample_weight_
    b = KLIEP(seed=3).fit(xs, ys, xt).sample_weight_
    assert np.array_equal(a, b)
