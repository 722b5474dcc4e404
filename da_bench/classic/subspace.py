"""PCA bases of one domain, shared by the subspace methods (SA, GFK)."""

from __future__ import annotations

import numpy as np


def pca_basis(X: np.ndarray, dim: int) -> np.ndarray:
    """The ``dim`` leading principal directions of X (centred), as orthonormal columns (d x dim)."""
    if not 0 < dim <= min(X.shape):
        raise ValueError(f"dim={dim} must lie between 1 and {min(X.shape)} (the smaller of the sample and feature counts of a domain).")
    _, _, vt = np.linalg.svd(X - X.mean(0), full_matrices=False)
    return vt[:dim].T
