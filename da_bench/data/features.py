"""Feature-vector domains from .npz, .csv or .mat files (MATLAB v5 via scipy, v7.3 via h5py)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from da_bench.data.domains import DataError, DomainData, DomainSpec, Split, register_domain, require


def read_arrays(path: Path, x_key: str, y_key: str) -> tuple[np.ndarray, np.ndarray]:
    """Features (n, d) and labels (n,) from one file; array names are configurable."""
    suffix = path.suffix.lower()
    try:
        if suffix == ".npz":
            with np.load(path) as z:
                return np.asarray(z[x_key]), np.asarray(z[y_key]).reshape(-1)
        if suffix == ".csv":
            import csv

            with open(path, newline="") as fh:
                rows = list(csv.reader(fh))
            header, body = rows[0], np.asarray(rows[1:], dtype=np.float64)
            col = header.index(y_key)
            return np.delete(body, col, axis=1), body[:, col]
        if suffix == ".mat":
            return _read_mat(path, x_key, y_key)
    except KeyError as err:
        raise DataError(f"File '{path}' has no array {err}; set x_key/y_key to the names it holds.") from None
    except ValueError as err:
        if "not in list" in str(err):
            raise DataError(f"File '{path}' has no column '{y_key}'; set y_key to its label column.") from None
        raise DataError(f"File '{path}' is corrupt or unreadable ({err}); replace it.") from None
    raise DataError(f"File '{path}' has unsupported type '{suffix}'; use .npz, .csv or .mat.")


def _read_mat(path: Path, x_key: str, y_key: str) -> tuple[np.ndarray, np.ndarray]:
    from scipy.io import loadmat

    try:
        mat = loadmat(path)
        return np.asarray(mat[x_key], dtype=np.float64), np.asarray(mat[y_key]).reshape(-1)
    except NotImplementedError:  # MATLAB v7.3 = HDF5: h5py shows arrays transposed
        import h5py

        with h5py.File(path, "r") as fh:
            return np.asarray(fh[x_key], dtype=np.float64), np.asarray(fh[y_key]).reshape(-1)


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
        if len(x) != len(y):
            raise DataError(f"File '{path}' has {len(x)} feature rows but {len(y)} labels; it is inconsistent.")
        x = preprocess(x.astype(np.float64), how)
        labels = torch.from_numpy(y.astype(np.int64) - label_offset)
        return DomainData(name, num_classes, {"all": Split(torch.from_numpy(x).float(), labels)})

    return load


def _register(name: str, relpath: str, x_key: str, y_key: str, k: int, offset: int, how: str, description: str, obtain: str) -> None:
    register_domain(DomainSpec(name, description, k, feature_domain(name, relpath, x_key, y_key, k, offset, how), relpath, obtain))


_GFK = "the GFK release of Gong et al. 2012 (*_SURF_L10.mat)"
for _dom, _file in (("amazon", "amazon"), ("caltech", "Caltech10"), ("dslr", "dslr"), ("webcam", "webcam")):
    _register(f"surf_{_dom}", f"office_caltech10_surf/{_file}_SURF_L10.mat", "fts", "labels", 10, 1, "l1_zscore",
              f"Office-Caltech-10 {_dom}, 800-d SURF bag of words (Gong et al. 2012)", _GFK)
for _dom in ("dslr", "webcam"):
    _register(f"decaf_{_dom}", f"office_caltech10_decaf6/{_dom}.mat", "feas", "labels", 10, 1, "zscore",
              f"Office-Caltech-10 {_dom}, 4096-d DeCAF6 features", "the TCA example data of jindongwang/transferlearning")
for _dom in ("books", "dvd", "elec", "kitchen"):
    _register(f"amazon_{_dom}", f"amazon_review_400/{_dom}_400.mat", "fts", "labels", 2, 0, "none",
              f"Amazon reviews {_dom}, 400-d bag of words (Blitzer et al. 2007)", "skada-bench's amazon_review data (history)")
_register("jda_mnist", "mnist_usps_jda/MNIST_vs_USPS.mat", "Xs", "Ys", 10, 1, "none",
          "MNIST 2,000 images at 16x16 as vectors, the JDA protocol (MATLAB v7.3)", "chamwen/JPDA data/MNIST_vs_USPS.mat")
_register("jda_usps", "mnist_usps_jda/MNIST_vs_USPS.mat", "Xt", "Yt", 10, 1, "none",
          "USPS 1,800 images at 16x16 as vectors, the JDA protocol (MATLAB v7.3)", "chamwen/JPDA data/MNIST_vs_USPS.mat")
