"""da_bench: domain adaptation methods, data and benchmarks on PyTorch Lightning."""

__version__ = "0.1.0"

from da_bench import losses as _losses  # noqa: E402,F401  (registers the built-in losses)
from da_bench.losses.base import AdaptationLoss, StepOutputs, register_loss  # noqa: E402
from da_bench.registry import BACKBONES, DOMAINS, LAUNCHERS, LOSSES, METHODS, VALIDATORS  # noqa: E402

__all__ = ["AdaptationLoss", "StepOutputs", "register_loss", "BACKBONES", "DOMAINS", "LAUNCHERS", "LOSSES", "METHODS", "VALIDATORS"]
