"""Shared fixtures: the shared real-data root (skipping with the reason where absent) and a private cache; each
parallel test worker's share of the cores."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import threadpoolctl
import torch

import da_bench.cli

da_bench.cli.import_builtins()

if workers := int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "0")):
    # Parallel test workers (pytest -n): each gets its share of the cores, and so do the processes it starts;
    # two torch processes with all the threads each on 2 cores ran many times slower on the 2-core development machine.
    share = str(max(1, (os.cpu_count() or 1) // workers))
    os.environ.update(OMP_NUM_THREADS=share, MKL_NUM_THREADS=share, OPENBLAS_NUM_THREADS=share)
    torch.set_num_threads(int(share))
    # numpy's BLAS read the thread count when it was loaded (above, before this block): limit it now, or every
    # classic-method test runs BLAS on all the cores while the other worker holds one
    threadpoolctl.threadpool_limits(int(share))

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


@pytest.fixture(autouse=True)
def _private_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DA_BENCH_CACHE", os.environ.get("DA_BENCH_TEST_CACHE") or str(tmp_path_factory.getbasetemp() / "cache"))
    monkeypatch.setenv("WANDB_MODE", "offline")


@pytest.fixture
def shared_root() -> Path:
    if not (SHARED_DATA / "mnist").is_dir():
        pytest.skip(f"shared real data not found at {SHARED_DATA}")
    return SHARED_DATA


@pytest.fixture
def jpeg_tree():
    """Writes tiny JPEGs as ``<folder>/<class>/<i>.jpg``, ``counts[class]`` of each (a different grey per image)."""
    import numpy as np
    from PIL import Image

    def write(folder: Path, counts: dict[str, int], size: tuple[int, int] = (24, 32)) -> None:
        for k, (name, n) in enumerate(counts.items()):
            (folder / name).mkdir(parents=True, exist_ok=True)
            for i in range(n):
                Image.fromarray(np.full((*size, 3), (20 * k + i) % 256, dtype=np.uint8)).save(folder / name / f"frame_{i:04d}.jpg")

    return write
