"""Exact resume after a kill and bf16-mixed on CPU for the methods whose own test modules test their losses only
(MCD, MDD, MCC, BSP, AFN); ADDA, FixMatch, SHOT and the test-time methods have theirs in tests/test_<method>.py."""

from __future__ import annotations

import pytest
from helpers import killed_and_resumed

from da_bench.config import from_dict
from da_bench.runner.execute import execute, metrics_csv, run_dir

TOY = {
    "source": "moons",
    "target": "moons_rot35",
    "backbone": "mlp",
    "bottleneck_dim": 8,  # batch norm in the bottleneck: its statistics must resume too
    "head_hidden": [],
    "batch_size": 16,
    "steps": 60,
    "eval_every": 20,
    "validator_samples": 50,
    "threads": 1,
}
METHODS = ["mcd", "mdd", "mcc", "dann_bsp", "afn"]


@pytest.mark.parametrize("method", METHODS)
def test_killed_between_evaluations_resumes_bit_for_bit(method, tmp_path):
    config = {**TOY, "method": method}
    whole, resumed = killed_and_resumed(config, tmp_path, 50)  # the last checkpoint before the kill is at step 40
    assert resumed["resumed_from_step"] == 40
    assert resumed["history"] == whole["history"]
    csv = [metrics_csv(run_dir(from_dict(config), tmp_path / part)).read_text() for part in ("whole", "resumed")]
    assert csv[0] == csv[1]


@pytest.mark.parametrize("method", METHODS)
def test_trains_under_bf16_mixed_on_cpu(method, tmp_path):
    record = execute(from_dict({**TOY, "method": method, "precision": "bf16-mixed", "steps": 20, "eval_every": 10}), tmp_path)
    assert record["status"] == "done" and 0.0 <= record["final"]["target_test_acc"] <= 1.0
