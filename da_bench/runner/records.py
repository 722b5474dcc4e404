"""Run records: one ``record.json`` per run folder, written atomically (temporary file + rename)."""

from __future__ import annotations

import json
import os
import platform
import subprocess
from pathlib import Path
from typing import Any, Iterator

from da_bench.atomic import write_atomic

RECORD = "record.json"


def write_json_atomic(path: Path, data: dict[str, Any]) -> None:
    def write(tmp: Path) -> None:
        with open(tmp, "w") as fh:
            json.dump(data, fh, indent=1, sort_keys=True)
            fh.flush()
            os.fsync(fh.fileno())

    write_atomic(path, write)


def read_record(run_dir: Path) -> dict[str, Any] | None:
    path = run_dir / RECORD
    if not path.exists():
        return None
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError:
        return None  # cannot happen with atomic writes, but a hand-edited file must not stop a sweep


def iter_records(root: Path) -> Iterator[dict[str, Any]]:
    for path in sorted(Path(root).rglob(RECORD)):
        record = read_record(path.parent)
        if record is not None:
            yield record


PACKAGE_DIR = Path(__file__).resolve().parents[1]


def git_state(package_dir: Path = PACKAGE_DIR) -> dict[str, Any]:
    """The commit the package was run from, and whether the package's own files differ from it.

    Only the package counts as dirty: run records written into the work tree (``paper_results/``) and
    edited sweep files do not change the code that ran.
    """

    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=package_dir, capture_output=True, text=True, timeout=10).stdout.strip()

    try:
        commit = git("rev-parse", "HEAD")
        dirty = bool(git("status", "--porcelain", "--", "."))
    except (OSError, subprocess.SubprocessError):
        return {"git_commit": None, "git_dirty": None}
    return {"git_commit": commit or None, "git_dirty": dirty if commit else None}


def device_facts(device: Any) -> dict[str, Any]:
    """Where a run trained: the torch device and, on a GPU, its name (records from a GPU say which one)."""
    import torch

    device = torch.device(device)
    facts: dict[str, Any] = {"device": str(device)}
    if device.type == "cuda":
        facts["gpu"] = torch.cuda.get_device_name(device)
    return facts


def peak_memory_mb(device: Any) -> float:
    """This process's peak memory: allocated on a GPU, resident on the CPU."""
    import resource

    import torch

    if torch.device(device).type == "cuda":
        return torch.cuda.max_memory_allocated(device) / 2**20
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB (process peak)


def training_facts(device: Any) -> dict[str, Any]:
    """Where this process trained and its peak memory (MiB), for a record's provenance."""
    return {**device_facts(device), "peak_memory_mb": round(peak_memory_mb(device), 1)}


def provenance() -> dict[str, Any]:
    import pytorch_lightning
    import torch

    import da_bench

    return {
        **git_state(),
        "da_bench": da_bench.__version__,
        "torch": torch.__version__,
        "lightning": pytorch_lightning.__version__,
        "python": platform.python_version(),
        "host": platform.node(),
    }
