"""Schedules driven by training progress p in [0, 1]: loss weights and learning-rate annealing."""

from __future__ import annotations

import math
from typing import Callable

Schedule = Callable[[float], float]


def dann_ramp(p: float, gamma: float = 10.0) -> float:
    """lambda_p = 2 / (1 + exp(-gamma p)) - 1 (Ganin et al., JMLR 2016, Sec. 5.2.2): 0 at p=0, ~1 at p=1."""
    return 2.0 / (1.0 + math.exp(-gamma * p)) - 1.0


def linear_warmup(p: float, warmup: float = 0.1) -> float:
    """Linear rise from 0 to 1 over the first ``warmup`` fraction of training, then 1."""
    return 1.0 if warmup <= 0 else min(1.0, p / warmup)


def constant(p: float) -> float:
    return 1.0


WEIGHT_SCHEDULES: dict[str, Schedule] = {"constant": constant, "dann_ramp": dann_ramp, "warmup": linear_warmup}


def annealed_lr_factor(p: float, alpha: float = 10.0, beta: float = 0.75) -> float:
    """lr_p / lr_0 = 1 / (1 + alpha p)^beta (Ganin et al., JMLR 2016, Sec. 5.2.2)."""
    return (1.0 + alpha * p) ** (-beta)
