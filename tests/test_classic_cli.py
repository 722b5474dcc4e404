"""End to end through the real command line: classic runs and a deep run in one leaderboard; a sweep over a grid."""

from __future__ import annotations

import json

import pytest

from da_bench.cli import main

TOY = ["source=moons", "target=moons_rot35", "threads=1"]


@pytest.mark.slow
def test_classic_and_deep_records_share_one_table(tmp_path, capsys):
    out = str(tmp_path / "out")
    assert main(["run", "method=no_adapt", *TOY, "--out", out]) == 0
    assert main(["run", "method=jda", "method_args={dim: 1, kernel: rbf, iterations: 3}", *TOY, "--out", out]) == 0
    deep = ["method=source_only", "backbone=mlp", "head_hidden=[]", "steps=4", "eval_every=2", "batch_size=8"]
    assert main(["run", *TOY, *deep, "--out", out]) == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[0])
    assert summary["status"] == "done"
    assert main(["table", out, "--selection", "last"]) == 0
    table = capsys.readouterr().out
    assert "| no_adapt |" in table and "| jda |" in table and "| Source-only |" in table


def test_sweep_over_a_hyperparameter_grid(tmp_path, capsys):
    sweep = tmp_path / "classic.yaml"
    sweep.write_text("name: toy\nbase: {source: moons, target: moons_rot35, threads: 1}\nmethods: [sa]\ngrid: {method_args.dim: [1, 2]}\n")
    assert main(["sweep", str(sweep), "--out", str(tmp_path / "out"), "--quiet"]) == 0
    records = [json.loads(p.read_text()) for p in (tmp_path / "out" / "runs").glob("*/record.json")]
    assert sorted(r["config"]["method_args"]["dim"] for r in records) == [1, 2]


def test_random_source_splits_by_seed_through_the_cli(tmp_path, capsys):
    out = tmp_path / "out"
    for seed in (0, 1):
        assert main(["run", "method=sa", "method_args.dim=1", "source_per_class=5", f"seed={seed}", *TOY, "--out", str(out)]) == 0
    records = [json.loads(p.read_text()) for p in out.glob("runs/*/record.json")]
    assert [(r["final"]["samples"]["source"], r["final"]["samples"]["source_labeled"]) for r in records] == [(300, 10)] * 2  # moons: 2 classes
    assert len({r["run_id"] for r in records}) == 2 and {r["config"]["source_per_class"] for r in records} == {5}
    capsys.readouterr()
    assert main(["run", "method=sa", "source_per_class=100000", *TOY, "--out", str(out)]) != 0
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "the largest valid source_per_class is" in err[0]
