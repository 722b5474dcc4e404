"""Shared fixtures: the shared real-data root (skipping with the reason where absent) and a private cache."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import da_bench.cli

da_bench.cli.import_builtins()

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
