"""Kernels against scikit-learn and scipy, and the memory check that refuses before any work."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.distance import cdist
from sklearn.metrics.pairwise import rbf_kernel

from da_bench.classic.kernels import check_memory, kernel, median_gamma, sq_distances


def test_distances_and_kernels_match_references():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(7, 4)), rng.normal(size=(5, 4))
    assert np.allclose(sq_distances(x, y), cdist(x, y, "sqeuclidean"))
    assert np.allclose(kernel("rbf", x, y, gamma=0.3), rbf_kernel(x, y, gamma=0.3))
    assert np.allclose(kernel("linear", x), x @ x.T)
    with pytest.raises(ValueError, match="Unknown kernel 'poly'"):
        kernel("poly", x)


def test_median_gamma_by_hand():
    x = np.array([[0.0], [1.0]])
    y = np.array([[0.0], [3.0]])
    # squared distances 0, 9, 1, 4 -> median 2.5
    assert median_gamma(x, y) == pytest.approx(1 / 2.5)


def test_memory_check_refuses_in_one_sentence():
    check_memory("TCA", [1000], available=8 * 1000 * 1000)
    with pytest.raises(ValueError, match=r"TCA needs 2 matrices of up to 1000 x 1000 .* more than the .* available; use kernel=primal"):
        check_memory("TCA", [1000, 1000], available=8 * 1000 * 1000)
