"""Adaptation losses, one module each; importing this package registers them all."""

from da_bench.losses import afn, bsp, cdan, confusion, coral, dann, entropy, mcc, mmd  # noqa: F401
from da_bench.losses.base import AdaptationLoss, StepOutputs, register_loss

__all__ = ["AdaptationLoss", "StepOutputs", "register_loss"]
