"""The adaptation-loss interface that every built-in loss and every plugin implements."""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, ClassVar, Iterator

import torch
from torch import Tensor, nn

from da_bench.registry import LOSSES


@dataclass
class StepOutputs:
    """What one training step hands to each adaptation loss.

    ``source_labels`` are the only labels present: target labels never reach a loss.
    ``progress`` is the fraction of training done, p in [0, 1].
    """

    source_features: Tensor
    target_features: Tensor
    source_logits: Tensor
    target_logits: Tensor
    source_labels: Tensor
    progress: float = 0.0


class AdaptationLoss(nn.Module):
    """Base class: ``forward(StepOutputs) -> scalar``.

    Subclasses set a one-line ``description`` (the first docstring line is used otherwise) and a
    ``search_space`` mapping each hyperparameter to a list of choices or ``("log", low, high)``.
    Constructor keyword arguments are the hyperparameters; ``feature_dim`` and ``num_classes``
    are always passed. Losses with their own adversary set ``alternating = True`` and implement
    :meth:`adversary_loss`; the method then updates the adversary in a separate step.
    """

    description: ClassVar[str] = ""
    search_space: ClassVar[dict[str, Any]] = {}
    alternating: ClassVar[bool] = False

    def __init__(self, feature_dim: int, num_classes: int, **hparams: Any) -> None:
        super().__init__()
        if hparams:
            raise TypeError(f"{type(self).__name__} takes no hyperparameters {sorted(hparams)}")
        self.feature_dim = feature_dim
        self.num_classes = num_classes

    def forward(self, out: StepOutputs) -> Tensor:  # pragma: no cover - abstract
        raise NotImplementedError

    def adversary_loss(self, out: StepOutputs) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__} has no adversary")

    def adversary_parameters(self) -> Iterator[nn.Parameter]:
        return iter(())

    @classmethod
    def one_line(cls) -> str:
        return cls.description or (cls.__doc__ or "").strip().splitlines()[0]


def register_loss(name: str):
    """Decorator: ``@register_loss("my_loss")`` on an :class:`AdaptationLoss` subclass."""
    return LOSSES.register(name)


@contextmanager
def full_precision(reference: Tensor) -> Iterator[None]:
    """Disable autocast so that kernels and covariances are computed in float32 under mixed precision."""
    with torch.autocast(device_type=reference.device.type, enabled=False):
        yield


def domain_bce(logits_source: Tensor, logits_target: Tensor, target_value: float | None = None, weights: Tensor | None = None) -> Tensor:
    """Binary cross-entropy of a domain discriminator (source = 1, target = 0), in float32.

    With ``target_value`` both domains are scored against that constant instead (0.5 = uniform confusion).
    """
    logits = torch.cat([logits_source, logits_target]).float()
    if target_value is None:
        labels = torch.cat([torch.ones_like(logits_source), torch.zeros_like(logits_target)]).float()
    else:
        labels = torch.full_like(logits, target_value)
    with full_precision(logits):
        return nn.functional.binary_cross_entropy_with_logits(logits, labels, weight=weights)
