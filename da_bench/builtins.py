"""Import the modules whose decorators register the built-in parts (shared by the CLI and worker processes)."""

from __future__ import annotations


def import_builtins() -> None:
    """Import the modules whose decorators register the built-in parts."""
    import da_bench.classic.spec  # noqa: F401
    import da_bench.data  # noqa: F401
    import da_bench.losses  # noqa: F401
    import da_bench.methods  # noqa: F401
    import da_bench.models  # noqa: F401
    import da_bench.runner.launchers  # noqa: F401
    import da_bench.runner.slurm  # noqa: F401
    import da_bench.selection  # noqa: F401
