"""MDD: margin disparity discrepancy (Zhang et al., "Bridging Theory and Algorithm for Domain Adaptation", ICML 2019).

An auxiliary classifier f' (``heads["adversary"]``, shaped as the label head) reads the features through a gradient
reversal layer. With h_f = argmax f the main classifier's labels (no gradient) and sigma' = softmax(f'), the
discrepancy estimate (Sec. 5, the cross-entropy form of the margin disparity) is
MDD = gamma E_s log sigma'_{h_f}(x) + E_t log(1 - sigma'_{h_f}(x)); f' maximises it and the features, through the
reversal, minimise it. As TLlib, the loss term is -MDD = gamma CE(f'(x_s), h_f) - E_t log(1 - sigma'_{h_f}) (>= 0),
weight 1, margin gamma = 4, and the reversal coefficient 0.1 (2 / (1 + exp(-i / 1000)) - 1) at training batch i
(TLlib's warm start). The config's ``losses`` add to it (e.g. ``losses.mcc.weight=1.0``); the hyperparameters are
class attributes (a plugin subclass sets others).
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor

from da_bench.losses import StepOutputs
from da_bench.losses.base import full_precision
from da_bench.methods.module import Method
from da_bench.methods.spec import register_method
from da_bench.models.grl import reverse_gradient
from da_bench.schedules import dann_ramp


def mdd_loss(logits_s: Tensor, adversary_s: Tensor, logits_t: Tensor, adversary_t: Tensor, margin: float) -> Tensor:
    """-MDD: gamma CE(f'(x_s), h_f(x_s)) - mean_t log(1 - sigma'_{h_f}(x_t)), log clamped as TLlib (1e-6 offset)."""
    with full_precision(logits_s):
        source = F.cross_entropy(adversary_s.float(), logits_s.argmax(1))
        p_t = adversary_t.float().softmax(1).gather(1, logits_t.argmax(1, keepdim=True)).squeeze(1)
        return margin * source - torch.log(torch.clamp(1.0 - p_t + 1e-6, max=1.0)).mean()


@register_method("mdd")
class MDD(Method):
    """MDD (Zhang et al. 2019): margin disparity discrepancy against an adversarial auxiliary classifier."""

    uses_target = True
    margin = 4.0  # gamma
    weight = 1.0
    grl_max = 0.1
    grl_warm_batches = 1000  # TLlib's max_iters: the reversal ramps as 2 / (1 + exp(-i / 1000)) - 1

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.heads["adversary"] = self.new_head()

    def grl_coeff(self, progress: float) -> float:
        return self.grl_max * dann_ramp(progress, gamma=self.cfg.steps / self.grl_warm_batches)

    def adaptation_loss(self, out: StepOutputs | None) -> Tensor:
        """The config's loss terms plus weight * (-MDD)."""
        total = super().adaptation_loss(out)
        assert out is not None  # uses_target: every training batch has target data
        f = reverse_gradient(torch.cat([out.source_features, out.target_features]), self.grl_coeff(out.progress))
        adversary = self.heads["adversary"](f)
        n = len(out.source_features)
        value = mdd_loss(out.source_logits, adversary[:n], out.target_logits, adversary[n:], self.margin)
        self.log_step("train/mdd", value)
        return total + self.weight * value
