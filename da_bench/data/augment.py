"""Weak and strong augmentation of a training batch already on the device, for consistency training (FixMatch,
Sohn et al., NeurIPS 2020, Sec. 2.3 and App. D).

Images (N, C, H, W), in whatever normalisation the data module gave them:

- weak: a random translation by up to 12.5% of each side, reflect-padded (FixMatch's "flip-and-shift" without the
  flip, which would turn digits into other symbols);
- strong: RandAugment with a random magnitude per image (FixMatch's RA, Table 12 ranges): ``num_ops`` rounds, each
  applying one op per image drawn from identity, autocontrast, brightness, contrast, sharpness, posterize, solarize,
  rotate, shear x / y and translate x / y (Color and Equalize are left out), then Cutout of a gray square of side up
  to half the image. Photometric ops work on each image rescaled to [0, 1] by its own min and max, mapped back after.

Feature vectors (N, D) have no such ops: both views add Gaussian noise, of standard deviation ``noise`` times each
feature's standard deviation over the batch (a small ``noise`` for the weak view, a larger one for the strong).

Every draw comes from torch's global generator on the batch's device, which the run seeds and its checkpoints keep,
so a run and its resumption after a kill see the same views.
"""

from __future__ import annotations

import math
from typing import Callable

import torch
import torch.nn.functional as F
from torch import Tensor

WEAK_SHIFT = 0.125  # of each side
CUTOUT = 0.5  # largest side of the cutout square, of the image side
GRAY = 0.5
SMOOTH = torch.tensor([[1.0, 1.0, 1.0], [1.0, 5.0, 1.0], [1.0, 1.0, 1.0]]) / 13  # PIL's SMOOTH kernel (ImageEnhance.Sharpness)


def gaussian_noise(x: Tensor, noise: float) -> Tensor:
    """x + N(0, (noise * std_j)^2) per feature j, std_j over the batch."""
    return x + noise * x.std(0, unbiased=False, keepdim=True) * torch.randn_like(x)


def weak_augment(x: Tensor, noise: float) -> Tensor:
    """The weak view: a random translation of images, or Gaussian noise of relative scale ``noise`` on vectors."""
    return gaussian_noise(x, noise) if x.ndim == 2 else random_translate(x, WEAK_SHIFT)


def strong_augment(x: Tensor, noise: float, num_ops: int = 2) -> Tensor:
    """The strong view: RandAugment (``num_ops`` rounds) + Cutout of images, or Gaussian noise of relative scale
    ``noise`` on vectors."""
    if x.ndim == 2:
        return gaussian_noise(x, noise)
    lo = x.amin((1, 2, 3), keepdim=True)
    span = (x.amax((1, 2, 3), keepdim=True) - lo).clamp_min(1e-6)
    u = (x - lo) / span
    for _ in range(num_ops):
        u = rand_augment_round(u)
    return cutout(u) * span + lo


def random_translate(x: Tensor, fraction: float) -> Tensor:
    """Shift each image by whole pixels, up to ``fraction`` of each side either way, the border reflected."""
    n, _, h, w = x.shape
    ph, pw = round(fraction * h), round(fraction * w)
    padded = F.pad(x, (pw, pw, ph, ph), mode="reflect")
    rows = torch.randint(0, 2 * ph + 1, (n, 1), device=x.device) + torch.arange(h, device=x.device)
    cols = torch.randint(0, 2 * pw + 1, (n, 1), device=x.device) + torch.arange(w, device=x.device)
    batch = torch.arange(n, device=x.device)[:, None, None]
    return padded[batch, :, rows[:, :, None], cols[:, None, :]].permute(0, 3, 1, 2).contiguous()


def _per_image(v: Tensor) -> Tensor:
    return v.view(-1, 1, 1, 1)


def autocontrast(u: Tensor, m: Tensor) -> Tensor:
    lo, hi = u.amin((2, 3), keepdim=True), u.amax((2, 3), keepdim=True)
    return (u - lo) / (hi - lo).clamp_min(1e-6)


def brightness(u: Tensor, m: Tensor) -> Tensor:
    return u * _per_image(0.05 + 0.9 * m)


def contrast(u: Tensor, m: Tensor) -> Tensor:
    mean = u.mean((1, 2, 3), keepdim=True)
    return mean + _per_image(0.05 + 0.9 * m) * (u - mean)


def sharpness(u: Tensor, m: Tensor) -> Tensor:
    c = u.shape[1]
    kernel = SMOOTH.to(u).expand(c, 1, 3, 3)
    blurred = F.conv2d(F.pad(u, (1, 1, 1, 1), mode="replicate"), kernel, groups=c)
    return blurred + _per_image(0.05 + 0.9 * m) * (u - blurred)


def posterize(u: Tensor, m: Tensor) -> Tensor:
    step = _per_image(2.0 ** (8 - torch.round(4 + 4 * m)))  # keep 4..8 bits of 8
    return torch.floor(u * 255 / step) * step / 255


def solarize(u: Tensor, m: Tensor) -> Tensor:
    return torch.where(u >= _per_image(m), 1 - u, u)


PHOTOMETRIC: tuple[Callable[[Tensor, Tensor], Tensor], ...] = (lambda u, m: u, autocontrast, brightness, contrast, sharpness, posterize, solarize)


def _affine(a: Tensor, b: Tensor, c: Tensor, d: Tensor, tx: Tensor, ty: Tensor) -> Tensor:
    """Per-image 2x3 matrices mapping output to input coordinates in [-1, 1]."""
    return torch.stack([torch.stack([a, b, tx], 1), torch.stack([c, d, ty], 1)], 1)


def geometric_matrices(m: Tensor) -> tuple[Tensor, ...]:
    """Rotate (-30..30 degrees), shear x / y (-0.3..0.3), translate x / y (-0.3..0.3 of the side) at magnitude ``m``."""
    one, zero, s = torch.ones_like(m), torch.zeros_like(m), -0.3 + 0.6 * m
    angle = math.radians(30) * (2 * m - 1)
    return (
        _affine(angle.cos(), -angle.sin(), angle.sin(), angle.cos(), zero, zero),
        _affine(one, s, zero, one, zero, zero),
        _affine(one, zero, s, one, zero, zero),
        _affine(one, zero, zero, one, 2 * s, zero),
        _affine(one, zero, zero, one, zero, 2 * s),
    )


def rand_augment_round(u: Tensor) -> Tensor:
    """One op per image, drawn uniformly from the photometric and geometric ops, at a uniform random magnitude; the
    geometric ones share one resampling (regions moved in from outside are gray)."""
    n = len(u)
    geometric_ops = 5
    choice = torch.randint(len(PHOTOMETRIC) + geometric_ops, (n,), device=u.device)
    m = torch.rand(n, device=u.device)
    out = u
    for k, op in enumerate(PHOTOMETRIC):
        out = torch.where(_per_image(choice == k), op(u, m).clamp(0, 1), out)
    one, zero = torch.ones_like(m), torch.zeros_like(m)
    theta = _affine(one, zero, zero, one, zero, zero)
    for k, matrix in enumerate(geometric_matrices(m), start=len(PHOTOMETRIC)):
        theta = torch.where((choice == k).view(-1, 1, 1), matrix, theta)
    return torch.where(_per_image(choice >= len(PHOTOMETRIC)), warp(out, theta), out)


def warp(u: Tensor, theta: Tensor) -> Tensor:
    """Resample each image through its 2x3 matrix ``theta`` (bilinear); what comes from outside the image is gray."""
    grid = F.affine_grid(theta, list(u.shape), align_corners=False)
    return F.grid_sample(u - GRAY, grid, padding_mode="zeros", align_corners=False) + GRAY


def cutout(u: Tensor) -> Tensor:
    """A gray square of side uniform in [0, CUTOUT] of the shorter image side, centred uniformly, per image."""
    n, _, h, w = u.shape
    half = CUTOUT * min(h, w) * torch.rand(n, 1, device=u.device) / 2
    cy, cx = torch.rand(n, 1, device=u.device) * h, torch.rand(n, 1, device=u.device) * w
    inside_y = ((torch.arange(h, device=u.device) + 0.5) - cy).abs() <= half
    inside_x = ((torch.arange(w, device=u.device) + 0.5) - cx).abs() <= half
    square = inside_y[:, :, None] & inside_x[:, None, :]
    return torch.where(square[:, None], torch.full_like(u, GRAY), u)
