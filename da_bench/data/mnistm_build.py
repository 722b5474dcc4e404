"""The MNIST-M training split, rebuilt from MNIST training digits and the 200 BSDS500 training photos.

Recipe (Ganin & Lempitsky, ICML 2015, Sec. 5; Ganin et al., JMLR 2016, Sec. 5.2; as the tf-dann
``create_mnistm.py`` does): for each digit pick a random photo, crop a random patch and output
``|patch - digit|`` per channel, the binarised digit ((x > 0) * 255, as tf-dann's ``mnist_to_img``)
replicated to 3 channels, uint8. The original MNIST-M images are 32x32: the test split's strokes line
up with binarised MNIST test digits padded by 2 pixels (not resized), so each digit is zero-padded to
32x32 and blended with a 32x32 patch; built and original images then share one size and one network.

The original training split has 59,001 images; so does this one, built from the first 59,001 MNIST
training digits, ``origin`` = the MNIST training index (the ids :func:`~da_bench.data.digits.load_mnist`
gives training digits). The original MNIST-M test split is made from MNIST *test* digits (ids
``10**6 + i``), so with source ``mnist`` (trained on MNIST-train digits) no source-train digit sits
behind a target-test image and the leak rule (:mod:`da_bench.data.checks`) drops nothing.

Seeded and deterministic; cached under ``$DA_BENCH_CACHE`` as an .npz keyed by a hash of its inputs.
"""

from __future__ import annotations

import hashlib
import sys
import zipfile
from pathlib import Path

import numpy as np

from da_bench.atomic import write_atomic
from da_bench.data.domains import DataError

TRAIN_SIZE = 59001  # images in the original MNIST-M training split
SEED = 2015
RECIPE = "mnistm-v1: binarised digit padded to 32x32, |patch - digit|, uniform photo and offset"
SIZE, PAD = 32, 2


def photo_files(root: Path) -> list[Path]:
    """The BSDS500 training photos under the data root, sorted by name (empty where absent)."""
    folder = root / "bsds500" / "train"
    return sorted(folder.glob("*.jpg")) if folder.is_dir() else []


def read_photos(files: list[Path]) -> list[np.ndarray]:
    """Decode each photo once into an RGB uint8 (H, W, 3) array."""
    from PIL import Image, UnidentifiedImageError

    photos = []
    for path in files:
        try:
            with Image.open(path) as im:
                photo = np.asarray(im.convert("RGB"))
        except (UnidentifiedImageError, OSError) as err:
            raise DataError(f"Photo '{path}' is corrupt ({err}); replace it from the BSDS500 archive.") from None
        if min(photo.shape[:2]) < SIZE:
            raise DataError(f"Photo '{path}' is {photo.shape[1]}x{photo.shape[0]}, smaller than a {SIZE}x{SIZE} patch; replace it from the BSDS500 archive.")
        photos.append(photo)
    return photos


def blend(digits: np.ndarray, photos: list[np.ndarray], seed: int) -> np.ndarray:
    """uint8 (N, 28, 28) digits -> uint8 (N, 32, 32, 3) MNIST-M images, one random photo patch each.

    All photo indices and crop offsets are drawn at once from ``numpy.random.default_rng(seed)``;
    the blending then runs photo by photo.
    """
    from tqdm import tqdm

    rng = np.random.default_rng(seed)
    n = len(digits)
    pick = rng.integers(len(photos), size=n)
    spans = np.array([[p.shape[0] - SIZE + 1, p.shape[1] - SIZE + 1] for p in photos])
    offsets = (rng.random((n, 2)) * spans[pick]).astype(np.int64)
    strokes = np.pad((digits > 0).astype(np.int16) * 255, ((0, 0), (PAD, PAD), (PAD, PAD)))[..., None]
    out = np.empty((n, SIZE, SIZE, 3), dtype=np.uint8)
    with tqdm(total=n, desc="Building MNIST-M train", unit="img", file=sys.stderr, disable=not sys.stderr.isatty()) as bar:
        for k, photo in enumerate(photos):
            idx = np.flatnonzero(pick == k)
            windows = np.lib.stride_tricks.sliding_window_view(photo, (SIZE, SIZE), axis=(0, 1))  # (H', W', 3, 32, 32)
            patches = windows[offsets[idx, 0], offsets[idx, 1]].transpose(0, 2, 3, 1).astype(np.int16)
            out[idx] = np.abs(patches - strokes[idx]).astype(np.uint8)
            bar.update(len(idx))
    return out


def cache_key(images_file: Path, photos: list[Path], seed: int, count: int) -> str:
    """A hash of everything the split depends on: the MNIST training images file, the photos' names and bytes, seed, size and recipe."""
    h = hashlib.sha256(f"{RECIPE}|seed={seed}|count={count}|".encode())
    h.update(hashlib.sha256(images_file.read_bytes()).digest())
    for path in photos:
        h.update(path.name.encode() + b"\0" + hashlib.sha256(path.read_bytes()).digest())
    return h.hexdigest()[:16]


def _read_cache(path: Path, count: int) -> np.ndarray | None:
    """The cached images, or None (after deleting the file, with a note) where it is unreadable or of the wrong shape."""
    try:
        with np.load(path) as z:
            x = z["x"]
        if x.shape == (count, SIZE, SIZE, 3) and x.dtype == np.uint8:
            return x
    except (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile):
        pass
    print(f"da-bench: cached MNIST-M train split '{path}' is corrupt; deleted it and rebuilding.", file=sys.stderr, flush=True)
    path.unlink(missing_ok=True)
    return None


def mnistm_train(images_file: Path, digits: np.ndarray, photos: list[Path], cache: Path, seed: int = SEED) -> np.ndarray:
    """The built training split, uint8 (N, 32, 32, 3), N = min(TRAIN_SIZE, len(digits)): from the cache, else built and cached."""
    count = min(TRAIN_SIZE, len(digits))
    path = cache / f"mnistm_train-{cache_key(images_file, photos, seed, count)}.npz"
    if path.exists():
        x = _read_cache(path, count)
        if x is not None:
            return x
    x = blend(digits[:count], read_photos(photos), seed)
    write_atomic(path, lambda tmp: np.savez(tmp, x=x))
    return x
