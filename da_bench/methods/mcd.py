"""MCD: maximum classifier discrepancy (Saito et al., "Maximum Classifier Discrepancy for Unsupervised Domain
Adaptation", CVPR 2018).

A generator G (backbone + bottleneck) feeds two classifiers F1, F2 (``heads["label"]``, ``heads["label_2"]``); their
discrepancy on a target example is d(p1, p2) = (1 / K) sum_k |p1_k - p2_k| over the K class probabilities (Eq. 1).
Per batch (Sec. 3.2): step A trains G, F1, F2 to classify the source; step B trains F1, F2 to keep the source and
maximise the target discrepancy, min_F L_s - L_adv with L_adv = E_t d(p1, p2); step C trains G ``num_k`` times to
minimise L_adv. Evaluation predicts with (F1 + F2) / 2. Defaults as the paper: num_k = 4, L_adv weight 1
(``discrepancy_weight``; TLlib's digits recipe: 0.3), and no target term. TLlib adds a class-balance term on the
target in steps A and B, -(1 / K) sum_k log(mean_i p_ik + 1e-6) per classifier, which keeps the batch's mean
prediction spread over the classes (its ``tllib.alignment.mcd.entropy``, not a per-sample entropy):
``class_balance_weight``, 0 as in the paper, TLlib's default 0.01, its digits recipe 0.03.

Registered as ``mcd`` (the README's plugin example registers ``my_mcd``); its hyperparameters are class attributes,
set per run by ``method_args`` (:mod:`da_bench.methods.hyperparameters`).
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor

from da_bench.methods.custom import CustomStepMethod
from da_bench.methods.module import Inputs
from da_bench.methods.spec import register_method


def classifier_discrepancy(logits_1: Tensor, logits_2: Tensor) -> Tensor:
    """Eq. 1, averaged over the batch: mean absolute difference of the two classifiers' class probabilities."""
    return (logits_1.float().softmax(1) - logits_2.float().softmax(1)).abs().mean()


def class_balance(logits: Tensor) -> Tensor:
    """-(1 / K) sum_k log(pbar_k + 1e-6), pbar the batch's mean class probabilities: log K when the batch spreads
    evenly over the K classes, larger the more it piles onto few (TLlib's MCD ``entropy``)."""
    return -torch.log(logits.float().softmax(1).mean(0) + 1e-6).mean()


@register_method("mcd")
class MCD(CustomStepMethod):
    """MCD (Saito et al. 2018): two classifiers maximise their target discrepancy, the generator minimises it."""

    num_k = 4  # generator updates per batch (step C)
    discrepancy_weight = 1.0
    class_balance_weight = 0.0  # the paper has no target term; TLlib 0.01 (digits 0.03)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.terms:
            raise ValueError(f"Method '{self.cfg.method}' trains with its own three steps and adds no 'losses' {[t.loss for t in self.terms]}; remove them.")
        self.heads["label_2"] = self.new_head()

    def configure_optimizers(self) -> Any:
        generator = [*self.backbone.parameters(), *self.bottleneck.parameters()]
        classifiers = [*self.heads["label"].parameters(), *self.heads["label_2"].parameters()]
        opt_g, opt_f = (self.make_optimizer(self.param_groups(params)) for params in (generator, classifiers))
        return [opt_g, opt_f], [self.make_scheduler(opt_g), self.make_scheduler(opt_f)]

    def objectives(self, x: Tensor, y: Tensor) -> tuple[Tensor, Tensor]:
        """On the joint batch [labeled; target] (batch norm sees both domains): the source cross-entropy of both
        classifiers plus the weighted target class-balance term, and the target discrepancy."""
        f = self.features(x)
        n = len(y)
        y1, y2 = self.heads["label"](f), self.heads["label_2"](f)
        source = F.cross_entropy(y1[:n].float(), y) + F.cross_entropy(y2[:n].float(), y)
        balance = class_balance(y1[n:]) + class_balance(y2[n:])
        return source + self.class_balance_weight * balance, classifier_discrepancy(y1[n:], y2[n:])

    def update(self, inputs: Inputs) -> dict[str, Tensor]:
        opt_g, opt_f = self.optimizers()
        x_sup, y_sup = inputs.labeled()
        x = torch.cat([x_sup, inputs.target])
        source, _ = self.objectives(x, y_sup)
        self.step(source, opt_g, opt_f)  # step A
        source, gap = self.objectives(x, y_sup)
        self.step(source - self.discrepancy_weight * gap, opt_f)  # step B
        for _ in range(self.num_k):
            gap = self.objectives(x, y_sup)[1]
            self.step(self.discrepancy_weight * gap, opt_g)  # step C
        return {"loss": source, "discrepancy": gap}

    def predict(self, x: Tensor, domain: str = "target") -> tuple[Tensor, Tensor]:
        f = self.features(x)
        return f, (self.heads["label"](f) + self.heads["label_2"](f)) / 2
