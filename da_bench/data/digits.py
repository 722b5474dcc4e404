"""Digit domains in their original on-disk formats: MNIST (IDX), USPS (HDF5 or LIBSVM .bz2),
MNIST-M (PNG folder + label file), SVHN and SynDigits (.mat). Images become float tensors in [0, 1]
of shape (N, C, H, W); ``origin`` records each image's index in its source file."""

from __future__ import annotations

import bz2
import gzip
import struct
from pathlib import Path

import numpy as np
import torch

from da_bench.data.domains import DataError, DomainData, DomainSpec, Lineage, Split, register_domain, require
from da_bench.data.files import check_count, load_mat

DIGITS = [str(i) for i in range(10)]


def read_idx(path: Path) -> np.ndarray:
    """Read an IDX file (gzipped or raw): magic 0x08 0x0N, dims as big-endian int32, then uint8 data."""
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as fh:
            raw = fh.read()
    except (OSError, EOFError) as err:
        raise DataError(f"File '{path}' is corrupt or not gzip ({err}); download it again.") from None
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] != 0x08:
        raise DataError(f"File '{path}' is not an IDX uint8 file (bad magic number); download it again.")
    ndim = raw[3]
    dims = struct.unpack(f">{ndim}I", raw[4 : 4 + 4 * ndim])
    data = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim)
    if data.size != int(np.prod(dims)):
        raise DataError(f"File '{path}' is truncated: header says {dims}, found {data.size} values; download it again.")
    return data.reshape(dims)


def _find(folder: Path, stem: str) -> Path | None:
    for candidate in (folder / stem, folder / f"{stem}.gz"):
        if candidate.exists():
            return candidate
    return None


def image_tensor(array: np.ndarray) -> torch.Tensor:
    """uint8 (N, H, W) or (N, H, W, C) -> float (N, C, H, W) in [0, 1]."""
    t = torch.from_numpy(np.require(array, requirements=["C", "W"]))  # copies read-only buffers (IDX files)
    if t.ndim == 3:
        t = t.unsqueeze(1)
    else:
        t = t.permute(0, 3, 1, 2)
    return t.float().div_(255.0) if t.dtype == torch.uint8 else t.float()


MNIST_LAYOUT = "mnist/{train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz]"


def read_mnist_pair(folder: Path, prefix: str) -> tuple[Path, np.ndarray, np.ndarray] | None:
    """The images file of ``<prefix>-{images-idx3,labels-idx1}-ubyte[.gz]`` in ``folder`` and its images and labels,
    checked to pair one-to-one; None where either file is absent."""
    images, labels = _find(folder, f"{prefix}-images-idx3-ubyte"), _find(folder, f"{prefix}-labels-idx1-ubyte")
    if not (images and labels):
        return None
    x, y = read_idx(images), read_idx(labels)
    check_count(labels, len(y), len(x), f"images in '{images.name}'", "the two files do not belong together: download both again")
    return images, x, y


def load_mnist(root: Path, cache: Path) -> DomainData:
    folder = require(root / "mnist", "mnist", MNIST_LAYOUT)
    splits = {}
    for split, prefix in (("train", "train"), ("test", "t10k")):
        if (pair := read_mnist_pair(folder, prefix)) is not None:
            _, x, y = pair
            splits[split] = Split(image_tensor(x), torch.from_numpy(y.astype(np.int64)), np.arange(len(y)) + (0 if split == "train" else 10**6))
    if not splits:
        raise DataError(f"Domain 'mnist' found no image/label file pair in '{folder}'; expected layout: {MNIST_LAYOUT}.")
    return DomainData("mnist", 10, splits, DIGITS)


def load_mnist_binary(root: Path, cache: Path) -> DomainData:
    """MNIST with every stroke pixel set to 1 (x > 0): the binarized digits that MNIST-M blends with
    photo patches (its strokes are flat colours), as the tf-dann re-implementation feeds its source."""
    mnist = load_mnist(root, cache)
    splits = {name: Split((split.x > 0).float(), split.y, split.origin) for name, split in mnist.splits.items()}  # type: ignore[operator]
    return DomainData("mnist_binary", 10, splits, DIGITS)


USPS_LAYOUT = "usps/usps.h5 (groups train/test with data, target) or usps/usps.bz2 + usps/usps.t.bz2 (LIBSVM)"


def read_usps_libsvm(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """The LIBSVM USPS files torchvision downloads: 'label idx:value ...', labels 1..10, values in [-1, 1]."""
    try:
        lines = bz2.open(path, "rt").read().splitlines()
    except (OSError, EOFError) as err:
        raise DataError(f"File '{path}' is corrupt ({err}); download it again.") from None
    x = np.zeros((len(lines), 256), dtype=np.float32)
    y = np.zeros(len(lines), dtype=np.int64)
    for i, line in enumerate(lines):
        parts = line.split()
        y[i] = int(float(parts[0])) - 1
        for item in parts[1:]:
            k, v = item.split(":")
            x[i, int(k) - 1] = float(v)
    return (x + 1.0) / 2.0, y


def load_usps(root: Path, cache: Path) -> DomainData:
    folder = require(root / "usps", "usps", USPS_LAYOUT)
    splits = {}
    h5 = folder / "usps.h5"
    if h5.exists():
        import h5py

        try:
            with h5py.File(h5, "r") as fh:
                for split in ("train", "test"):
                    splits[split] = (np.asarray(fh[split]["data"], dtype=np.float32), np.asarray(fh[split]["target"], dtype=np.int64))
                    check_count(f"{h5}:{split}/target", len(splits[split][1]), len(splits[split][0]), "images", "download the file again")
        except (OSError, KeyError) as err:
            raise DataError(f"File '{h5}' is corrupt or lacks train/test groups ({err}); download it again.") from None
    else:
        for split, name in (("train", "usps.bz2"), ("test", "usps.t.bz2")):
            if (folder / name).exists():
                splits[split] = read_usps_libsvm(folder / name)
    if not splits:
        raise DataError(f"Domain 'usps' found no data in '{folder}'; expected layout: {USPS_LAYOUT}.")
    out = {k: Split(torch.from_numpy(x).reshape(-1, 1, 16, 16), torch.from_numpy(y)) for k, (x, y) in splits.items()}
    return DomainData("usps", 10, out, DIGITS)


def _load_mat_digits(name: str, folder: Path, files: dict[str, str], layout: str) -> DomainData:
    splits = {}
    for split, filename in files.items():
        path = folder / filename
        if path.exists():
            try:
                mat = load_mat(path, ("X", "y"))
            except KeyError as err:
                raise DataError(
                    f"File '{path}' has no array {err}; it is not in the SVHN format (X: 32x32x3xN images, y: labels): download it again."
                ) from None
            if mat["X"].ndim != 4 or mat["X"].shape[:3] != (32, 32, 3):
                raise DataError(f"File '{path}' holds images of shape {mat['X'].shape}, not 32x32x3xN as in the SVHN format; download it again.")
            check_count(path, mat["y"].size, mat["X"].shape[3], "images", "download it again")
            x = np.transpose(mat["X"], (3, 0, 1, 2))  # (32, 32, 3, N) -> (N, 32, 32, 3)
            y = mat["y"].reshape(-1).astype(np.int64)
            y[y == 10] = 0  # SVHN stores digit 0 as label 10
            splits[split] = Split(image_tensor(x), torch.from_numpy(y))
    if not splits:
        raise DataError(f"Domain '{name}' found none of {sorted(files.values())} in '{folder}'; expected layout: {layout}.")
    return DomainData(name, 10, splits, DIGITS)


SVHN_LAYOUT = "svhn/{train,test}_32x32.mat"
SYN_LAYOUT = "syndigits/synth_{train,test}_32x32.mat"


def load_svhn(root: Path, cache: Path) -> DomainData:
    return _load_mat_digits("svhn", require(root / "svhn", "svhn", SVHN_LAYOUT), {"train": "train_32x32.mat", "test": "test_32x32.mat"}, SVHN_LAYOUT)


def load_syndigits(root: Path, cache: Path) -> DomainData:
    return _load_mat_digits(
        "syndigits", require(root / "syndigits", "syndigits", SYN_LAYOUT), {"train": "synth_train_32x32.mat", "test": "synth_test_32x32.mat"}, SYN_LAYOUT
    )


def torchvision_download(dataset: str, subdir: str):
    """Online users: fetch with torchvision (it verifies each file's md5) into <root>/<subdir>."""

    def download(root: Path) -> None:
        import torchvision.datasets as tvd

        target = root / subdir
        if dataset == "MNIST":
            for train in (True, False):
                ds = tvd.MNIST(str(target / "_torchvision"), train=train, download=True)
                for f in Path(ds.raw_folder).glob("*-ubyte*"):
                    (target / f.name).write_bytes(f.read_bytes())
        elif dataset == "USPS":
            for train in (True, False):
                tvd.USPS(str(target), train=train, download=True)
        elif dataset == "SVHN":
            for split in ("train", "test"):
                tvd.SVHN(str(target), split=split, download=True)

    return download


MNIST_IDS = Lineage("mnist", origin_ids="mnist")  # origin: MNIST train index i, test index 10**6 + i
register_domain(
    DomainSpec(
        "mnist",
        "MNIST handwritten digits, 28x28 grey (LeCun et al. 1998)",
        10,
        load_mnist,
        MNIST_LAYOUT,
        "torchvision download (da-bench download mnist) or the IDX files from the MNIST site",
        download=torchvision_download("MNIST", "mnist"),
        lineage=MNIST_IDS,
    )
)
register_domain(
    DomainSpec(
        "mnist_binary",
        "MNIST with binarized strokes (pixel > 0), the digits MNIST-M is built from",
        10,
        load_mnist_binary,
        MNIST_LAYOUT,
        "as for mnist: it reads the same files",
        lineage=MNIST_IDS,
    )
)
register_domain(
    DomainSpec(
        "usps",
        "USPS handwritten digits, 16x16 grey (Hull 1994)",
        10,
        load_usps,
        USPS_LAYOUT,
        "torchvision download (da-bench download usps) or the Kaggle usps.h5",
        download=torchvision_download("USPS", "usps"),
    )
)
register_domain(
    DomainSpec(
        "svhn",
        "SVHN house numbers, 32x32 RGB (Netzer et al. 2011)",
        10,
        load_svhn,
        SVHN_LAYOUT,
        "torchvision download (da-bench download svhn)",
        download=torchvision_download("SVHN", "svhn"),
    )
)
register_domain(
    DomainSpec(
        "syndigits",
        "SynDigits synthetic numbers, 32x32 RGB (Ganin & Lempitsky 2015)",
        10,
        load_syndigits,
        SYN_LAYOUT,
        "the SynDigits .mat release of Ganin & Lempitsky",
    )
)
