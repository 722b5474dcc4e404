"""CDAN and CDAN+E: conditional adversarial adaptation (Long et al., NeurIPS 2018).

The discriminator sees the multilinear map T(f, g) = f (x) g of features and class probabilities
(Eq. 4); above ``randomized_threshold`` dimensions the randomized map
T(f, g) = (R_f f) . (R_g g) / sqrt(d) is used instead (Eq. 5). CDAN+E weights each example by
w = 1 + exp(-H(g)) (Eq. 8), normalised over the batch.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from da_bench.losses.base import StepOutputs, domain_bce, register_loss
from da_bench.losses.dann import DANNLoss
from da_bench.losses.entropy import prediction_entropy
from da_bench.models.grl import reverse_gradient
from da_bench.models.heads import DomainDiscriminator


class MultilinearMap(nn.Module):
    """T(f, g): the flattened outer product, or its randomized approximation above a size threshold."""

    def __init__(self, feature_dim: int, num_classes: int, randomized_threshold: int = 4096, randomized_dim: int = 1024) -> None:
        super().__init__()
        self.randomized = feature_dim * num_classes > randomized_threshold
        self.out_dim = randomized_dim if self.randomized else feature_dim * num_classes
        if self.randomized:
            self.register_buffer("r_f", torch.randn(feature_dim, randomized_dim))
            self.register_buffer("r_g", torch.randn(num_classes, randomized_dim))

    def forward(self, f: Tensor, g: Tensor) -> Tensor:
        if self.randomized:
            return (f @ self.r_f) * (g @ self.r_g) / math.sqrt(self.out_dim)
        return torch.bmm(g.unsqueeze(2), f.unsqueeze(1)).flatten(1)


@register_loss("cdan")
class CDANLoss(DANNLoss):
    """Discriminator on the multilinear map of features and predictions (Long et al. 2018, Eq. 4-5)."""

    entropy_conditioning = False

    def __init__(self, feature_dim: int, num_classes: int, randomized_threshold: int = 4096, randomized_dim: int = 1024, **dann_hparams) -> None:
        super().__init__(feature_dim, num_classes, **dann_hparams)
        self.multilinear = MultilinearMap(feature_dim, num_classes, randomized_threshold, randomized_dim)
        self.discriminator = DomainDiscriminator(self.multilinear.out_dim, *self.discriminator_shape)

    def forward(self, out: StepOutputs) -> Tensor:
        # one joint pass over [source; target], so that batch norm in the discriminator sees both domains
        f = reverse_gradient(torch.cat([out.source_features, out.target_features]), self.grl_coeff(out.progress))
        g = torch.softmax(torch.cat([out.source_logits, out.target_logits]).float(), dim=1).detach()
        d = self.discriminator(self.multilinear(f.float(), g))
        n_s = out.source_features.shape[0]
        weights = None
        if self.entropy_conditioning:
            w = 1.0 + torch.exp(-prediction_entropy(g))
            weights = w / w.sum() * w.numel()
        return domain_bce(d[:n_s], d[n_s:], weights=weights)


@register_loss("cdan_e")
class CDANELoss(CDANLoss):
    """CDAN with entropy conditioning, w = 1 + exp(-H(g)) (Long et al. 2018, Eq. 8)."""

    entropy_conditioning = True
