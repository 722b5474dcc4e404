import math

import pytest

from da_bench.schedules import annealed_lr_factor, dann_ramp, linear_warmup


@pytest.mark.parametrize("p,expected", [(0.0, 0.0), (0.5, 2 / (1 + math.exp(-5)) - 1), (1.0, 2 / (1 + math.exp(-10)) - 1)])
def test_dann_ramp_published_values(p, expected):
    assert dann_ramp(p) == pytest.approx(expected)
    assert dann_ramp(0.5) == pytest.approx(0.98661, abs=1e-5)


@pytest.mark.parametrize("p,expected", [(0.0, 1.0), (0.5, 6 ** -0.75), (1.0, 11 ** -0.75)])
def test_lr_annealing_published_values(p, expected):
    assert annealed_lr_factor(p) == pytest.approx(expected)


def test_warmup():
    assert linear_warmup(0.0) == 0.0 and linear_warmup(0.05) == pytest.approx(0.5) and linear_warmup(0.5) == 1.0
