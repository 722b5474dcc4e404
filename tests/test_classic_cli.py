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
