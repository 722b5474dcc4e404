"""CORAL (Sun et al. 2016, Algorithm 1): the re-coloured source has the target covariance."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg

from da_bench.classic.coral import CORAL


def test_source_covariance_becomes_the_target_covariance():
    rng = np.random.default_rng(0)
    xs = rng.normal(size=(500, 4)) @ rng.normal(size=(4, 4))
    xt = rng.normal(size=(400, 4)) @ rng.normal(size=(4, 4)) + 3.0
    coral = CORAL(reg=1e-9).fit(xs, np.arange(500) % 2, xt)
    assert np.allclose(np.cov(coral.transform(xs, "source"), rowvar=False), np.cov(xt, rowvar=False), atol=1e-5)
    assert np.array_equal(coral.transform(xt), xt)  # the target is left as it is


def test_paper_regulariser_matches_matrix_square_roots():
    rng = np.random.default_rng(1)
    xs, xt = rng.normal(size=(30, 3)), 2 * rng.normal(size=(20, 3))
    coral = CORAL().fit(xs, np.arange(30) % 2, xt)
    cs, ct = np.cov(xs, rowvar=False) + np.eye(3), np.cov(xt, rowvar=False) + np.eye(3)
    expected = xs @ np.linalg.inv(scipy.linalg.sqrtm(cs)) @ scipy.linalg.sqrtm(ct)
    assert np.allclose(coral.transform(xs, "source"), np.real(expected))


def test_reg_must_be_positive():
    with pytest.raises(ValueError, match="reg > 0"):
        CORAL(reg=0).fit(np.eye(3), [0, 1, 0], np.eye(3))
