"""Named preprocessing steps by hand: row L1 / L2 norms, per-domain z-score with that domain's statistics."""

from __future__ import annotations

import numpy as np
import pytest

from da_bench.classic.preprocess import Preprocessor
from da_bench.config import ConfigError


def test_row_norms_by_hand():
    x = np.array([[3.0, -1.0], [0.0, 4.0]])
    assert np.allclose(Preprocessor(["l1"]).fit(x).transform(x), [[0.75, -0.25], [0.0, 1.0]])
    assert np.allclose(Preprocessor(["l2"]).fit(x).transform(x), [[3 / np.sqrt(10), -1 / np.sqrt(10)], [0.0, 1.0]])


def test_zscore_keeps_the_fitted_domain_statistics_and_zeroes_constant_features():
    x = np.array([[1.0, 5.0], [3.0, 5.0]])  # means 2, 5; population stds 1, 0
    prep = Preprocessor(["zscore"]).fit(x)
    assert np.allclose(prep.transform(x), [[-1.0, 0.0], [1.0, 0.0]])
    assert np.allclose(prep.transform(np.array([[4.0, 7.0]])), [[2.0, 2.0]])  # std 0 leaves the offset as is


def test_steps_apply_in_order_like_the_gfk_protocol():
    counts = np.array([[2.0, 2.0, 0.0], [1.0, 0.0, 3.0], [0.0, 5.0, 5.0]])
    ours = Preprocessor(["l1", "zscore"]).fit(counts).transform(counts)
    p = counts / counts.sum(1, keepdims=True)  # MATLAB: fts ./ sum(fts, 2); zscore(fts, 1)
    assert np.allclose(ours, (p - p.mean(0)) / p.std(0))


def test_unknown_step_has_a_did_you_mean():
    with pytest.raises(ConfigError, match="Did you mean 'zscore'"):
        Preprocessor(["zscor"])
