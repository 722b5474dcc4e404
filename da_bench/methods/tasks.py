"""Supervised tasks: the main label task plus multi-task heads whose labels are a map of the class label."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from torch import Tensor

from da_bench.registry import UnknownNameError, unknown_name_message

# label map -> (function of the class labels, number of classes it yields); None keeps the labels and their count
LABEL_MAPS: dict[str, tuple[Callable[[Tensor], Tensor], int] | None] = {
    "identity": None,
    "parity": (lambda y: y % 2, 2),
    "ge5": (lambda y: (y >= 5).long(), 2),
}


@dataclass(frozen=True)
class Task:
    """One supervised head: its classes, its cross-entropy weight and how its labels derive from the class labels."""

    classes: int
    weight: float
    label_map: str

    def labels(self, y: Tensor) -> Tensor:
        mapping = LABEL_MAPS[self.label_map]
        return y if mapping is None else mapping[0](y)


def task_table(tasks: dict[str, dict[str, Any]], num_classes: int) -> dict[str, Task]:
    """name -> :class:`Task` for the config's ``tasks`` block; ``label`` (weight 1, every class) comes first."""
    table = {"label": Task(num_classes, 1.0, "identity")}
    for name, spec in tasks.items():
        label_map = spec.get("labels", "identity")
        if label_map not in LABEL_MAPS:
            raise UnknownNameError(unknown_name_message("label map", label_map, list(LABEL_MAPS)))
        mapping = LABEL_MAPS[label_map]
        table[name] = Task(num_classes if mapping is None else mapping[1], float(spec.get("weight", 1.0)), label_map)
    return table
