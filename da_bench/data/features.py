"""Feature-vector domains from .npz, .csv or .mat files (MATLAB v5 via scipy, v7.3 via h5py)."""

from __future__ import annotations

import csv
import zipfile
from pathlib import Path

import numpy as np
import torch

from da_bench.data.domains import DataError, DomainData, DomainSpec, Lineage, Split, register_domain, require
from da_bench.data.files import check_count, load_mat, refuse_non_finite, refuse_text


def read_arrays(path: Path, x_key: str, y_key: str) -> tuple[np.ndarray, np.ndarray]:
    """Features (n, d) and labels (n,) from one file; array names are configurable."""
    suffix = path.suffix.lower()
    if suffix not in READERS:
        raise DataError(f"File '{path}' has unsupported type '{suffix}'; use .npz, .csv or .mat.")
    try:
        return READERS[suffix](path, x_key, y_key)
    except KeyError as err:
        raise DataError(f"File '{path}' has no array {err}; set x_key/y_key to the names it holds.") from None
    except (ValueError, OSError, EOFError, zipfile.BadZipFile) as err:
        raise DataError(f"File '{path}' is corrupt or unreadable ({err}); replace it.") from None


def _read_npz(path: Path, x_key: str, y_key: str) -> tuple[np.ndarray, np.ndarray]:
    refuse_text(path, "an .npz archive")
    with np.load(path) as z:
        return np.asarray(z[x_key]), np.asarray(z[y_key]).reshape(-1)


def _read_csv(path: Path, x_key: str, y_key: str) -> tuple[np.ndarray, np.ndarray]:
    with open(path, newline="") as fh:
        rows = [row for row in csv.reader(fh) if row]
    if len(rows) < 2:
        raise DataError(f"File '{path}' holds no header and data rows; export it again.")
    if y_key not in rows[0]:
        raise DataError(f"File '{path}' has no column '{y_key}'; set y_key to its label column.")
    col, body = rows[0].index(y_key), np.asarray(rows[1:], dtype=np.float64)
    return np.delete(body, col, axis=1), body[:, col]


def _read_mat(path: Path, x_key: str, y_key: str) -> tuple[np.ndarray, np.ndarray]:
    arrays = load_mat(path, (x_key, y_key))
    return arrays[x_key], arrays[y_key].reshape(-1)


READERS = {".npz": _read_npz, ".csv": _read_csv, ".mat": _read_mat}


def preprocess(x: np.ndarray, how: str) -> np.ndarray:
    """'none'; 'zscore' per feature; 'l1_zscore' = GFK's fts ./ sum(fts, 2) then zscore."""
    if how == "l1_zscore":
        x = x / np.maximum(x.sum(axis=1, keepdims=True), 1e-12)
    if how in ("zscore", "l1_zscore"):
        x = (x - x.mean(0)) / np.maximum(x.std(0), 1e-12)
    return x


def feature_domain(name: str, relpath: str, x_key: str, y_key: str, num_classes: int, label_offset: int = 0, how: str = "none"):
    """A loader for one feature file under the data root; labels are shifted by ``label_offset`` (1..K -> 0..K-1)."""

    def load(root: Path, cache: Path) -> DomainData:
        path = require(root / relpath, name, relpath)
        x, y = read_arrays(path, x_key, y_key)
        check_count(path, len(y), len(x), "feature rows", "the file is inconsistent: export it again")
        for key, array in ((x_key, x), (y_key, y)):
            refuse_non_finite(f"'{key}' values of file '{path}'", array, fix="clean those rows or export the file again")
        x = preprocess(x.astype(np.float64), how)
        labels = torch.from_numpy(y.astype(np.int64) - label_offset)
        return DomainData(name, num_classes, {"all": Split(torch.from_numpy(x).float(), labels)})

    return load


def _register(
    name: str, relpath: str, x_key: str, y_key: str, k: int, offset: int, how: str, description: str, obtain: str, collection: str | None = None
) -> None:
    """``collection``: the images these features describe, where other domains hold them too."""
    register_domain(
        DomainSpec(
            name,
            description,
            k,
            feature_domain(name, relpath, x_key, y_key, k, offset, how),
            relpath,
            obtain,
            lineage=Lineage(collection) if collection else None,
        )
    )


_GFK = "the GFK release of Gong et al. 2012 (*_SURF_L10.mat)"
for _dom, _file in (("amazon", "amazon"), ("caltech", "Caltech10"), ("dslr", "dslr"), ("webcam", "webcam")):
    _register(
        f"surf_{_dom}",
        f"office_caltech10_surf/{_file}_SURF_L10.mat",
        "fts",
        "labels",
        10,
        1,
        "l1_zscore",
        f"Office-Caltech-10 {_dom}, 800-d SURF bag of words (Gong et al. 2012)",
        _GFK,
        f"office_caltech10_{_dom}",
    )
for _dom in ("dslr", "webcam"):
    _register(
        f"decaf_{_dom}",
        f"office_caltech10_decaf6/{_dom}.mat",
        "feas",
        "labels",
        10,
        1,
        "zscore",
        f"Office-Caltech-10 {_dom}, 4096-d DeCAF6 features",
        "the TCA example data of jindongwang/transferlearning",
        f"office_caltech10_{_dom}",
    )
for _dom in ("books", "dvd", "elec", "kitchen"):
    _register(
        f"amazon_{_dom}",
        f"amazon_review_400/{_dom}_400.mat",
        "fts",
        "labels",
        2,
        0,
        "none",
        f"Amazon reviews {_dom}, 400-d bag of words (Blitzer et al. 2007)",
        "skada-bench's amazon_review data (history)",
    )
_register(
    "jda_mnist",
    "mnist_usps_jda/MNIST_vs_USPS.mat",
    "Xs",
    "Ys",
    10,
    1,
    "none",
    "MNIST 2,000 images at 16x16 as vectors, the JDA protocol (MATLAB v7.3)",
    "chamwen/JPDA data/MNIST_vs_USPS.mat",
    "mnist",
)
_register(
    "jda_usps",
    "mnist_usps_jda/MNIST_vs_USPS.mat",
    "Xt",
    "Yt",
    10,
    1,
    "none",
    "USPS 1,800 images at 16x16 as vectors, the JDA protocol (MATLAB v7.3)",
    "chamwen/JPDA data/MNIST_vs_USPS.mat",
    "usps",
)
