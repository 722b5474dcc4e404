"""Schedules against values worked out by hand from the DANN paper's formulas (JMLR 2016, Sec. 5.2.2):
lambda_p = 2 / (1 + e^(-10 p)) - 1 and lr_p / lr_0 = (1 + 10 p)^(-3/4)."""

import pytest

from da_bench.schedules import WEIGHT_SCHEDULES, annealed_lr_factor, dann_ramp, linear_warmup


@pytest.mark.parametrize("p,expected", [(0.0, 0.0), (0.1, 0.462117), (0.5, 0.986614), (1.0, 0.999909)])
def test_dann_ramp_by_hand(p, expected):
    # e.g. p = 0.1: e^-1 = 0.367879, 2 / 1.367879 - 1 = 0.462117
    assert dann_ramp(p) == pytest.approx(expected, abs=1e-6)


@pytest.mark.parametrize("p,expected", [(0.0, 1.0), (0.5, 0.260847), (1.0, 0.165560)])
def test_lr_annealing_by_hand(p, expected):
    # e.g. p = 0.5: 6^(-3/4) = 1 / (sqrt(6) * 6^(1/4)) = 1 / (2.449490 * 1.565085) = 0.260847
    assert annealed_lr_factor(p) == pytest.approx(expected, abs=1e-6)


def test_warmup_rises_linearly_over_the_first_tenth():
    assert [linear_warmup(p) for p in (0.0, 0.025, 0.05, 0.1, 0.5)] == pytest.approx([0.0, 0.25, 0.5, 1.0, 1.0])


def test_weight_schedule_names():
    assert WEIGHT_SCHEDULES["constant"](0.3) == 1.0 and WEIGHT_SCHEDULES["dann_ramp"](0.5) == pytest.approx(0.986614, abs=1e-6)
