"""AFN: stepwise adaptive feature norm, SAFN (Xu et al., "Larger Norm More Transferable: An Adaptive Feature Norm
Approach for Unsupervised Domain Adaptation", ICCV 2019).

Each example's feature norm is pulled towards its own norm under the previous parameters plus a step,
L = L_d(h(x; theta_0) + delta_r, h(x; theta)) with h(x) = ||f(x)||_2 and
L_d the L2 distance (the SAFN objective): computed as TLlib's
AdaptiveFeatureNorm, mean over the batch of (||f|| - (||f||.detach() + delta_r))^2, summed over source and target.
Defaults as the paper and TLlib: delta_r = 1.0, weight lambda = 0.05.
"""

from __future__ import annotations

from torch import Tensor

from da_bench.config import ConfigError
from da_bench.losses.base import AdaptationLoss, StepOutputs, full_precision, register_loss


def stepwise_norm_loss(features: Tensor, delta_r: float) -> Tensor:
    """mean_i (||f_i|| - (||f_i||.detach() + delta_r))^2: its gradient grows every norm by a step ~ delta_r."""
    norm = features.float().norm(p=2, dim=1)
    return (norm - (norm.detach() + delta_r)).pow(2).mean()


@register_loss("afn")
class AFNLoss(AdaptationLoss):
    """Stepwise adaptive feature norm on source and target features (Xu et al. 2019, SAFN)."""

    search_space = {"delta_r": [0.1, 0.3, 1.0], "weight": [0.01, 0.05, 0.1]}

    def __init__(self, feature_dim: int, num_classes: int, delta_r: float = 1.0) -> None:
        super().__init__(feature_dim, num_classes)
        if delta_r <= 0:
            raise ConfigError(f"AFN's delta_r (the norm step) must be positive (the paper uses 1.0), got {delta_r}.")
        self.delta_r = delta_r

    def forward(self, out: StepOutputs) -> Tensor:
        with full_precision(out.source_features):
            return stepwise_norm_loss(out.source_features, self.delta_r) + stepwise_norm_loss(out.target_features, self.delta_r)
