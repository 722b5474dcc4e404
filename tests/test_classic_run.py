"""A classic run's record: the deep runs' format, source cross-validation against scikit-learn, fit errors recorded."""

from __future__ import annotations

import json

import numpy as np
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.neighbors import KNeighborsClassifier

from da_bench.classic.base import NoAdaptation
from da_bench.classic.run import source_cv_accuracy
from da_bench.config import from_dict
from da_bench.runner.execute import execute


def test_source_cv_matches_scikit_learn():
    rng = np.random.default_rng(0)
    xs = rng.normal(size=(60, 3))
    ys = (xs[:, 0] + 0.5 * rng.normal(size=60) > 0).astype(int)
    est = NoAdaptation().fit(xs, ys, xs)
    folds = StratifiedKFold(5, shuffle=True, random_state=3)
    assert np.isclose(source_cv_accuracy(est, xs, ys, seed=3), cross_val_score(KNeighborsClassifier(1), xs, ys, cv=folds).mean())


def test_record_has_the_deep_format_and_a_failed_fit_is_recorded(tmp_path):
    record = execute(from_dict({"method": "tca", "source": "moons", "target": "moons_rot35", "method_args": {"dim": 1, "kernel": "rbf"}}), tmp_path)
    on_disk = json.loads((tmp_path / "runs" / record["run_id"] / "record.json").read_text())
    assert on_disk["status"] == "done" and on_disk["provenance"]["protocol"] == "inductive"
    point = on_disk["final"]
    assert point == on_disk["history"][-1] and 0.0 <= point["target_test_acc"] <= 1.0 and point["samples"]["target_scored"] == 300
    failed = execute(from_dict({"method": "tca", "source": "moons", "target": "moons_rot35", "method_args": {"dim": 2}}), tmp_path)
    assert failed["status"] == "failed" and "dim=2 must lie between 1 and 1" in failed["reason"]
