"""Self-training with FixMatch's confidence-thresholded pseudo-labels (Sohn et al., "FixMatch: Simplifying
Semi-Supervised Learning with Consistency and Confidence", NeurIPS 2020), on the unlabeled target as TLlib's
fixmatch.py does for domain adaptation.

Per batch: the model's prediction on a weakly augmented target view, q = softmax(p(y | alpha(u))) without gradient,
gives the pseudo-label argmax q, kept where max q >= tau; the strongly augmented view A(u) is trained towards it,
l_u = (1 / mu B) sum_b 1(max q_b >= tau) H(argmax q_b, p(y | A(u_b))) (Eq. 4, averaged over the whole target
batch), and the loss is l_s + lambda_u l_u (Eq. 2 + Eq. 4). Defaults as the paper: tau = 0.95 (TLlib: 0.9),
lambda_u = 1, two RandAugment ops; the views are :mod:`da_bench.data.augment`'s. Feature vectors have no paper
default: their views add Gaussian noise of 0.1 (weak) and 1.0 (strong) times each feature's batch standard deviation,
chosen on the two-moons toy (a strong 0.5 stayed below source-only there).

A method rather than a loss term: a loss receives features and logits (``StepOutputs``), not the target images it
would have to augment and forward. As TLlib, the weak pass runs in training mode (its batch statistics update batch
norm); unlike TLlib, the source and the strong target view share one forward pass, as every method here does, and
``StepOutputs`` of that pass feed the config's ``losses``, which add to l_s + lambda_u l_u (e.g. ``losses.mcc.weight=1``).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor

from da_bench.data.augment import strong_augment, weak_augment
from da_bench.losses.base import full_precision
from da_bench.methods.custom import CustomStepMethod
from da_bench.methods.module import Inputs
from da_bench.methods.spec import register_method
from da_bench.registry import LOSSES


def self_training_loss(strong_logits: Tensor, weak_logits: Tensor, threshold: float) -> tuple[Tensor, Tensor]:
    """Eq. 4: the cross-entropy of the strong view against the weak view's argmax where its top probability is at
    least ``threshold``, averaged over every target example; and the fraction of examples kept."""
    with full_precision(strong_logits):
        confidence, pseudo_labels = weak_logits.detach().float().softmax(1).max(1)
        kept = (confidence >= threshold).float()
        return (F.cross_entropy(strong_logits.float(), pseudo_labels, reduction="none") * kept).mean(), kept.mean()


@register_method("fixmatch")
class FixMatch(CustomStepMethod):
    """FixMatch self-training (Sohn et al. 2020): confident weak-view pseudo-labels train the strong target view."""

    threshold = 0.95  # tau
    weight = 1.0  # lambda_u
    num_ops = 2  # RandAugment ops per strong view
    weak_noise = 0.1  # feature vectors: relative noise of the weak view
    strong_noise = 1.0  # and of the strong view

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        alternating = [t.loss for t in self.terms if LOSSES.get(t.loss).alternating]
        if alternating:
            raise ValueError(
                f"Method '{self.cfg.method}' takes one optimiser step per batch; losses {alternating} train their adversary in a step of its own; remove them."
            )

    def update(self, inputs: Inputs) -> dict[str, Tensor]:
        opt = self.optimizers()
        assert inputs.target is not None  # uses_target: every training batch has target data
        with torch.no_grad():
            weak_logits = self.predict(weak_augment(inputs.target, self.weak_noise))[1]
        strong = strong_augment(inputs.target, self.strong_noise, self.num_ops)
        sup_loss, out, _ = self.step_outputs(replace(inputs, target=strong))
        assert out is not None
        unsup, kept = self_training_loss(out.target_logits, weak_logits, self.threshold)
        loss = sup_loss + self.adaptation_loss(out) + self.weight * unsup
        self.step(loss, opt)
        return {"loss": loss, "self_training": unsup, "pseudo_label_ratio": kept}
