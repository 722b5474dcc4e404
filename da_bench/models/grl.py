"""Gradient reversal layer (Ganin & Lempitsky, ICML 2015, Sec. 3.2, Eq. 13)."""

from __future__ import annotations

import torch
from torch import Tensor, nn


class _ReverseGrad(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x: Tensor, coeff: float) -> Tensor:  # type: ignore[override]
        ctx.coeff = coeff
        return x.view_as(x)

    @staticmethod
    def backward(ctx, grad: Tensor) -> tuple[Tensor, None]:  # type: ignore[override]
        return -ctx.coeff * grad, None


def reverse_gradient(x: Tensor, coeff: float = 1.0) -> Tensor:
    """Identity in the forward pass; multiplies the gradient by ``-coeff`` in the backward pass."""
    return _ReverseGrad.apply(x, coeff)


class GradientReversal(nn.Module):
    """Module form of :func:`reverse_gradient` with a settable coefficient (lambda)."""

    def __init__(self, coeff: float = 1.0) -> None:
        super().__init__()
        self.coeff = coeff

    def forward(self, x: Tensor) -> Tensor:
        return reverse_gradient(x, self.coeff)
