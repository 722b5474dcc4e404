"""Kernels of the classic methods and the memory check that refuses a kernel matrix too large for this machine."""

from __future__ import annotations

import os

import numpy as np

KERNELS = ("primal", "linear", "rbf")


def sq_distances(X: np.ndarray, Y: np.ndarray) -> np.ndarray:
    """Squared Euclidean distances between the rows of ``X`` and ``Y`` (clipped at 0 against rounding)."""
    d = (X * X).sum(1)[:, None] - 2.0 * X @ Y.T + (Y * Y).sum(1)[None, :]
    return np.maximum(d, 0.0)


def kernel(name: str, X: np.ndarray, Y: np.ndarray | None = None, gamma: float = 1.0) -> np.ndarray:
    """``linear``: X Y^T; ``rbf``: exp(-gamma ||x - y||^2) (Long et al.'s JDA code, kernel_jda.m)."""
    Y = X if Y is None else Y
    if name == "linear":
        return X @ Y.T
    if name == "rbf":
        return np.exp(-gamma * sq_distances(X, Y))
    raise ValueError(f"Unknown kernel '{name}'; use one of {', '.join(KERNELS)}.")


def median_gamma(X: np.ndarray, Y: np.ndarray) -> float:
    """The median heuristic: 1 / the median squared distance between rows of X and Y (at most 1,000 of each, evenly spaced)."""
    pick = lambda Z: Z[np.linspace(0, len(Z) - 1, min(len(Z), 1000)).astype(int)]  # noqa: E731
    return 1.0 / max(float(np.median(sq_distances(pick(X), pick(Y)))), 1e-12)


def available_memory() -> int:
    """Bytes of memory available now (MemAvailable on Linux, else free physical pages)."""
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")


def gib(n: float) -> str:
    return f"{n / 2**30:.1f} GiB"


def check_memory(method: str, sides: list[int], available: int | None = None) -> None:
    """Refuse, before any work, square float64 matrices of the given sides that would not fit in memory."""
    need = sum(8 * n * n for n in sides)
    available = available_memory() if available is None else available
    if need > available:
        raise ValueError(
            f"{method} needs {len(sides)} matrices of up to {max(sides)} x {max(sides)} ({gib(need)}), more than the {gib(available)} of memory available"
            "; use kernel=primal, fewer samples, or a machine with more memory."
        )
