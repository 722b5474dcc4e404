"""The committed sweep files under experiments/: each expands, every name in it resolves (methods, losses, domains,
method_args), and no two of its runs share a run id (they would share a run folder, and the second would be skipped
as done). A renamed method, key or domain fails here, not at the start of somebody's reproduction."""

from pathlib import Path

import pytest

from da_bench.cli import validate_names
from da_bench.config import run_id
from da_bench.runner.sweep import load_sweep

EXPERIMENTS = sorted((Path(__file__).resolve().parents[1] / "experiments").glob("*.yaml"))


def test_the_experiments_folder_holds_sweep_files():
    assert len(EXPERIMENTS) >= 30 and any(p.name == "quickstart.yaml" for p in EXPERIMENTS)


@pytest.mark.parametrize("path", EXPERIMENTS, ids=lambda p: p.name)
def test_sweep_file_expands_to_valid_runs_with_distinct_ids(path):
    configs = load_sweep(path).configs
    for cfg in configs:
        validate_names(cfg)
    ids = [run_id(cfg) for cfg in configs]
    assert configs and len(set(ids)) == len(ids)
