"""The ``mnist_m`` domain: MNIST-M (Ganin & Lempitsky, ICML 2015), the released PNG splits, and where the
release's training split is absent, one built from MNIST-train digits and BSDS500 photos
(:mod:`da_bench.data.mnistm_build`)."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np
import torch

from da_bench.atomic import write_atomic
from da_bench.data.digits import DIGITS, image_tensor, read_mnist_pair
from da_bench.data.domains import DataError, DomainData, DomainSpec, Lineage, Split, register_domain, require
from da_bench.data.files import check_count, read_pairs

MNISTM_LAYOUT = (
    "mnist_m/mnist_m_{train,test}/*.png + mnist_m/mnist_m_{train,test}_labels.txt; without mnist_m_train, "
    "the train split is built from mnist/train-* and bsds500/train/*.jpg"
)


def _cached_pngs(folder: Path, labels_file: Path, cache: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Decode a PNG folder listed in a labels file once, then reuse a cached .npz (keyed on the list and its sizes)."""
    from PIL import Image, UnidentifiedImageError

    entries = read_pairs(labels_file)
    check_count(
        labels_file,
        len(entries),
        sum(1 for f in os.scandir(folder) if f.name.lower().endswith(".png")),
        f"PNG images in '{folder}'",
        "restore the label file so that it has one '<file> <label>' line per image",
    )
    key = hashlib.sha1((str(folder.resolve()) + labels_file.read_text()).encode()).hexdigest()[:16]
    cached = cache / f"pngs-{folder.name}-{key}.npz"
    if cached.exists():
        with np.load(cached) as z:
            return z["x"], z["y"], z["origin"]
    images, labels, origin = [], [], []
    for name, label in entries:
        path = folder / name
        if not path.exists():
            raise DataError(f"Image '{path}' listed in '{labels_file}' is missing; restore the folder or fix the list.")
        try:
            with Image.open(path) as im:
                images.append(np.asarray(im.convert("RGB")))
        except (UnidentifiedImageError, OSError) as err:
            raise DataError(f"Image '{path}' is corrupt ({err}); replace the file.") from None
        labels.append(label)
        origin.append(int(Path(name).stem) if Path(name).stem.isdigit() else len(origin))
    x, y, o = np.stack(images), np.asarray(labels, dtype=np.int64), np.asarray(origin)
    write_atomic(cached, lambda tmp: np.savez(tmp, x=x, y=y, origin=o))
    return x, y, o


def _built_mnist_m_train(root: Path, cache: Path) -> Split | None:
    """The training split built as Ganin & Lempitsky did (:mod:`da_bench.data.mnistm_build`) where the MNIST
    training files and the BSDS500 photos are under the data root, else None. Origins: MNIST training indices."""
    from da_bench.data.mnistm_build import mnistm_train, photo_files

    photos = photo_files(root)
    pair = read_mnist_pair(root / "mnist", "train") if photos else None
    if pair is None:
        return None
    images, digits, y = pair
    x = mnistm_train(images, digits, photos, cache)
    return Split(image_tensor(x), torch.from_numpy(y[: len(x)].astype(np.int64)), np.arange(len(x)))


def load_mnist_m(root: Path, cache: Path) -> DomainData:
    """MNIST-M (Ganin & Lempitsky 2015), 32x32 RGB: the released PNG splits, and where the release's training
    split is absent, one rebuilt from MNIST-train digits and BSDS500 photos. Used as a target, 'train' becomes
    the unlabeled target split and 'test' (9,001 images from MNIST-test digits) the target test split."""
    folder = require(root / "mnist_m", "mnist_m", MNISTM_LAYOUT)
    splits = {}
    for split in ("train", "test"):
        images, labels = folder / f"mnist_m_{split}", folder / f"mnist_m_{split}_labels.txt"
        if images.is_dir() and labels.exists():
            x, y, origin = _cached_pngs(images, labels, cache)
            # MNIST-M test image i is built from MNIST test image i (origin offset as in load_mnist)
            splits[split] = Split(image_tensor(x), torch.from_numpy(y), origin + (10**6 if split == "test" else 0))
    if "train" not in splits and (built := _built_mnist_m_train(root, cache)) is not None:
        splits = {"train": built, **splits}
    if not splits:
        raise DataError(f"Domain 'mnist_m' found no image folder with its labels file in '{folder}'; expected layout: {MNISTM_LAYOUT}.")
    return DomainData("mnist_m", 10, splits, DIGITS)


register_domain(
    DomainSpec(
        "mnist_m",
        "MNIST-M: MNIST blended with BSDS500 patches, 32x32 RGB (Ganin et al. 2015)",
        10,
        load_mnist_m,
        MNISTM_LAYOUT,
        "the MNIST-M release of Ganin et al. (PNG folders with label files); its train split is built from MNIST + BSDS500 where absent",
        lineage=Lineage("mnist", copy=False, origin_ids="mnist"),
    )
)
