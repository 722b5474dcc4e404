"""Deep CORAL (Sun & Saenko, ECCV 2016 workshops): l_CORAL = ||C_S - C_T||_F^2 / (4 d^2) (Eq. 1),
with C the unbiased feature covariance (Eq. 2-3), computed in float32."""

from __future__ import annotations

from torch import Tensor

from da_bench.losses.base import AdaptationLoss, StepOutputs, full_precision, register_loss


def covariance(x: Tensor) -> Tensor:
    """Unbiased covariance C = (X^T X - (1^T X)^T (1^T X) / n) / (n - 1) (Sun & Saenko 2016, Eq. 2)."""
    centred = x - x.mean(dim=0, keepdim=True)
    return centred.T @ centred / (x.shape[0] - 1)


def coral(source: Tensor, target: Tensor) -> Tensor:
    with full_precision(source):
        d = source.shape[1]
        return (covariance(source.float()) - covariance(target.float())).pow(2).sum() / (4.0 * d * d)


@register_loss("coral")
class CORALLoss(AdaptationLoss):
    """Distance between source and target feature covariances (Sun & Saenko 2016, Eq. 1)."""

    def forward(self, out: StepOutputs) -> Tensor:
        return coral(out.source_features, out.target_features)
