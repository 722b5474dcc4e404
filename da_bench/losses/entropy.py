"""Target entropy minimisation (Grandvalet & Bengio, NeurIPS 2004; used in RTN, Long et al. 2016)."""

from __future__ import annotations

import torch
from torch import Tensor

from da_bench.losses.base import AdaptationLoss, StepOutputs, full_precision, register_loss


def prediction_entropy(probs: Tensor, eps: float = 1e-8) -> Tensor:
    """H(p) = -sum_c p_c log p_c for each row of class probabilities."""
    return -(probs * torch.log(probs + eps)).sum(dim=1)


@register_loss("entropy")
class EntropyLoss(AdaptationLoss):
    """Mean prediction entropy on the target batch: E_t[H(softmax(g(x)))]."""

    search_space = {"weight": [0.01, 0.1, 0.3]}

    def forward(self, out: StepOutputs) -> Tensor:
        with full_precision(out.target_logits):
            return prediction_entropy(torch.softmax(out.target_logits.float(), dim=1)).mean()
