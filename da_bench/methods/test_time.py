"""Test-time adaptation: plain source training; at evaluation a copy of the trained network adapts online over each
target split's batches, and the split's accuracy is that of the online predictions.

- TENT (Wang et al., "Tent: Fully Test-Time Adaptation by Entropy Minimization", ICLR 2021): batch norm normalises
  with each test batch's statistics, and one gradient step per batch on the batch-norm affine parameters alone
  (scale and shift) minimises the mean prediction entropy H(y^) = -sum_c p(y^_c) log p(y^_c) (Eq. 1); a batch is
  predicted by the forward pass that gives its loss, before the step (the authors' code). Adam, lr 1e-3, as the
  paper's CIFAR setting.
- BN adaptation (Schneider et al., NeurIPS 2020, with no source prior N = 0; Li et al.'s AdaBN per batch): batch norm
  normalises with each test batch's statistics, no gradient.

The stream: each evaluation batch of a target split cut into batches of at least ``batch_size`` (tails merged, since
batch norm needs more than one sample). The copy starts afresh for every target split of every evaluation, so the
trained weights never change and the validators see the same adaptation on the unlabeled target split; the rest of
the copy (dropout included) stays in eval mode. Source validation scores the trained network as it is.
"""

from __future__ import annotations

import copy
from typing import Any

import torch
from torch import Tensor, nn

from da_bench.losses.entropy import prediction_entropy
from da_bench.methods.module import Method, batch_norms
from da_bench.methods.spec import register_method


def online_copy(network: nn.Module) -> nn.Module:
    """A copy of ``network`` in eval mode but for its batch-norm layers (batch statistics), with gradients off."""
    online = copy.deepcopy(network).eval()
    for norm in batch_norms(online):
        norm.train()
    online.requires_grad_(False)
    return online


class OnlineAdaptation(Method):
    """Source training, then online batch-norm adaptation of a copy of the network on each target split at evaluation."""

    setting = "test-time"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.terms:
            raise ValueError(f"Method '{self.cfg.method}' trains on the source alone and adds no 'losses' {[t.loss for t in self.terms]}; remove them.")
        if not batch_norms(self):
            raise ValueError(
                f"Method '{self.cfg.method}' adapts batch-norm layers at test time but this network has none; "
                "set bottleneck_dim (the bottleneck has batch norm) or use a backbone with batch norm."
            )
        self._split: int | None = None  # the evaluation split now predicted
        self._online: tuple[int, nn.ModuleList, torch.optim.Optimizer | None] | None = None

    def optimizer_for(self, online: nn.ModuleList) -> torch.optim.Optimizer | None:
        """The optimiser of the online copy's parameters; ``None``: statistics alone, no gradient."""
        return None

    def on_validation_epoch_start(self) -> None:
        self._online = None

    def on_validation_epoch_end(self) -> None:
        super().on_validation_epoch_end()
        self._online = None

    def validation_step(self, batch: Any, batch_idx: int, dataloader_idx: int = 0) -> None:
        self._split = dataloader_idx
        try:
            super().validation_step(batch, batch_idx, dataloader_idx)
        finally:
            self._split = None

    def predict(self, x: Tensor, domain: str = "target") -> tuple[Tensor, Tensor]:
        """Outside evaluation and on the source: the trained network. On a target split at evaluation: the online copy."""
        if domain != "target" or self._split is None:
            return super().predict(x, domain)
        if self._online is None or self._online[0] != self._split:
            with torch.inference_mode(False):  # evaluation runs in inference mode; the copy must take gradients
                network = online_copy(nn.ModuleList([self.backbone, self.bottleneck, self.heads["label"]]))
                self._online = (self._split, network, self.optimizer_for(network))
        _, network, optimizer = self._online
        parts = [self.adapt(network, optimizer, chunk) for chunk in torch.tensor_split(x, max(1, len(x) // self.cfg.batch_size))]
        return torch.cat([f for f, _ in parts]), torch.cat([logits for _, logits in parts])

    def adapt(self, network: nn.ModuleList, optimizer: torch.optim.Optimizer | None, x: Tensor) -> tuple[Tensor, Tensor]:
        """Predict one test batch with batch statistics, then (with an optimiser) one step on its mean entropy (TENT Eq. 1)."""
        backbone, bottleneck, head = network
        with torch.inference_mode(False), torch.set_grad_enabled(optimizer is not None):
            f = bottleneck(backbone(x.clone()))
            logits = head(f)
            if optimizer is not None:
                loss = prediction_entropy(logits.float().softmax(1)).mean()
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
        return f.detach(), logits.detach()


@register_method("tent")
class TENT(OnlineAdaptation):
    """TENT (Wang et al. 2021): at test time, batch statistics and an entropy step on the batch-norm scales and shifts."""

    entropy_lr = 1e-3  # Adam, the paper's CIFAR setting

    def optimizer_for(self, online: nn.ModuleList) -> torch.optim.Optimizer:
        affine = [p for norm in batch_norms(online) for p in (norm.weight, norm.bias) if p is not None]
        for p in affine:
            p.requires_grad_(True)
        return torch.optim.Adam(affine, lr=self.entropy_lr)


@register_method("bn_adapt")
class BNAdapt(OnlineAdaptation):
    """BN adaptation (Schneider et al. 2020; AdaBN, Li et al. 2017): at test time, batch norm with the test batch's statistics."""
