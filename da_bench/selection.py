"""Model selection without target labels: unsupervised validators and selection rules.

Every validator maps the outputs of one evaluation point to a score where higher is better.
Validators see source-validation outputs (with source labels) and unlabeled target-train outputs;
target test labels never reach them. ``oracle`` selection (target test accuracy) exists only to
be reported beside honest selection, and tables label it as such.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from da_bench.losses.entropy import prediction_entropy
from da_bench.registry import VALIDATORS, UnknownNameError, unknown_name_message


@dataclass
class EvalOutputs:
    """Outputs of one evaluation point that validators may use (no target labels)."""

    source_logits: Tensor
    source_features: Tensor
    source_labels: Tensor
    target_logits: Tensor
    target_features: Tensor


Validator = Callable[[EvalOutputs], float]


def register_validator(name: str) -> Callable[[Validator], Validator]:
    return VALIDATORS.register(name)


@register_validator("entropy")
def neg_entropy(out: EvalOutputs) -> float:
    """Negative mean prediction entropy on the target (Morerio et al. 2018; low entropy = confident)."""
    return -float(prediction_entropy(torch.softmax(out.target_logits.float(), 1)).mean())


@register_validator("im")
def information_maximization(out: EvalOutputs) -> float:
    """Information Maximization: H(E_t[p]) - E_t[H(p)] (Shi & Sha 2012; Liang et al. 2020, SHOT Eq. 2)."""
    p = torch.softmax(out.target_logits.float(), 1)
    marginal = p.mean(0, keepdim=True)
    return float(prediction_entropy(marginal)[0] - prediction_entropy(p).mean())


@register_validator("snd")
def soft_neighborhood_density(out: EvalOutputs, temperature: float = 0.05) -> float:
    """Soft Neighborhood Density (Saito et al., ICCV 2021, Eq. 1-3): entropy of neighbour similarities.

    The softmax over cosine similarities between normalised target predictions (self excluded),
    temperature 0.05; a higher entropy means denser neighbourhoods."""
    z = F.normalize(torch.softmax(out.target_logits.float(), 1), dim=1)
    sim = z @ z.T / temperature
    sim.fill_diagonal_(float("-inf"))
    p = torch.softmax(sim, dim=1)
    return float(-(p * torch.log(p.clamp_min(1e-12))).sum(1).mean())


@register_validator("dev")
def deep_embedded_validation(out: EvalOutputs) -> float:
    """Deep Embedded Validation (You et al., ICML 2019, Alg. 1), returned as the negated risk.

    A logistic domain classifier on features gives density ratios w = (n_s/n_t) p(t|x)/p(s|x) for
    the source validation samples; the importance-weighted loss gets the control variate
    eta = -Cov(L w, w) / Var(w): risk = mean(L w) + eta mean(w) - eta.
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    fs, ft = out.source_features.float().numpy(), out.target_features.float().numpy()
    x = StandardScaler().fit_transform(np.concatenate([fs, ft]))
    d = np.concatenate([np.zeros(len(fs)), np.ones(len(ft))])
    clf = LogisticRegression(max_iter=200, C=1.0).fit(x, d)
    p_t = clf.predict_proba(x[: len(fs)])[:, 1].clip(1e-6, 1 - 1e-6)
    w = (len(fs) / len(ft)) * p_t / (1 - p_t)
    loss = F.cross_entropy(out.source_logits.float(), out.source_labels, reduction="none").numpy()
    weighted = loss * w
    var_w = w.var(ddof=1)
    eta = -np.cov(weighted, w)[0, 1] / var_w if var_w > 0 else 0.0
    return -float(weighted.mean() + eta * w.mean() - eta)


def validator_scores(out: EvalOutputs) -> dict[str, float]:
    return {f"val_{name}": fn(out) for name, fn in VALIDATORS.items()}


RULE_KEYS = {"source-val": "source_val_acc", "oracle": "target_test_acc"}


def selection_rules() -> list[str]:
    return ["last", "source-val", *VALIDATORS.names(), "oracle"]


def select_point(history: list[dict[str, Any]], rule: str) -> dict[str, Any]:
    """The evaluation point a rule picks: the last one, or the one maximising the rule's score
    (ties go to the later point). Points of a two-stage method carry their ``stage`` (SHOT: 'source', then
    'adapted'); only those of the last stage are the method's result and can be picked."""
    if not history:
        raise ValueError("A run record holds no evaluation point to select from.")
    history = [point for point in history if point.get("stage") == history[-1].get("stage")]
    if rule == "last":
        return history[-1]
    if rule not in RULE_KEYS and rule not in VALIDATORS:
        raise UnknownNameError(unknown_name_message("selection rule", rule, selection_rules()))
    key = RULE_KEYS.get(rule, f"val_{rule}")
    scored = [(point.get(key), i) for i, point in enumerate(history) if point.get(key) is not None and np.isfinite(point.get(key))]
    if not scored:
        raise ValueError(f"The record has no '{key}' score, so rule '{rule}' cannot select; rerun with validators enabled.")
    return history[max(scored)[1]]
