"""DANN: domain-adversarial training (Ganin & Lempitsky, ICML 2015; Ganin et al., JMLR 2016).

L_d = -E_s[log D(G(x))] - E_t[log(1 - D(G(x)))] (JMLR 2016, Eq. 9/10); the gradient reversal layer
scales the gradient into the feature extractor by -lambda_p, lambda_p = 2 / (1 + exp(-10 p)) - 1
(Sec. 5.2.2), while the discriminator itself trains with weight 1. ``grl_gamma`` sets the ramp's 10: TLlib's
warm-start reversal, 2 / (1 + exp(-i / 1000)) - 1 at iteration i, is ``grl_gamma = steps / 1000``.
"""

from __future__ import annotations

import functools

from torch import Tensor

from da_bench.config import ConfigError
from da_bench.losses.base import AdaptationLoss, StepOutputs, discriminate, domain_bce, register_loss
from da_bench.models.grl import reverse_gradient
from da_bench.models.heads import DomainDiscriminator
from da_bench.registry import UnknownNameError, unknown_name_message
from da_bench.schedules import WEIGHT_SCHEDULES, dann_ramp


@register_loss("dann")
class DANNLoss(AdaptationLoss):
    """Domain classifier behind a gradient reversal layer (Ganin et al. 2016, Eq. 9-10)."""

    search_space = {"grl_max": [0.1, 0.3, 1.0], "width": [100, 256, 1024]}

    def __init__(
        self,
        feature_dim: int,
        num_classes: int,
        width: int = 1024,
        depth: int = 2,
        batch_norm: bool = True,
        dropout: float = 0.5,
        grl_schedule: str = "dann_ramp",
        grl_max: float = 1.0,
        grl_gamma: float = 10.0,
    ) -> None:
        super().__init__(feature_dim, num_classes)
        self.discriminator_shape = (width, depth, batch_norm, dropout)
        self.discriminator = DomainDiscriminator(feature_dim, *self.discriminator_shape)
        if grl_schedule not in WEIGHT_SCHEDULES:
            raise UnknownNameError(unknown_name_message("gradient-reversal schedule", grl_schedule, list(WEIGHT_SCHEDULES)))
        if grl_gamma != 10.0 and grl_schedule != "dann_ramp":
            raise ConfigError(f"grl_gamma sets the steepness of the 'dann_ramp' schedule only, not of '{grl_schedule}'; drop grl_gamma or use dann_ramp.")
        self.grl_schedule = functools.partial(dann_ramp, gamma=grl_gamma) if grl_schedule == "dann_ramp" else WEIGHT_SCHEDULES[grl_schedule]
        self.grl_max = grl_max

    def grl_coeff(self, progress: float) -> float:
        return self.grl_max * self.grl_schedule(progress)

    def forward(self, out: StepOutputs) -> Tensor:
        coeff = self.grl_coeff(out.progress)
        d_s, d_t = discriminate(self.discriminator, reverse_gradient(out.source_features, coeff), reverse_gradient(out.target_features, coeff))
        return domain_bce(d_s, d_t)
