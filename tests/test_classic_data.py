"""The arrays of a classic run: transductive / inductive protocols, k-shot samples never scored, per-domain
preprocessing, and refusals (non-finite features, different widths, same data on both sides)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from da_bench.classic.data import load_pair
from da_bench.config import from_dict
from da_bench.data.domains import DataError, DomainData, DomainSpec, Split, register_domain


def toy(name: str, n: int, d: int, shift: float, nan_row: int | None = None) -> None:
    def load(root: Path, cache: Path) -> DomainData:
        rng = np.random.default_rng(n + d)
        y = np.arange(n) % 3
        x = rng.normal(size=(n, d)) + y[:, None] + shift
        if nan_row is not None:
            x[nan_row, 0] = np.nan
        return DomainData(name, 3, {"all": Split(torch.tensor(x, dtype=torch.float32), torch.tensor(y))})

    register_domain(DomainSpec(name, f"classic test domain {name}", 3, load, "-", "generated in tests", needs_root=False))


toy("classic_test_src", 30, 4, 0.0)
toy("classic_test_tgt", 24, 4, 2.0)
toy("classic_test_nan", 24, 4, 2.0, nan_row=3)
toy("classic_test_wide", 24, 5, 2.0)


def pair(**kw):
    return load_pair(from_dict({"method": "no_adapt", "source": "classic_test_src", "target": "classic_test_tgt", **kw}))


def test_transductive_protocol_scores_every_unlabeled_target_sample():
    data = pair()
    assert data.protocol == "transductive"
    assert len(data.xs) == 30 and len(data.xt) == 24 and np.array_equal(data.xt, data.x_eval)
    assert (data.yt == -1).all()


def test_k_shot_samples_are_labeled_and_left_out_of_scoring():
    data = pair(k_shot=2, seed=1)
    labeled = data.yt != -1
    assert labeled.sum() == 6 and np.bincount(data.yt[labeled]).tolist() == [2, 2, 2]
    assert len(data.y_eval) == 18
    scored = {tuple(r) for r in data.x_eval}
    assert not any(tuple(r) in scored for r in data.xt[labeled])


def test_inductive_protocol_for_a_target_with_train_and_test():
    data = load_pair(from_dict({"method": "no_adapt", "source": "moons", "target": "moons_rot35"}))
    assert data.protocol == "inductive" and len(data.xt) == 300 and len(data.x_eval) == 300
    assert not np.array_equal(data.xt, data.x_eval)


def test_zscore_uses_each_domain_own_statistics():
    data = pair(preprocess=["zscore"])
    for x in (data.xs, data.xt):
        assert np.allclose(x.mean(0), 0, atol=1e-6) and np.allclose(x.std(0), 1, atol=1e-6)


@pytest.mark.parametrize(
    "target,fragment",
    [
        ("classic_test_nan", "'classic_test_nan' features hold NaN or infinite values in 1 of 24 rows (the first row 3)"),
        ("classic_test_wide", "inputs differ"),
        ("classic_test_src", "Source and target are both"),
    ],
)
def test_bad_pairs_are_refused(target, fragment):
    with pytest.raises(DataError) as info:
        pair(target=target)
    assert fragment in str(info.value)


def test_source_per_class_labels_that_many_of_each_class_by_seed_and_keeps_the_rest_unlabeled():
    full = pair(preprocess=["zscore"])
    drawn = pair(preprocess=["zscore"], source_per_class=4, seed=3)
    labeled = drawn.ys != -1
    assert np.bincount(drawn.ys[labeled]).tolist() == [4, 4, 4] and (drawn.ys[~labeled] == -1).all()
    # every source row is kept, preprocessed over the whole source (as Gong et al.'s code z-scores before drawing)
    assert np.array_equal(drawn.xs, full.xs) and np.array_equal(drawn.ys[labeled], full.ys[labeled])
    again, other = pair(source_per_class=4, seed=3), pair(source_per_class=4, seed=4)
    assert np.array_equal(again.ys, drawn.ys) and not np.array_equal(other.ys, drawn.ys)
    assert np.array_equal(drawn.xt, full.xt) and np.array_equal(drawn.y_eval, full.y_eval)  # the target is untouched


def test_source_per_class_is_independent_of_the_k_shot_draw():
    alone, with_shots = pair(source_per_class=4, seed=2), pair(source_per_class=4, seed=2, k_shot=2)
    assert np.array_equal(alone.ys, with_shots.ys)


def test_source_per_class_above_a_class_count_is_refused_with_the_largest_valid_value():
    with pytest.raises(DataError) as info:
        pair(source_per_class=11)
    assert str(info.value) == (
        "source_per_class=11 needs 11 samples of each class in source 'classic_test_src', but class 0 has 10; the largest valid source_per_class is 10."
    )
