import math

import numpy as np
import pytest
import torch

from da_bench.registry import UnknownNameError
from da_bench.selection import EvalOutputs, deep_embedded_validation, information_maximization, neg_entropy, select_point, soft_neighborhood_density


def eval_outputs(seed: int = 0) -> EvalOutputs:
    g = torch.Generator().manual_seed(seed)
    return EvalOutputs(
        torch.randn(30, 3, generator=g),
        torch.randn(30, 5, generator=g),
        torch.randint(0, 3, (30,), generator=g),
        torch.randn(20, 3, generator=g),
        torch.randn(20, 5, generator=g),
    )


def test_entropy_and_im_match_reference():
    out = eval_outputs()
    p = torch.softmax(out.target_logits, 1).numpy()
    ent = -(p * np.log(p + 1e-8)).sum(1)
    assert neg_entropy(out) == pytest.approx(-ent.mean(), rel=1e-5)
    marginal = p.mean(0)
    assert information_maximization(out) == pytest.approx(-(marginal * np.log(marginal + 1e-8)).sum() - ent.mean(), rel=1e-5)


def test_snd_matches_reference():
    out = eval_outputs(1)
    p = torch.softmax(out.target_logits, 1).numpy()
    z = p / np.linalg.norm(p, axis=1, keepdims=True)
    sim = z @ z.T / 0.05
    np.fill_diagonal(sim, -np.inf)
    q = np.exp(sim - sim.max(1, keepdims=True))
    q /= q.sum(1, keepdims=True)
    expected = -(q * np.log(np.clip(q, 1e-12, None))).sum(1).mean()
    assert soft_neighborhood_density(out) == pytest.approx(expected, rel=1e-4)


def test_dev_prefers_lower_source_loss():
    good = eval_outputs(2)
    bad = EvalOutputs(-good.source_logits * 5, good.source_features, good.source_labels, good.target_logits, good.target_features)
    labels_onehot = torch.nn.functional.one_hot(good.source_labels, 3).float() * 10
    perfect = EvalOutputs(labels_onehot, good.source_features, good.source_labels, good.target_logits, good.target_features)
    assert deep_embedded_validation(perfect) > deep_embedded_validation(good) > deep_embedded_validation(bad)
    assert math.isfinite(deep_embedded_validation(good))


HISTORY = [
    {"step": 100, "source_val_acc": 0.8, "target_test_acc": 0.5, "val_entropy": -1.0, "val_snd": 2.0},
    {"step": 200, "source_val_acc": 0.9, "target_test_acc": 0.4, "val_entropy": -0.5, "val_snd": 1.0},
    {"step": 300, "source_val_acc": 0.85, "target_test_acc": 0.7, "val_entropy": -0.8, "val_snd": 3.0},
]


@pytest.mark.parametrize("rule,step", [("last", 300), ("source-val", 200), ("oracle", 300), ("entropy", 200), ("snd", 300)])
def test_rules_pick_the_right_point(rule, step):
    assert select_point(HISTORY, rule)["step"] == step


def test_ties_go_to_later_point_and_bad_rule_named():
    tied = [{"step": 1, "source_val_acc": 0.9}, {"step": 2, "source_val_acc": 0.9}]
    assert select_point(tied, "source-val")["step"] == 2
    with pytest.raises(UnknownNameError, match="source-val"):
        select_point(HISTORY, "source_val")
