"""BSP: batch spectral penalization (Chen et al., "Transferability vs. Discriminability: Batch Spectral Penalization
for Adversarial Domain Adaptation", ICML 2019).

The penalty L_bsp = sum_{i=1..k} (sigma_s,i^2 + sigma_t,i^2), sigma_s,i and sigma_t,i the i-th largest singular values of
the source and target feature matrices of the batch (rows: examples). Defaults as the paper: k = 1, weight
beta = 1e-4. BSP regularises an adversarial method: ``method=dann_bsp`` / ``method=cdan_bsp``, or any method
plus ``losses.bsp.weight=1e-4``.
"""

from __future__ import annotations

import torch
from torch import Tensor

from da_bench.config import ConfigError
from da_bench.losses.base import AdaptationLoss, StepOutputs, full_precision, register_loss


def top_squared_singular_values(features: Tensor, k: int) -> Tensor:
    """sum of the k largest squared singular values of ``features`` (all of them where the matrix has fewer)."""
    return torch.linalg.svdvals(features.float())[:k].pow(2).sum()


@register_loss("bsp")
class BSPLoss(AdaptationLoss):
    """Penalise the k largest singular values of the source and target feature batches (Chen et al. 2019)."""

    search_space = {"weight": [1e-5, 1e-4, 1e-3]}

    def __init__(self, feature_dim: int, num_classes: int, k: int = 1) -> None:
        super().__init__(feature_dim, num_classes)
        if isinstance(k, bool) or not isinstance(k, int) or k < 1:
            raise ConfigError(f"BSP's k (singular values penalised) must be a positive integer (the paper uses 1), got {k!r}.")
        self.k = k

    def forward(self, out: StepOutputs) -> Tensor:
        with full_precision(out.source_features):
            return top_squared_singular_values(out.source_features, self.k) + top_squared_singular_values(out.target_features, self.k)
