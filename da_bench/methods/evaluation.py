"""Evaluation points: accuracies per split (overall, per class, per task) and the unsupervised validators.

A method hands over, per evaluation batch, the features and label logits of its prediction
(:meth:`~da_bench.methods.module.Method.predict`); labels exist for source validation and target test only.
The unlabeled target train split feeds the validators (:mod:`da_bench.selection`), never an accuracy.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import torch
from torch import Tensor
from torchmetrics.functional.classification import multiclass_accuracy

from da_bench.methods.tasks import Task
from da_bench.selection import EvalOutputs, validator_scores

UNLABELED = "target_unlabeled"


@dataclass
class Collected:
    """One evaluation split, concatenated over its batches."""

    features: Tensor
    logits: Tensor
    labels: Tensor | None
    task_predictions: dict[str, Tensor] = field(default_factory=dict)


class Collector:
    """Per-split buffers of one evaluation pass, kept on the CPU in float32."""

    def __init__(self) -> None:
        self._parts: dict[int, dict[str, list[Tensor]]] = {}

    def add(self, split: int, features: Tensor, logits: Tensor, labels: Tensor | None = None, task_predictions: dict[str, Tensor] | None = None) -> None:
        parts = self._parts.setdefault(split, {})
        named = {"features": features.float(), "logits": logits.float(), **({"labels": labels} if labels is not None else {})}
        for key, value in {**named, **{f"task/{k}": v for k, v in (task_predictions or {}).items()}}.items():
            parts.setdefault(key, []).append(value.detach().cpu())

    def take(self) -> dict[int, Collected]:
        """Everything collected since the last call, per split index; the buffers start empty again."""
        done = {}
        for split, parts in self._parts.items():
            cat = {key: torch.cat(values) for key, values in parts.items()}
            tasks = {key.removeprefix("task/"): value for key, value in cat.items() if key.startswith("task/")}
            done[split] = Collected(cat["features"], cat["logits"], cat.get("labels"), tasks)
        self._parts.clear()
        return done


def accuracy(logits: Tensor, labels: Tensor, num_classes: int, per_class: bool = False) -> Any:
    """Top-1 accuracy of ``logits`` (a float), or per class (a list of floats rounded to 6 places)."""
    acc = multiclass_accuracy(logits.argmax(1), labels, num_classes=num_classes, average="none" if per_class else "micro")
    return [round(float(a), 6) for a in acc] if per_class else float(acc)


def evaluation_point(splits: dict[int, Collected], roles: list[str], tasks: dict[str, Task], num_classes: int, step: int, progress: float) -> dict[str, Any]:
    """One history entry: ``<role>_acc``, ``<role>_per_class`` and ``<role>_<task>_acc`` of each labeled split, plus the
    validators' scores where source validation and unlabeled target data were both evaluated."""
    point: dict[str, Any] = {"step": step, "progress": progress}
    for index, role in enumerate(roles):
        data = splits.get(index)
        if role == UNLABELED or data is None or data.labels is None:
            continue
        point[f"{role}_acc"] = accuracy(data.logits, data.labels, num_classes)
        point[f"{role}_per_class"] = accuracy(data.logits, data.labels, num_classes, per_class=True)
        for name, predictions in data.task_predictions.items():
            point[f"{role}_{name}_acc"] = float((predictions == tasks[name].labels(data.labels)).float().mean())
    if "source_val" in roles and UNLABELED in roles:
        s, t = splits[roles.index("source_val")], splits[roles.index(UNLABELED)]
        assert s.labels is not None
        point.update(validator_scores(EvalOutputs(s.logits, s.features, s.labels, t.logits, t.features)))
    return point
