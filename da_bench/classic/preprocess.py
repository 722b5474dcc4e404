"""Named preprocessing steps of the published protocols, applied per domain in the order given (``preprocess=[l1, zscore]``).

- ``l1``: each row divided by its sum of absolute values (GFK's ``fts ./ sum(fts, 2)`` for word counts);
- ``l2``: each row divided by its Euclidean norm (Long et al.'s MNIST/USPS protocol, ``X * diag(1 ./ sqrt(sum(X.^2)))``);
- ``zscore``: each feature standardised with the domain's own mean and population standard deviation (MATLAB
  ``zscore(X, 1)``; constant features become 0).

The shared feature domains already apply their source's protocol when loaded (``surf_*``: l1 then zscore, see
:mod:`da_bench.data.features`); these steps come on top.
"""

from __future__ import annotations

import numpy as np

from da_bench.config import invalid_choice

EPS = 1e-12


def _rows(x: np.ndarray, norm: np.ndarray) -> np.ndarray:
    return x / np.maximum(norm, EPS)[:, None]


ROW_STEPS = {
    "l1": lambda x: _rows(x, np.abs(x).sum(1)),
    "l2": lambda x: _rows(x, np.linalg.norm(x, axis=1)),
}
STEPS = [*ROW_STEPS, "zscore"]


def check_steps(steps: list[str]) -> None:
    for step in steps:
        if step not in STEPS:
            raise invalid_choice("preprocess", step, STEPS)


class Preprocessor:
    """The steps fitted on one domain's rows (``zscore`` keeps that domain's statistics) and applied to any of its rows."""

    def __init__(self, steps: list[str]) -> None:
        check_steps(steps)
        self.steps = list(steps)
        self.stats: list[tuple[np.ndarray, np.ndarray] | None] = []

    def fit(self, x: np.ndarray) -> "Preprocessor":
        self.stats = []
        for step in self.steps:
            if step == "zscore":
                self.stats.append((x.mean(0), x.std(0)))
            else:
                self.stats.append(None)
            x = self._apply(step, self.stats[-1], x)
        return self

    @staticmethod
    def _apply(step: str, stats: tuple[np.ndarray, np.ndarray] | None, x: np.ndarray) -> np.ndarray:
        if stats is None:
            return ROW_STEPS[step](x)
        mean, std = stats
        return (x - mean) / np.where(std > EPS, std, 1.0)

    def transform(self, x: np.ndarray) -> np.ndarray:
        for step, stats in zip(self.steps, self.stats):
            x = self._apply(step, stats, x)
        return x
