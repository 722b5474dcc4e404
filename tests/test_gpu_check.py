"""The prepared GPU check, run on the CPU for what can run there: the digits step eager and compiled, 2 and 1 packed
runs, ResNet-50 in bf16-mixed with channels_last, and the grid extrapolation (one quick run, shared by the tests)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from da_bench.methods.compiled import _probe

SCRIPTS = Path(__file__).resolve().parents[1] / "scripts"


@pytest.fixture(scope="module")
def scripts():
    with pytest.MonkeyPatch.context() as mp:
        mp.syspath_prepend(str(SCRIPTS))
        import gpu_check
        import gpu_check_core

        yield gpu_check, gpu_check_core


@pytest.fixture(scope="module")
def quick(scripts, tmp_path_factory) -> tuple[list[dict], dict | None, str]:
    """The results, the extrapolation and the Markdown of ``gpu_check.py --device cpu --quick``."""
    out = tmp_path_factory.mktemp("gpu_check")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DA_BENCH_CACHE", str(tmp_path_factory.mktemp("cache")))
        scripts[0].main(["--device", "cpu", "--quick", "--out", str(out)])
    report = json.loads((out / "gpu_check.json").read_text())
    assert report["meta"]["quick"] and report["meta"]["device"]
    return report["results"], report["extrapolation"], (out / "gpu_check.md").read_text()


def test_digits_step_eager_and_compiled_are_measured_or_say_why(quick):
    steps = {r["compile"]: r for r in quick[0] if r["section"] == "step"}
    assert set(steps) == {False, True} and all(r["batch"] == 64 for r in steps.values())
    assert "reason" not in steps[False] and steps[False]["timed_steps"] == steps[False]["steps"] == 4
    compiled = steps[True]
    if "reason" in compiled:  # where torch.compile does not work here
        assert compiled["reason"].startswith("compile=true but torch.compile does not work on cpu")
    else:
        assert compiled["steps_per_s"] > 0 and compiled["final_loss"] == compiled["final_loss"]
    for r in steps.values():
        if "reason" not in r:
            assert r["ms_per_step"] == pytest.approx(1000 / r["steps_per_s"], rel=0.01)


def test_packed_runs_report_each_process_and_the_aggregate(quick):
    packed = {r["processes"]: r for r in quick[0] if r["section"] == "packed"}
    assert set(packed) == {1, 2}
    for k, r in packed.items():
        assert "reason" not in r, r["reason"]
        assert len(r["per_process_steps_per_s"]) == k and all(s > 0 for s in r["per_process_steps_per_s"])
        # one window spans every process's own: the aggregate cannot beat the sum of the processes' rates
        assert 0 < r["aggregate_steps_per_s"] <= sum(r["per_process_steps_per_s"]) * 1.01
        assert r["aggregate_steps_per_s"] == pytest.approx(k * r["steps"] / r["window_s"], rel=0.01)


def test_resnet_runs_in_bf16_mixed_with_channels_last(quick):
    resnet = [r for r in quick[0] if r["section"] == "resnet"]
    assert {(r["precision"], r["channels_last"]) for r in resnet} == {("bf16-mixed", True), ("32", False)}
    assert all("reason" not in r and r["images_per_s"] > 0 for r in resnet)


def test_grid_extrapolation_follows_from_the_best_measured_throughput(quick):
    results, extrapolation, _ = quick
    measured = [r for r in results if r["network"] == "dann_digits" and r["batch"] == 64 and "reason" not in r]
    best = max(r.get("aggregate_steps_per_s", r.get("steps_per_s")) for r in measured)
    assert extrapolation["basis"] == "extrapolated from measured throughput"
    assert extrapolation["steps_per_s"] == best
    assert extrapolation["minutes"] == pytest.approx(63 * 50_000 / best / 60, abs=0.05)
    assert extrapolation["meets_goal"] is (extrapolation["minutes"] <= 15)


def test_markdown_names_the_device_and_shows_every_row(quick):
    results, extrapolation, md = quick
    first = md.splitlines()[0]
    assert first.startswith("# GPU check on CPU: ") and first.endswith(" cores")
    table_rows = [line for line in md.splitlines() if line.startswith("| ") and "/s" not in line]  # every header has a rate
    assert len(table_rows) == len(results) == 6 and "| 64 | 2 | bf16-mixed | yes |" in md  # ResNet-50 at 64x64, 2 + 2
    assert "(extrapolated from measured throughput)" in md and f"**{extrapolation['minutes']} minutes**" in md


def test_a_compiled_row_where_compile_is_unavailable_records_the_reason(scripts, monkeypatch):
    gpu_check, core = scripts

    def broken(*args, **kwargs):
        raise RuntimeError("no C++ compiler found")

    _probe.cache_clear()
    monkeypatch.setattr(torch, "compile", broken)
    spec = core.Spec("dann_digits", 28, 8, steps=1, warmup=1, images=16, device="cpu", compile=True)
    try:
        row = gpu_check.attempt(gpu_check.Item("step", spec))
    finally:
        _probe.cache_clear()
    assert row["reason"].startswith("compile=true but torch.compile does not work on cpu here (RuntimeError: no C++ compiler found)")
    assert "steps_per_s" not in row and row["compile"] is True


def test_the_gpu_plan_puts_the_grid_rows_first(scripts):
    items = scripts[0].plan("cuda", quick=False)
    rows = [(i.section, i.spec.batch, i.spec.compile, i.processes) for i in items]
    assert rows[:3] == [("step", 64, False, 0), ("step", 64, True, 0), ("step", 64, True, 0)]
    assert items[2].spec.compile_mode == "reduce-overhead"
    assert [(k, c) for section, _, c, k in rows if section == "packed"] == [(8, False), (8, True), (4, False), (4, True), (1, False), (1, True)]
    resnet = [i.spec for i in items if i.section == "resnet"]
    assert (resnet[0].image_size, resnet[0].batch, resnet[0].precision, resnet[0].channels_last) == (224, 64, "bf16-mixed", True)
