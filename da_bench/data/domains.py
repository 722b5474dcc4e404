"""Domains: named datasets with a label space and splits, read from a data root."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np
import torch
from torch import Tensor
from torch.utils.data import Dataset

from da_bench.registry import DOMAINS


class DataError(RuntimeError):
    """A missing, corrupt or inconsistent dataset; the message names the file and the fix.

    Re-raised from a DataLoader worker process (an image that does not decode), torch passes the worker's traceback
    as the message; the sentence, its last line, is kept.
    """

    def __init__(self, message: str = "") -> None:
        if message.startswith("Caught DataError in DataLoader worker"):
            message = message.rstrip().rsplit("\n", 1)[-1].split("DataError: ", 1)[-1]
        super().__init__(message)


@dataclass
class Split:
    """One split of a domain: in-memory tensors (``x``) or a lazily read image ``Dataset``.

    ``origin`` optionally names where each sample came from (e.g. its MNIST test index), so that
    a target test sample is never also a source sample.
    """

    x: Tensor | Dataset
    y: Tensor
    origin: np.ndarray | None = None

    def __len__(self) -> int:
        return int(self.y.shape[0])

    @property
    def in_memory(self) -> bool:
        return isinstance(self.x, Tensor)

    def subset(self, idx: np.ndarray) -> "Split":
        idx_t = torch.as_tensor(idx, dtype=torch.long)
        x = self.x[idx_t] if isinstance(self.x, Tensor) else torch.utils.data.Subset(self.x, idx.tolist())
        return Split(x, self.y[idx_t], None if self.origin is None else self.origin[idx])


@dataclass
class DomainData:
    name: str
    num_classes: int
    splits: dict[str, Split]  # "train" and "test" where the dataset defines them, else one "all"
    class_names: list[str] = field(default_factory=list)

    def check_labels(self) -> None:
        for split_name, split in self.splits.items():
            if len(split) == 0:
                raise DataError(f"Domain '{self.name}' split '{split_name}' is empty; check its files.")
            lo, hi = int(split.y.min()), int(split.y.max())
            if lo < 0 or hi >= self.num_classes:
                raise DataError(
                    f"Domain '{self.name}' split '{split_name}' has labels in [{lo}, {hi}]"
                    f", outside 0..{self.num_classes - 1}; fix the label file or the domain's class count."
                )


@dataclass(frozen=True)
class Lineage:
    """Where a domain's samples come from, for the leak rule in :mod:`da_bench.data.checks`.

    ``collection``: the data set whose samples the domain holds (``copy``: the same samples, perhaps
    re-encoded or a subset, e.g. binarised MNIST) or was built from (``copy=False``, e.g. MNIST-M);
    ``origin_ids``: what its splits' ``origin`` ids index, where they can be matched ("" if nowhere).
    """

    collection: str
    copy: bool = True
    origin_ids: str = ""


@dataclass(frozen=True)
class DomainSpec:
    """How to find and read a domain under a data root."""

    name: str
    description: str
    num_classes: int
    load: Callable[[Path, Path], DomainData]  # (data_root, cache_dir) -> data
    layout: str  # files expected under the data root, for messages and `da-bench datasets`
    obtain: str  # how to get it
    needs_root: bool = True
    download: Callable[[Path], None] | None = None
    lineage: Lineage = None  # type: ignore[assignment]  # None: its own collection

    def __post_init__(self) -> None:
        if self.lineage is None:
            object.__setattr__(self, "lineage", Lineage(self.name))


def register_domain(spec: DomainSpec) -> DomainSpec:
    return DOMAINS.register(spec.name, spec)


def data_root(explicit: str | Path | None = None) -> Path | None:
    value = explicit or os.environ.get("DA_BENCH_DATA")
    return Path(value).expanduser() if value else None


def cache_dir() -> Path:
    """Where converted files and built datasets go: ``$DA_BENCH_CACHE`` or ``./.da_bench_cache`` (never a data root)."""
    path = Path(os.environ.get("DA_BENCH_CACHE", ".da_bench_cache")).expanduser()
    path.mkdir(parents=True, exist_ok=True)
    return path


def require(path: Path, domain: str, layout: str) -> Path:
    if not path.exists():
        raise DataError(f"Domain '{domain}' is missing '{path}'; expected layout under the data root: {layout}.")
    return path


def load_domain(name: str, root: str | Path | None = None) -> DomainData:
    spec: DomainSpec = DOMAINS.get(name)
    base = data_root(root)
    if spec.needs_root and base is None:
        raise DataError(f"Domain '{name}' is read from a data root; set DA_BENCH_DATA or pass --data-root (expected layout: {spec.layout}).")
    data = spec.load(base or Path("."), cache_dir())
    data.check_labels()
    return data


def describe(name: str, root: str | Path | None = None) -> dict[str, Any]:
    """Found or not, samples per split, classes, and how to obtain it: one row of `da-bench datasets`."""
    spec: DomainSpec = DOMAINS.get(name)
    row: dict[str, Any] = {"domain": name, "classes": spec.num_classes, "description": spec.description, "obtain": spec.obtain}
    try:
        data = load_domain(name, root)
        row.update(found=True, classes=data.num_classes, splits={k: len(v) for k, v in data.splits.items()})
    except (DataError, FileNotFoundError, OSError) as err:
        row.update(found=False, splits={}, reason=str(err))
    return row
