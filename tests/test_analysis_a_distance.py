"""The proxy A-distance: 2 (1 - 2 eps) from a linear domain classifier's held-out error."""

import numpy as np
import pytest

from da_bench.analysis.a_distance import distance_from_error, proxy_a_distance


@pytest.mark.parametrize("error, distance", [(0.0, 2.0), (0.25, 1.0), (0.5, 0.0), (0.75, -1.0)])
def test_distance_from_error_is_not_clipped(error, distance):
    assert distance_from_error(error) == pytest.approx(distance)


def test_same_distribution_is_near_zero():
    rng = np.random.default_rng(1)
    result = proxy_a_distance(rng.normal(size=(1000, 8)), rng.normal(size=(1000, 8)))
    assert abs(result.distance) < 0.3
    assert 0.4 < result.error < 0.6


def test_gaussians_twenty_sigma_apart_are_at_two():
    rng = np.random.default_rng(2)
    shift = np.zeros(8)
    shift[3] = 20.0
    result = proxy_a_distance(rng.normal(size=(500, 8)), rng.normal(size=(500, 8)) + shift)
    assert result.error == 0.0
    assert result.distance == 2.0


def test_known_error_where_some_source_samples_sit_on_the_target():
    """Source: 180 samples at -1 and 20 at +1; target: 200 at +1. The best classifier (and the trained one) says
    'source' at -1 and 'target' at +1 (200 against 20), so it errs exactly on the held-out source samples at +1."""
    source = np.array([-1.0] * 180 + [1.0] * 20)[:, None]
    target = np.ones((200, 1))
    result = proxy_a_distance(source, target, seed=3)
    assert len(result.held_out) == 80  # TLlib's 80 / 20 split of the 400 samples
    source_at_plus_one = np.arange(180, 200)
    expected_error = np.isin(result.held_out, source_at_plus_one).sum() / 80
    assert 0 < expected_error < 0.5  # the seed puts some of them in the held-out part
    assert result.error == pytest.approx(expected_error)
    assert result.distance == pytest.approx(2 * (1 - 2 * expected_error))


def test_seeded_split():
    rng = np.random.default_rng(4)
    xs, xt = rng.normal(size=(200, 4)), rng.normal(size=(200, 4)) + 0.5
    first, again, other = proxy_a_distance(xs, xt, seed=7), proxy_a_distance(xs, xt, seed=7), proxy_a_distance(xs, xt, seed=8)
    assert first.distance == again.distance and np.array_equal(first.held_out, again.held_out)
    assert not np.array_equal(first.held_out, other.held_out)


def test_too_few_samples_is_one_sentence():
    with pytest.raises(ValueError, match="at least 5 samples per domain"):
        proxy_a_distance(np.zeros((3, 2)), np.ones((10, 2)))
