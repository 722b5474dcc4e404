"""One classic run: data, estimator, fit, scores, and a ``record.json`` in the deep runs' format.

The record's single evaluation point holds ``target_test_acc`` (the scored target samples, see
:mod:`da_bench.classic.data`), per-class accuracies, and ``source_val_acc``: the 5-fold cross-validated accuracy
of the base classifier on the adapted, weighted source features (so that 'source-val' can choose among
hyperparameter settings without target labels). Unsupervised validators need logits and are not computed.
"""

from __future__ import annotations

import resource
import time
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import sklearn
from sklearn.model_selection import StratifiedKFold
from threadpoolctl import threadpool_limits

from da_bench.classic.base import UNLABELED, ClassicEstimator, fit_weighted
from da_bench.classic.data import FeaturePair, load_pair
from da_bench.classic.spec import build_estimator
from da_bench.config import RunConfig, run_id, to_dict
from da_bench.runner.records import provenance, write_json_atomic

CV_FOLDS = 5


@dataclass
class Prepared:
    data: FeaturePair
    estimator: ClassicEstimator


def prepare_classic(cfg: RunConfig) -> Prepared:
    """Data and estimator, every check done (memory included) and nothing fitted."""
    estimator = build_estimator(cfg)
    data = load_pair(cfg)
    estimator.check_memory(len(data.xs), len(data.xt), data.xs.shape[1])
    return Prepared(data, estimator)


def per_class(y: np.ndarray, pred: np.ndarray, num_classes: int) -> list[float | None]:
    return [round(float((pred[y == c] == c).mean()), 6) if (y == c).any() else None for c in range(num_classes)]


def source_cv_accuracy(estimator: ClassicEstimator, xs: np.ndarray, ys: np.ndarray, seed: int) -> float | None:
    """Cross-validated accuracy of the base classifier on the adapted (and weighted) labeled source."""
    labeled = ys != UNLABELED
    xs, ys = xs[labeled], ys[labeled]
    z, w = estimator.transform(xs, "source"), estimator.labeled_weight_
    folds = min(CV_FOLDS, int(np.bincount(ys).min()))
    if folds < 2:
        return None
    hits = 0
    for train, test in StratifiedKFold(folds, shuffle=True, random_state=seed).split(z, ys):
        clf = fit_weighted(estimator.base_classifier(), z[train], ys[train], None if w is None else w[train])
        hits += int((clf.predict(z[test]) == ys[test]).sum())
    return hits / len(ys)


def _scores(cfg: RunConfig, data: FeaturePair, estimator: ClassicEstimator) -> dict[str, Any]:
    estimator.fit(data.xs, data.ys, data.xt, data.yt)
    pred = estimator.predict(data.x_eval)
    point = {
        "step": 0,
        "progress": 1.0,
        "target_test_acc": float((pred == data.y_eval).mean()),
        "target_test_per_class": per_class(data.y_eval, pred, data.num_classes),
        "source_val_acc": source_cv_accuracy(estimator, data.xs, data.ys, cfg.seed),
        "samples": {
            "source": len(data.xs),
            "source_labeled": int((data.ys != UNLABELED).sum()),
            "target_fit": len(data.xt),
            "target_scored": len(data.y_eval),
        },
    }
    return {"history": [point], "final": point}


def fit_classic(cfg: RunConfig, folder: Path, prepared: Prepared) -> dict[str, Any]:
    """Fit, score and write the record (status 'failed' with the reason if fitting raises)."""
    data, estimator = prepared.data, prepared.estimator
    record: dict[str, Any] = {
        "run_id": run_id(cfg),
        "config": to_dict(cfg),
        "resumed_from_step": None,
        "provenance": {**provenance(), "scikit-learn": sklearn.__version__, "device": "cpu", "deterministic": True, "protocol": data.protocol},
    }
    start = time.perf_counter()
    try:
        with threadpool_limits(limits=cfg.threads) if cfg.threads else nullcontext():
            record.update(status="done", reason=None, **_scores(cfg, data, estimator))
    except (ValueError, np.linalg.LinAlgError, MemoryError) as err:
        record.update(status="failed", reason=f"{type(err).__name__}: {err}", history=[], final=None)
    record["provenance"].update(
        seconds=round(time.perf_counter() - start, 3), peak_memory_mb=round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    )
    write_json_atomic(folder / "record.json", record)
    return record
