"""The ``compile`` option: ``torch.compile`` of a method's backbone, bottleneck and heads.

Each part is compiled in place (``nn.Module.compile``), so parameter names, checkpoints and ``init_checkpoint``
files are those of an eager run; a compiled run differs from an eager one by float order only. Where compilation
is not available (no C++ compiler for inductor on CPU, no Triton on the GPU, an unsupported platform) the run is
refused at set-up in one sentence, before any training.
"""

from __future__ import annotations

from functools import cache
from typing import Iterable

import torch
from torch import nn


class CompileUnavailable(RuntimeError):
    """``compile=true`` where ``torch.compile`` cannot compile."""


@cache
def _probe(device: str, mode: str = "default") -> str | None:
    """Compile (``mode``) and run a tiny module with a backward pass on ``device``; the error, or ``None`` if it works."""
    try:
        layer = nn.Linear(4, 2).to(device)
        layer.compile(mode=mode)
        layer(torch.randn(3, 4, device=device)).sum().backward()
    except Exception as err:  # noqa: BLE001 - any failure means compilation is unavailable here
        return f"{type(err).__name__}: {str(err).strip().splitlines()[0] if str(err).strip() else ''}"
    return None


def require_compile(device: torch.device, mode: str = "default") -> None:
    """Raise :class:`CompileUnavailable` in one sentence if ``torch.compile`` (``mode``) does not work on ``device``."""
    error = _probe(device.type, mode)
    if error is not None:
        raise CompileUnavailable(f"compile=true but torch.compile does not work on {device.type} here ({error}); set compile=false to train eagerly.")


def compile_parts(parts: Iterable[nn.Module], mode: str = "default") -> None:
    """Compile each of ``parts`` in place with ``torch.compile``'s ``mode``: ``reduce-overhead`` records CUDA graphs
    on a GPU (the training batches have static shapes: fixed batch size, ``drop_last``), ``max-autotune`` also
    searches kernel configurations; on a CPU both compile as ``default`` does."""
    for part in parts:
        part.compile(mode=mode)
