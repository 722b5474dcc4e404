"""Import the modules whose decorators register the built-in parts (shared by the CLI and worker processes)."""

from __future__ import annotations

import importlib

BUILTIN_MODULES = (
    "da_bench.classic.spec",
    "da_bench.data",
    "da_bench.losses",
    "da_bench.methods",
    "da_bench.models",
    "da_bench.runner.launchers",
    "da_bench.runner.slurm",
    "da_bench.selection",
)


def import_builtins() -> None:
    """Import the modules whose decorators register the built-in parts."""
    for name in BUILTIN_MODULES:
        importlib.import_module(name)
