"""Worker process entry point for the parallel launcher: ``python -m da_bench.runner.worker OUT SPEC.json``."""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import torch


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("spec")
    parser.add_argument("--plugin", action="append", default=[])
    args = parser.parse_args()
    from da_bench.cli import import_builtins
    from da_bench.config import from_dict
    from da_bench.registry import load_plugins
    from da_bench.runner.execute import execute

    import_builtins()
    load_plugins(args.plugin)
    cfg = from_dict(json.loads(Path(args.spec).read_text()))
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    execute(cfg, Path(args.out))


if __name__ == "__main__":
    main()
