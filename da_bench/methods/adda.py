"""ADDA: adversarial discriminative domain adaptation (Tzeng et al., "Adversarial Discriminative Domain Adaptation",
CVPR 2017).

One run in two stages split by training progress, so that step counts, evaluation and resume work as for any method.
Stage 1 (the first ``pretrain_fraction`` of the batches) trains the source encoder M_s (backbone + bottleneck) and
the classifier C (``heads["label"]``) on the source labels (Eq. 4) with the config's optimizer and schedule. Stage 2
initialises a separate target encoder M_t from M_s, freezes M_s (batch norm included) and C, and plays the GAN game
with inverted labels: a discriminator D separates M_s(x_s) (label 1) from M_t(x_t) (label 0),
L_adv_D = -E_s log D(M_s(x_s)) - E_t log(1 - D(M_t(x_t))) (Eq. 7), while M_t is trained to be taken for the source,
L_adv_M = -E_t log D(M_t(x_t)) (Eq. 9). Both gradients come from the same forward pass and both optimisers step on
every batch, as the authors' code (erictzeng/adda, tools/train_adda.py) does.

Evaluation on the target (test split and validators) predicts C(M_t(x)) once stage 2 has begun, on the source
(source validation) C(M_s(x)). Defaults, from the paper and the authors' svhn-mnist script: D is 500-500-1 with ReLU
(no batch norm, no dropout); M_t and D train with Adam, lr 2e-4, beta_1 0.5, constant; ``pretrain_fraction`` 0.5
(10000 source iterations, then 10000 adversarial ones). The hyperparameters are class attributes (a plugin subclass
sets others).
"""

from __future__ import annotations

import copy
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from da_bench.losses.base import discriminate, domain_bce, full_precision
from da_bench.methods.custom import CustomStepMethod
from da_bench.methods.module import Inputs
from da_bench.methods.spec import register_method
from da_bench.models.heads import DomainDiscriminator


def mapping_loss(target_logits: Tensor) -> Tensor:
    """Eq. 9, the inverted-label GAN loss of the target encoder: -E_t log D(M_t(x_t)), D's logits in float32."""
    with full_precision(target_logits):
        return F.binary_cross_entropy_with_logits(target_logits.float(), torch.ones_like(target_logits, dtype=torch.float32))


@register_method("adda")
class ADDA(CustomStepMethod):
    """ADDA (Tzeng et al. 2017): source pretraining, then a separate target encoder against a domain discriminator."""

    pretrain_fraction = 0.5  # of the training batches: stage 1
    discriminator_width = 500
    discriminator_depth = 2
    adversarial_lr = 2e-4
    adversarial_betas = (0.5, 0.999)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.terms:
            raise ValueError(f"Method '{self.cfg.method}' trains in its own two stages and adds no 'losses' {[t.loss for t in self.terms]}; remove them.")
        if not 0.0 < self.pretrain_fraction < 1.0:
            raise ValueError(f"ADDA's pretrain_fraction must lie strictly between 0 and 1 (both stages run), got {self.pretrain_fraction}.")
        self.target_encoder = nn.Sequential(copy.deepcopy(self.backbone), copy.deepcopy(self.bottleneck))
        self.discriminator = DomainDiscriminator(self.feature_dim, self.discriminator_width, self.discriminator_depth, batch_norm=False, dropout=0.0)
        self.register_buffer("adapting", torch.tensor(False))  # stage 2 has begun: M_t holds its own weights

    @property
    def pretrain_steps(self) -> int:
        """Training batches of stage 1."""
        return round(self.pretrain_fraction * self.cfg.steps)

    def stage(self, batch: int) -> str:
        """'source' up to the last pretraining batch, then 'adapted': selection picks among the adapted points, whose
        target predictions go through M_t (a source-val tie with a stage-1 point would otherwise report the source
        model, as M_s is frozen in stage 2)."""
        return "source" if batch <= self.pretrain_steps else "adapted"

    def configure_optimizers(self) -> Any:
        source = self.make_optimizer(self.param_groups([*self.backbone.parameters(), *self.bottleneck.parameters(), *self.heads.parameters()]))
        target, discriminator = (
            torch.optim.Adam(self.param_groups(part.parameters(), self.adversarial_lr), betas=self.adversarial_betas, weight_decay=self.cfg.weight_decay)
            for part in (self.target_encoder, self.discriminator)
        )
        return [source, target, discriminator], [self.make_scheduler(source)]

    def target_features(self, x: Tensor) -> Tensor:
        """M_t(x): the target encoder's features."""
        if self.cfg.channels_last and x.ndim == 4:
            x = x.contiguous(memory_format=torch.channels_last)
        return self.target_encoder(x)

    def train(self, mode: bool = True) -> ADDA:
        super().train(mode)
        if bool(self.adapting):
            self.backbone.eval()  # stage 2: M_s is frozen, its batch-norm statistics too
            self.bottleneck.eval()
        return self

    def start_adaptation(self) -> None:
        """Stage 2 begins: M_t starts as a copy of M_s, which is frozen from here on."""
        self.target_encoder[0].load_state_dict(self.backbone.state_dict())
        self.target_encoder[1].load_state_dict(self.bottleneck.state_dict())
        self.adapting.fill_(True)
        self.train(self.training)

    def update(self, inputs: Inputs) -> dict[str, Tensor]:
        opt_source, opt_target, opt_discriminator = self.optimizers()
        if self.steps_done < self.pretrain_steps:
            x, y = inputs.labeled()
            loss, _ = self.supervised_loss(self.features(x), y)
            self.step(loss, opt_source)
            return {"loss": loss}
        if self.steps_done == self.pretrain_steps:  # not the buffer: reading it would wait on the device every step
            self.start_adaptation()
        assert inputs.target is not None  # uses_target: every training batch has target data
        with torch.no_grad():
            f_s = self.features(inputs.source)
        f_t = self.target_features(inputs.target)
        d_s, d_t = discriminate(self.discriminator, f_s, f_t.detach())
        discriminator_loss = domain_bce(d_s, d_t)  # Eq. 7, on M_t's features as they were before its step
        loss = mapping_loss(self.discriminator(f_t))  # Eq. 9, through D as it was before its step
        self.step(loss, opt_target)
        self.step(discriminator_loss, opt_discriminator)
        return {"loss": loss, "discriminator": discriminator_loss}

    def predict(self, x: Tensor, domain: str = "target") -> tuple[Tensor, Tensor]:
        f = self.target_features(x) if domain == "target" and bool(self.adapting) else self.features(x)
        return f, self.heads["label"](f)
