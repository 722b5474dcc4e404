"""A run's loss terms and search space: the method's spec with the config's ``losses`` block applied."""

from __future__ import annotations

from typing import Any

from da_bench.arguments import check_arguments
from da_bench.config import RunConfig
from da_bench.methods.spec import LossTerm, resolve_method
from da_bench.registry import LOSSES, UnknownNameError, unknown_name_message
from da_bench.schedules import WEIGHT_SCHEDULES

COMMON_SPACE = {"lr": ("log", 1e-3, 1e-1)}
DEFAULT_WEIGHT_SPACE = ("log", 0.03, 3.0)


def loss_terms(cfg: RunConfig) -> list[LossTerm]:
    """The method's loss terms with the config's ``losses`` block applied (override or add); weight 0 drops a term."""
    terms = {t.loss: t for t in resolve_method(cfg.method).losses}
    for name, over in cfg.losses.items():
        over = dict(over or {})
        check_arguments(f"hyperparameter of loss '{name}'", f"losses.{name}", LOSSES.get(name), over, {"weight": 1.0, "schedule": "constant"})
        base = terms.get(name, LossTerm(name))
        weight = float(over.pop("weight", base.weight))
        schedule = over.pop("schedule", base.schedule)
        if schedule not in WEIGHT_SCHEDULES:
            raise UnknownNameError(unknown_name_message("weight schedule", schedule, list(WEIGHT_SCHEDULES)))
        terms[name] = LossTerm(name, weight, schedule, {**base.params, **over})
    return [t for t in terms.values() if t.weight != 0.0]


def search_space(cfg: RunConfig) -> dict[str, Any]:
    """Config paths -> choices or ("log", lo, hi): the method's space plus each loss's declared space."""
    space: dict[str, Any] = {**COMMON_SPACE, **resolve_method(cfg.method).search_space}
    for term in loss_terms(cfg):
        for key, choices in LOSSES.get(term.loss).search_space.items():
            space.setdefault(f"losses.{term.loss}.{key}", choices)
        space.setdefault(f"losses.{term.loss}.weight", DEFAULT_WEIGHT_SPACE)  # only where the loss declares none
    return space
