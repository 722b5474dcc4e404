"""DAN / MK-MMD (Long et al., ICML 2015) and JAN / JMMD (Long et al., ICML 2017).

MK-MMD uses a sum of Gaussian kernels k(a, b) = exp(-||a - b||^2 / (2 sigma_u^2)) with bandwidths
sigma_u^2 = beta * 2^u (u in ``bandwidth_exponents``), beta the mean squared distance in the batch.
Two estimators of MMD^2 (Gretton et al., JMLR 2012):
- ``quadratic``: the unbiased U-statistic (Eq. 3),
  1/(m(m-1)) sum_{i!=j} k(x_i,x_j) + 1/(n(n-1)) sum_{i!=j} k(y_i,y_j) - 2/(mn) sum_{i,j} k(x_i,y_j);
- ``linear``: the linear-time statistic (Lemma 14, as in DAN Eq. 5), the mean over quads
  (x_{2i-1}, x_{2i}, y_{2i-1}, y_{2i}) of k(x,x') + k(y,y') - k(x,y') - k(x',y).
Both are unbiased, so they agree in expectation. JMMD replaces k by the product of kernels over
the features and the softmax predictions (JAN Eq. 9).
"""

from __future__ import annotations

from typing import Sequence

import torch
from torch import Tensor

from da_bench.losses.base import AdaptationLoss, StepOutputs, full_precision, register_loss
from da_bench.registry import UnknownNameError, unknown_name_message

DEFAULT_EXPONENTS = (-3, -2, -1, 0, 1)
ESTIMATORS = ("quadratic", "linear")
BETA_MIN = 1e-6  # floor of the bandwidth base, so collapsed features give a finite loss


def _multi_gaussian(sq_dist: Tensor, beta: Tensor, exponents: Sequence[float]) -> Tensor:
    return sum(torch.exp(-sq_dist / (2.0 * beta * 2.0**u)) for u in exponents)  # type: ignore[return-value]


def squared_distances(z: Tensor) -> Tensor:
    """||z_i - z_j||^2 by the Gram expansion: unlike ``cdist``, its gradient is finite at zero distance."""
    norms = (z * z).sum(dim=1)
    return (norms[:, None] + norms[None, :] - 2.0 * z @ z.T).clamp_min(0.0)


def kernel_matrix(z: Tensor, exponents: Sequence[float] | None = DEFAULT_EXPONENTS, sigma: float | None = None) -> Tensor:
    """Multi-kernel Gaussian Gram matrix of the joint sample ``z``; a fixed ``sigma`` gives one kernel."""
    sq = squared_distances(z)
    if sigma is not None:
        return torch.exp(-sq / (2.0 * sigma**2))
    return _multi_gaussian(sq, sq.detach().mean().clamp_min(BETA_MIN), exponents or DEFAULT_EXPONENTS)


def quadratic_mmd2(kernel: Tensor, m: int) -> Tensor:
    """Unbiased quadratic-time MMD^2 from the Gram matrix of [source (m rows); target]."""
    n = kernel.shape[0] - m
    k_ss, k_tt, k_st = kernel[:m, :m], kernel[m:, m:], kernel[:m, m:]
    return (k_ss.sum() - k_ss.diagonal().sum()) / (m * (m - 1)) + (k_tt.sum() - k_tt.diagonal().sum()) / (n * (n - 1)) - 2.0 * k_st.mean()


def _pair_sq(a: Tensor, b: Tensor) -> Tensor:
    return (a - b).pow(2).sum(dim=1)


def linear_mmd2(
    layers: Sequence[tuple[Tensor, Tensor]], exponents: Sequence[float] = DEFAULT_EXPONENTS, sigmas: Sequence[float | None] | None = None
) -> Tensor:
    """Linear-time MMD^2 over source/target pairs of layers; kernels multiply across layers (joint kernel)."""
    sigmas = sigmas or [None] * len(layers)
    total: Tensor | None = None
    for (xs, xt), sigma in zip(layers, sigmas):
        k = min(xs.shape[0], xt.shape[0]) // 2 * 2
        x1, x2, y1, y2 = xs[0:k:2], xs[1:k:2], xt[0:k:2], xt[1:k:2]
        pairs = [_pair_sq(x1, x2), _pair_sq(y1, y2), _pair_sq(x1, y2), _pair_sq(x2, y1)]
        if sigma is None:
            beta = torch.cat(pairs).detach().mean().clamp_min(BETA_MIN)
            kv = [_multi_gaussian(d, beta, exponents) for d in pairs]
        else:
            kv = [torch.exp(-d / (2.0 * sigma**2)) for d in pairs]
        stacked = torch.stack(kv)
        total = stacked if total is None else total * stacked
    assert total is not None
    return (total[0] + total[1] - total[2] - total[3]).mean()


def mmd2(
    layers: Sequence[tuple[Tensor, Tensor]],
    estimator: str = "quadratic",
    exponents: Sequence[float] = DEFAULT_EXPONENTS,
    sigmas: Sequence[float | None] | None = None,
) -> Tensor:
    """(Joint) MK-MMD^2 between source and target, computed in float32."""
    layers = [(s.float(), t.float()) for s, t in layers]
    with full_precision(layers[0][0]):
        if estimator == "linear":
            return linear_mmd2(layers, exponents, sigmas)
        if estimator != "quadratic":
            raise ValueError(f"Unknown MMD estimator '{estimator}'; use 'quadratic' or 'linear'.")
        sigmas = sigmas or [None] * len(layers)
        m = layers[0][0].shape[0]
        kernel = None
        for (s, t), sigma in zip(layers, sigmas):
            k = kernel_matrix(torch.cat([s, t]), exponents, sigma)
            kernel = k if kernel is None else kernel * k
        assert kernel is not None
        return quadratic_mmd2(kernel, m)


@register_loss("mmd")
class MKMMDLoss(AdaptationLoss):
    """DAN's multi-kernel MMD between source and target features (Long et al. 2015, Eq. 3-5)."""

    search_space = {"estimator": ["quadratic", "linear"]}

    def __init__(self, feature_dim: int, num_classes: int, estimator: str = "quadratic", bandwidth_exponents: Sequence[float] = DEFAULT_EXPONENTS) -> None:
        super().__init__(feature_dim, num_classes)
        if estimator not in ESTIMATORS:
            raise UnknownNameError(unknown_name_message("MMD estimator", estimator, list(ESTIMATORS)))
        self.estimator = estimator
        self.exponents = tuple(bandwidth_exponents)

    def forward(self, out: StepOutputs) -> Tensor:
        return mmd2([(out.source_features, out.target_features)], self.estimator, self.exponents)


@register_loss("jmmd")
class JMMDLoss(MKMMDLoss):
    """JAN's joint MMD over features and softmax predictions (Long et al. 2017, Eq. 9; prediction sigma 0.92)."""

    def __init__(self, feature_dim: int, num_classes: int, prediction_sigma: float = 0.92, **mmd_hparams) -> None:
        super().__init__(feature_dim, num_classes, **mmd_hparams)
        self.prediction_sigma = prediction_sigma

    def forward(self, out: StepOutputs) -> Tensor:
        layers = [(out.source_features, out.target_features), (torch.softmax(out.source_logits.float(), 1), torch.softmax(out.target_logits.float(), 1))]
        return mmd2(layers, self.estimator, self.exponents, [None, self.prediction_sigma])
