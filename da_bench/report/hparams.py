"""Hyperparameter choice per table cell, the DomainBed way (Gulrajani & Lopez-Paz, "In Search of Lost
Domain Generalization", ICLR 2021, Sec. 3-4).

The runs of one (method, pair) are grouped into hyperparameter settings: their config without the seed
and without the keys that do not change results. Each run's selection rule picks an evaluation point and
scores it; the setting with the best score averaged over its seeds is chosen, and the cell reports the
target test accuracy of that setting's selected points, one per seed. Grid and random-search trials are
thus never averaged as if they were seeds.
"""

from __future__ import annotations

import json
import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from da_bench.config import NON_IDENTITY_KEYS, RunConfig, to_dict
from da_bench.selection import RULE_KEYS, select_point

IGNORED_KEYS = NON_IDENTITY_KEYS | {"seed", "data_root"}  # keys that do not make a hyperparameter setting


@dataclass
class Cell:
    values: list[float] = field(default_factory=list)  # selected target test accuracy (%) of the chosen setting, one per done seed
    expected: int = 0  # seeds the sweep manifests plan for this (method, pair) (0 when no manifest)
    failed: int = 0  # failed runs of the chosen setting (of every setting when none has a done run)
    failed_elsewhere: int = 0  # failed runs of the other settings
    chosen: str = ""  # the chosen setting's values of the keys that vary in the cell; "" with one setting
    settings: int = 1  # hyperparameter settings found for the cell


def flatten(data: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested mappings as dotted paths: {'losses': {'dann': {'width': 100}}} -> {'losses.dann.width': 100}."""
    flat: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, dict):
            flat.update(flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


DEFAULTS = flatten(to_dict(RunConfig()))


def setting(config: dict[str, Any]) -> dict[str, Any]:
    """The hyperparameters of a run: its flattened config less the ignored keys and the values at their
    defaults (so records written before an option existed still match the ones written after)."""
    return {k: v for k, v in flatten(config).items() if k.split(".")[0] not in IGNORED_KEYS and DEFAULTS.get(k, Ellipsis) != v}


def describe(values: dict[str, Any], keys: list[str]) -> str:
    """'lr=0.03, losses.dann.width=100': a setting's values of the given keys."""

    def text(value: Any) -> str:
        return f"{value:.4g}" if isinstance(value, float) else json.dumps(value) if isinstance(value, (list, dict)) else str(value)

    return ", ".join(f"{k}={text(values[k]) if k in values else text(DEFAULTS.get(k, 'unset'))}" for k in keys)


def score_key(rule: str) -> str:
    """The point score a rule maximises; ``last`` (which maximises nothing) compares settings by source-val accuracy."""
    return RULE_KEYS.get(rule, "source_val_acc" if rule == "last" else f"val_{rule}")


def choose(records: list[dict[str, Any]], rule: str) -> Cell:
    """One (method, pair)'s cell: the setting whose selected points score best on average over its seeds,
    with its target accuracies and failures."""
    settings: dict[str, dict[str, Any]] = {}
    points: dict[str, list[tuple[str, dict[str, Any]]]] = defaultdict(list)  # setting -> (run id, selected point) per done run
    failed: Counter[str] = Counter()
    for record in records:
        values = setting(record["config"])
        key = json.dumps(values, sort_keys=True, default=str)
        settings[key] = values
        if record["status"] == "done" and record["history"]:
            points[key].append((record["run_id"], select_point(record["history"], rule)))
        else:
            failed[key] += 1
    if not points:
        return Cell(failed=sum(failed.values()), settings=len(settings))
    # one setting needs no score (``last`` may have none); ties go to the first setting in sorted order
    best = (
        max(sorted(points), key=lambda k: statistics.fmean(_score(run_id, point, rule) for run_id, point in points[k]))
        if len(points) > 1
        else next(iter(points))
    )
    varying = sorted({k for values in settings.values() for k in values if any(v.get(k, Ellipsis) != values[k] for v in settings.values())})
    return Cell(
        [100.0 * point["target_test_acc"] for _, point in points[best]],
        failed=failed[best],
        failed_elsewhere=sum(failed.values()) - failed[best],
        chosen=describe(settings[best], varying),
        settings=len(settings),
    )


def _score(run_id: str, point: dict[str, Any], rule: str) -> float:
    key = score_key(rule)
    if not isinstance(point.get(key), (int, float)):
        raise ValueError(f"Run '{run_id}' has no '{key}' at its selected point, so rule '{rule}' cannot choose among its hyperparameter settings.")
    return float(point[key])
