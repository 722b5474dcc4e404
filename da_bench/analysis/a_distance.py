"""The proxy A-distance between two feature samples (Ben-David et al., "Analysis of Representations for Domain
Adaptation", NIPS 2007, Sec. 4; Ben-David et al., "A theory of learning from different domains", Machine Learning
2010, Sec. 4.1): d_A = 2 (1 - 2 eps), with eps the held-out error of a classifier trained to tell source samples
from target samples. 0: the classifier does no better than chance; 2: it separates the domains without error.

The recipe is TLlib's (``tllib/utils/analysis/a_distance.py``, ``calculate``): a linear layer with a sigmoid output
trained on binary cross-entropy by plain SGD (lr 0.01, batch size 2, no momentum) for 10 epochs on a random 80 % of
the samples, eps its error (output >= 0.5 counts as source) on the other 20 % after the last epoch, and d_A not
clipped (eps > 0.5 gives d_A < 0). Differences: the split and the shuffling are seeded; the weights start at zero
instead of torch's random initialisation; the features are standardised with the training part's mean and
standard deviation, so that the SGD step does not depend on the features' scale (which differs between backbones
and methods). Callers pass equally many samples per domain: otherwise always answering the larger domain already
gives eps < 0.5 (TLlib takes the features as given).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import expit

MIN_SAMPLES = 5  # per domain


@dataclass(frozen=True)
class ADistance:
    distance: float  # d_A = 2 (1 - 2 eps), in [-2, 2]
    error: float  # eps, the held-out error
    held_out: np.ndarray  # indices into concat(source, target) of the samples eps is measured on


def distance_from_error(error: float) -> float:
    """d_A = 2 (1 - 2 eps) (Ben-David et al. 2007, Sec. 4)."""
    return 2.0 * (1.0 - 2.0 * error)


def proxy_a_distance(
    source: np.ndarray, target: np.ndarray, seed: int = 0, epochs: int = 10, lr: float = 0.01, batch_size: int = 2, train_fraction: float = 0.8
) -> ADistance:
    """d_A between ``source`` and ``target`` features (rows are samples), by TLlib's recipe (see the module)."""
    if min(len(source), len(target)) < MIN_SAMPLES:
        raise ValueError(
            f"The A-distance needs at least {MIN_SAMPLES} samples per domain (got {len(source)} source, {len(target)} target); analyse more samples."
        )
    x = np.concatenate([source, target]).astype(np.float64).reshape(len(source) + len(target), -1)
    y = np.concatenate([np.ones(len(source)), np.zeros(len(target))])  # 1: source, as TLlib
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(x))
    train, test = order[: int(train_fraction * len(x))], order[int(train_fraction * len(x)) :]
    std = x[train].std(0)
    x = (x - x[train].mean(0)) / np.where(std > 0, std, 1.0)
    w, b = np.zeros(x.shape[1]), 0.0
    for _ in range(epochs):
        shuffled = rng.permutation(train)
        for i in range(0, len(shuffled), batch_size):
            batch = shuffled[i : i + batch_size]
            grad = expit(x[batch] @ w + b) - y[batch]  # d BCE / d logit, per sample
            w -= lr * x[batch].T @ grad / len(batch)
            b -= lr * float(grad.mean())
    predicted_source = x[test] @ w + b >= 0.0  # sigmoid >= 0.5
    error = float((predicted_source != (y[test] == 1)).mean())
    return ADistance(distance_from_error(error), error, np.sort(test))
