"""Expected calibration error (Guo et al. 2017, Eq. 3) and the reliability diagram's bins, against hand counts."""

import math

import numpy as np
import pytest
from PIL import Image

from da_bench.analysis.calibration import confidence_and_prediction, plot_reliability, reliability


def test_hand_computed_example_with_five_bins():
    # bins (0, .2], (.2, .4], (.4, .6], (.6, .8], (.8, 1]
    confidence = np.array([0.1, 0.3, 0.35, 0.9, 0.95, 0.85])
    correct = np.array([False, True, False, True, True, False])
    rel = reliability(confidence, correct, bins=5)
    assert rel.counts.tolist() == [1, 2, 0, 0, 3]
    assert rel.accuracy[[0, 1, 4]] == pytest.approx([0.0, 0.5, 2 / 3])
    assert rel.confidence[[0, 1, 4]] == pytest.approx([0.1, 0.325, 0.9])
    assert math.isnan(rel.accuracy[2]) and math.isnan(rel.confidence[3])
    # (1 * |0 - .1| + 2 * |.5 - .325| + 3 * |2/3 - .9|) / 6 = (0.1 + 0.35 + 0.7) / 6
    assert rel.ece == pytest.approx(1.15 / 6)


def test_bins_are_closed_on_the_right():
    rel = reliability(np.array([0.2, 1.0, 0.0]), np.array([True, True, False]), bins=5)
    assert rel.counts.tolist() == [2, 0, 0, 0, 1]  # 0.2 in (0, .2], 1.0 in (.8, 1], 0 joins the first bin


def test_perfectly_calibrated_is_zero():
    confidence = np.array([0.7] * 10 + [1.0] * 4)
    correct = np.array([True] * 7 + [False] * 3 + [True] * 4)
    assert reliability(confidence, correct).ece == pytest.approx(0.0, abs=1e-12)


def test_always_wrong_at_full_confidence_is_one():
    assert reliability(np.ones(5), np.zeros(5, dtype=bool)).ece == pytest.approx(1.0)


def test_confidence_is_the_top_softmax_probability():
    confidence, predicted = confidence_and_prediction(np.array([[0.0, math.log(3.0)], [2.0, 2.0 + math.log(1 / 4)]]))
    assert confidence == pytest.approx([0.75, 0.8])
    assert predicted.tolist() == [1, 0]


def test_reliability_diagram_is_a_png(tmp_path):
    rng = np.random.default_rng(0)
    confidence = rng.uniform(0.1, 1.0, 200)
    path = plot_reliability(reliability(confidence, rng.uniform(size=200) < confidence), tmp_path / "r.png", "toy")
    with Image.open(path) as image:
        assert image.format == "PNG"
        assert 300 <= image.width <= 2000 and 300 <= image.height <= 2000
