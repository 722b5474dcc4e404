"""MCC: minimum class confusion (Jin et al., "Minimum Class Confusion for Versatile Domain Adaptation", ECCV 2020).

Sec. 3, on the target batch of B predictions over |C| classes: probabilities with temperature scaling,
Y = softmax(Z / T); uncertainty reweighting, W_ii = B (1 + exp(-H(Y_i))) / sum_i' (1 + exp(-H(Y_i'))); the class
confusion C = Y^T W Y, with category normalisation C~_jj' = C_jj' / sum_j'' C_jj''; and the loss
L_MCC = (1 / |C|) sum_j sum_{j' != j} C~_jj'. Defaults as the paper and TLlib: T = 2.5, weight 1.

MCC alone is ``method=mcc``; as a regulariser beside another method it is one config key, e.g. CDAN + MCC (the
paper's Table 1 row): ``da-bench run method=cdan losses.mcc.weight=1.0`` (``losses.mcc.temperature=...`` sets T).
"""

from __future__ import annotations

import torch
from torch import Tensor

from da_bench.config import ConfigError
from da_bench.losses.base import AdaptationLoss, StepOutputs, full_precision, register_loss
from da_bench.losses.entropy import prediction_entropy


def class_confusion(logits: Tensor, temperature: float) -> Tensor:
    """The reweighted, category-normalised class-confusion matrix C~ (|C| x |C|) of a batch of logits."""
    probs = torch.softmax(logits.float() / temperature, dim=1)
    w = 1.0 + torch.exp(-prediction_entropy(probs).detach())
    confusion = (probs * (len(w) * w / w.sum()).unsqueeze(1)).T @ probs
    return confusion / confusion.sum(dim=1, keepdim=True)


@register_loss("mcc")
class MCCLoss(AdaptationLoss):
    """Minimum class confusion on the target predictions (Jin et al. 2020): the off-diagonal mass of C~ per class."""

    search_space = {"temperature": [1.0, 2.5, 5.0], "weight": [0.3, 1.0, 3.0]}

    def __init__(self, feature_dim: int, num_classes: int, temperature: float = 2.5) -> None:
        super().__init__(feature_dim, num_classes)
        if temperature <= 0:
            raise ConfigError(f"MCC's temperature must be positive (the paper uses 2.5), got {temperature}.")
        self.temperature = temperature

    def forward(self, out: StepOutputs) -> Tensor:
        with full_precision(out.target_logits):
            confusion = class_confusion(out.target_logits, self.temperature)
            return (confusion.sum() - confusion.trace()) / confusion.shape[0]
