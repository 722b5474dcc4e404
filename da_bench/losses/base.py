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
        lines = (cls.__doc__ or "").strip().splitlines()
        return cls.description or (lines[0] if lines else cls.__name__)


def register_loss(name: str):
    """Decorator: ``@register_loss("my_loss")`` on an :class:`AdaptationLoss` subclass."""
    return LOSSES.register(name)


@contextmanager
def full_precision(reference: Tensor) -> Iterator[None]:
    """Disable autocast so that kernels and covariances are computed in float32 under mixed precision."""
    with torch.autocast(device_type=reference.device.type, enabled=False):
        yield


def discriminate(discriminator: nn.Module, source: Tensor, target: Tensor) -> tuple[Tensor, Tensor]:
    """One discriminator pass over the joint batch [source; target], split back per domain.

    Batch norm inside the discriminator then normalises both domains with the same statistics, as in
    TLlib; separate passes would normalise each domain on its own and hide any mean or variance shift.
    """
    logits = discriminator(torch.cat([source, target]))
    return logits[: source.shape[0]], logits[source.shape[0] :]


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


class LossOutputError(ValueError):
    """An adaptation loss that does not return a scalar tensor."""


def check_output(name: str, value: Any) -> Tensor:
    """``value`` if it is a scalar tensor, else one sentence naming the loss and what it returned."""
    if isinstance(value, Tensor) and value.ndim == 0:
        return value
    got = f"a tensor of shape {tuple(value.shape)}" if isinstance(value, Tensor) else f"a {type(value).__name__}"
    raise LossOutputError(f"Loss '{name}' returned {got}; its forward must return a scalar tensor (e.g. .mean() of a per-example loss).")


def probe(name: str, loss: AdaptationLoss, num_classes: int, batch: int = 4) -> None:
    """Run ``loss`` once on random outputs of the right shapes, in eval mode and with the RNG state
    restored, so that a loss that crashes or returns a non-scalar is refused at set-up in one sentence."""
    was_training = loss.training
    loss.eval()
    try:
        with torch.random.fork_rng(devices=[]), torch.no_grad():
            f, logits = torch.randn(2, batch, loss.feature_dim), torch.randn(2, batch, num_classes)
            value = loss(StepOutputs(f[0], f[1], logits[0], logits[1], torch.arange(batch) % num_classes, 0.5))
    except Exception as err:  # noqa: BLE001 - a plugin's bug is reported in one sentence
        raise LossOutputError(f"Loss '{name}' failed on a test batch at set-up ({type(err).__name__}: {err}); fix the loss or its hyperparameters.") from None
    finally:
        loss.train(was_training)
    check_output(name, value)
