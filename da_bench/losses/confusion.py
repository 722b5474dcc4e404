"""Domain confusion (Tzeng et al., ICCV 2015, Sec. 3.1).

Alternating updates: the domain classifier minimises its domain cross-entropy on fixed features
(Eq. 4), and the feature extractor minimises the cross-entropy between the classifier's output and
the uniform distribution over domains (Eq. 5), L_conf = -sum_d (1/D) log q_d.
"""

from __future__ import annotations

from typing import Iterator

from torch import Tensor, nn

from da_bench.losses.base import AdaptationLoss, StepOutputs, discriminate, domain_bce, register_loss
from da_bench.models.heads import DomainDiscriminator


@register_loss("confusion")
class DomainConfusionLoss(AdaptationLoss):
    """Feature extractor trained toward a uniform domain prediction; adversary updated alternately (Tzeng et al. 2015, Eq. 4-5)."""

    alternating = True
    search_space = {"width": [100, 500, 1024]}

    def __init__(self, feature_dim: int, num_classes: int, width: int = 1024, depth: int = 2, batch_norm: bool = True, dropout: float = 0.5) -> None:
        super().__init__(feature_dim, num_classes)
        self.discriminator = DomainDiscriminator(feature_dim, width, depth, batch_norm, dropout)

    def forward(self, out: StepOutputs) -> Tensor:
        return domain_bce(*discriminate(self.discriminator, out.source_features, out.target_features), target_value=0.5)

    def adversary_loss(self, out: StepOutputs) -> Tensor:
        return domain_bce(*discriminate(self.discriminator, out.source_features.detach(), out.target_features.detach()))

    def adversary_parameters(self) -> Iterator[nn.Parameter]:
        return self.discriminator.parameters()
