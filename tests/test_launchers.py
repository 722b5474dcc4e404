"""Sweeps end to end on the two-moons toy: resume after SIGKILL, retry rules, parallel (K runs per GPU) and Ray launchers."""

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import yaml
from helpers import TOY_RUN

from da_bench.cli import main
from da_bench.config import ConfigError
from da_bench.runner import launchers
from da_bench.runner.execute import run_dir
from da_bench.runner.launchers import GpuSlots, resolve_workers, run_sweep
from da_bench.runner.progress import Progress
from da_bench.runner.records import iter_records
from da_bench.runner.sweep import expand

TOY = {**TOY_RUN, "steps": 60, "eval_every": 20, "batch_size": 32, "validator_samples": 100}


def toy_sweep(tmp_path: Path, seeds: int = 2, methods=("source_only", "dann"), **base) -> Path:
    path = tmp_path / "sweep.yaml"
    path.write_text(
        yaml.safe_dump({"name": "toy", "base": {**TOY, **base}, "methods": list(methods), "pairs": ["moons->moons_rot35"], "seeds": list(range(seeds))})
    )
    return path


def records_by_id(out: Path) -> dict[str, list[dict]]:
    found: dict[str, list[dict]] = {}
    for record in iter_records(out):
        found.setdefault(record["run_id"], []).append(record)
    return found


def da_bench(log: Path, *args: str) -> subprocess.Popen:
    """The real CLI in its own process group; output to a file (a full pipe would block it)."""
    return subprocess.Popen([sys.executable, "-m", "da_bench.cli", *args], stdout=open(log, "a"), stderr=subprocess.STDOUT, start_new_session=True)


def test_sigkill_midway_then_resume_gives_one_done_record_per_point(tmp_path):
    sweep = toy_sweep(tmp_path, seeds=3, methods=("source_only",), steps=1500, eval_every=50)
    out = tmp_path / "out"
    log = tmp_path / "log.txt"
    proc = da_bench(log, "sweep", str(sweep), "--out", str(out), "--quiet")

    def interrupted() -> list[Path]:
        runs = list((out / "runs").glob("*")) if (out / "runs").exists() else []
        return [r for r in runs if (r / "checkpoints" / "last.ckpt").exists() and not (r / "record.json").exists()]

    deadline = time.time() + 240
    while time.time() < deadline and not (records_by_id(out) and interrupted()):  # one run done, the next one checkpointed
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    victims = interrupted()
    assert victims, "the sweep was not caught between checkpoints"
    before = records_by_id(out)
    assert 1 <= len(before) < 3
    finished = {rid: recs[0]["provenance"]["seconds"] for rid, recs in before.items()}
    proc = da_bench(log, "sweep", str(sweep), "--out", str(out), "--quiet")
    assert proc.wait(timeout=400) == 0, log.read_text()[-3000:]
    after = records_by_id(out)
    assert len(after) == 3 and all(len(v) == 1 and v[0]["status"] == "done" for v in after.values())
    for rid, seconds in finished.items():  # finished records were not touched
        assert after[rid][0]["provenance"]["seconds"] == seconds
    record = after[victims[0].name][0]
    assert record["resumed_from_step"] is not None and record["resumed_from_step"] > 0  # continued from its checkpoint
    assert [p["step"] for p in record["history"]] == list(range(50, 1501, 50))  # no evaluation point lost or duplicated


def test_failed_runs_are_kept_until_retry_failed(tmp_path):
    out = tmp_path / "out"
    configs = expand({"base": {**TOY, "lr": 1e6, "losses": {"dann": {"grl_max": 1e6}}}, "methods": ["dann"], "seeds": [0]}).configs
    counts = run_sweep("diverge", configs, out, quiet=True)
    record = next(iter_records(out))
    assert counts["failed"] == 1 and record["status"] == "failed" and "diverged" in record["reason"]
    assert run_sweep("diverge", configs, out, quiet=True) == {"total": 1, "done": 0, "failed": 1, "running": 0}
    mtime = (out / "runs" / record["run_id"] / "record.json").stat().st_mtime_ns
    run_sweep("diverge", configs, out, quiet=True, retry_failed=True)
    assert (out / "runs" / record["run_id"] / "record.json").stat().st_mtime_ns != mtime


def assert_launcher_matches_local(tmp_path: Path, launcher: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The same grid through ``launcher`` and through ``local`` gives the same done records; the launcher reports
    each run's start to the progress line (its 'running' count) before the run's end."""
    configs = expand({"base": TOY, "methods": ["source_only"], "seeds": [0, 1]}).configs
    run_sweep("a", configs, tmp_path / "local", quiet=True)
    events = []
    monkeypatch.setattr(Progress, "started", lambda self, run_id: events.append(("started", run_id)))
    monkeypatch.setattr(Progress, "__call__", lambda self, record: events.append(("finished", record["run_id"])))
    run_sweep("a", configs, tmp_path / launcher, launcher=launcher, workers=2, quiet=True)
    ids = {run_dir(c, tmp_path / launcher).name for c in configs}
    assert {r for e, r in events if e == "started"} == ids
    assert all(events.index(("started", r)) < events.index(("finished", r)) for r in ids)
    local, other = records_by_id(tmp_path / "local"), records_by_id(tmp_path / launcher)
    assert local.keys() == other.keys()
    for rid in local:
        assert other[rid][0]["status"] == "done"
        assert local[rid][0]["final"]["target_test_acc"] == pytest.approx(other[rid][0]["final"]["target_test_acc"], abs=1e-6)


def test_parallel_launcher_matches_local(tmp_path, monkeypatch):
    assert_launcher_matches_local(tmp_path, "parallel", monkeypatch)


def test_ray_launcher_on_a_local_instance(tmp_path, monkeypatch):
    pytest.importorskip("ray", reason="Ray is an optional extra: pip install 'da-bench[ray]'")
    assert_launcher_matches_local(tmp_path, "ray", monkeypatch)


def test_record_contents(tmp_path):
    configs = expand({"base": TOY, "methods": ["dann"], "seeds": [0]}).configs
    run_sweep("a", configs, tmp_path, quiet=True)
    record = next(iter_records(tmp_path))
    for key in ("run_id", "status", "config", "history", "final", "provenance"):
        assert key in record
    assert {"method", "source", "target", "seed"} <= set(record["config"])
    assert len(record["history"]) == 3 and {"source_val_acc", "target_test_acc", "val_snd", "val_dev", "val_im", "val_entropy"} <= set(record["final"])
    prov = record["provenance"]
    for key in ("git_commit", "git_dirty", "da_bench", "torch", "lightning", "device", "precision", "seconds", "peak_memory_mb"):
        assert key in prov
    assert json.loads((tmp_path / "sweeps" / "a.json").read_text())["runs"][0]["run_id"] == record["run_id"]


@pytest.mark.parametrize("launcher", ["local", "parallel"])
def test_setup_error_is_a_failed_record_and_the_sweep_goes_on(tmp_path, launcher):
    configs = expand(
        {"base": {**TOY, "data_root": str(tmp_path / "empty")}, "methods": ["source_only"], "pairs": ["usps->mnist", "moons->moons_rot35"]}
    ).configs
    counts = run_sweep("a", configs, tmp_path / "out", launcher=launcher, workers=2, quiet=True)
    assert counts == {"total": 2, "done": 1, "failed": 1, "running": 0}
    record = json.loads((run_dir(configs[0], tmp_path / "out") / "record.json").read_text())
    assert record["status"] == "failed" and record["reason"].startswith("set-up error") and "usps" in record["reason"]
    assert run_sweep("a", configs, tmp_path / "out", launcher=launcher, quiet=True)["failed"] == 1  # counted, not rerun


HOLD = "import sys, time\nfrom da_bench.runner.locks import run_lock\nwith run_lock(sys.argv[1]) as held:\n    print(held, flush=True)\n    time.sleep(600)\n"


@pytest.mark.parametrize("launcher", ["local", "parallel"])
def test_a_run_locked_by_another_process_is_skipped_then_taken_over(tmp_path, launcher, capsys):
    configs = expand({"base": TOY, "methods": ["source_only"], "seeds": [0, 1]}).configs
    out, folder = tmp_path / "out", run_dir(configs[0], tmp_path / "out")
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(folder)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "True"
        counts = run_sweep("a", configs, out, launcher=launcher, workers=2, quiet=True)
        assert counts == {"total": 2, "done": 1, "failed": 0, "running": 1}
        assert [p.name for p in folder.iterdir()] == ["lock"]  # nothing written into the held run
        assert f"{folder.name} is being trained by another process (pid {holder.pid})" in capsys.readouterr().err
    finally:
        holder.kill()  # a killed holder: the kernel frees its lock
        holder.wait()
    assert run_sweep("a", configs, out, launcher=launcher, workers=2, quiet=True) == {"total": 2, "done": 2, "failed": 0, "running": 0}


@pytest.mark.parametrize(
    "args,fragment",
    [(["--workers", "0"], "--workers must be at least 1"), (["--workers", "-2"], "--workers must be at least 1"), (["--out", "FILE"], "is an existing file")],
)
def test_bad_workers_or_out_is_one_sentence_before_anything_runs(tmp_path, capsys, args, fragment):
    (tmp_path / "FILE").write_text("not a folder")
    args = [str(tmp_path / a) if a == "FILE" else a for a in args]
    assert main(["sweep", str(toy_sweep(tmp_path)), "--out", str(tmp_path / "out"), *args]) == 2  # a later --out wins
    err = capsys.readouterr().err.strip()
    assert fragment in err and len(err.splitlines()) == 1
    assert not (tmp_path / "out").exists()


def test_gpu_slots_go_to_the_least_loaded_gpu_with_room():
    slots = GpuSlots(gpus=2, per_gpu=2)
    with slots.slot() as a, slots.slot() as b, slots.slot() as c:
        assert (a, b, c) == (0, 1, 0)
        with slots.slot() as d:
            assert d == 1
            with pytest.raises(RuntimeError, match="all 2 GPUs hold 2 runs"), slots.slot():
                pass
        with slots.slot() as e:  # GPU 1 had a slot given back
            assert e == 1
    with GpuSlots(gpus=0, per_gpu=2).slot() as none:
        assert none is None


@pytest.mark.parametrize(
    "workers,per_gpu,gpus,expected",
    [(None, None, 2, 1), (3, None, 0, 3), (None, 4, 2, 8), (6, 4, 2, 6), (None, 4, 0, 1), (3, 4, 0, 3)],
)
def test_workers_default_to_k_per_gpu(workers, per_gpu, gpus, expected):
    assert resolve_workers(workers, per_gpu, gpus) == expected


@pytest.mark.parametrize(
    "workers,per_gpu,gpus,fragment",
    [(9, 4, 2, "--workers 9 is more than 2 GPU(s) x --per-gpu 4 hold; pass --workers 8"), (None, 0, 1, "--per-gpu must be at least 1")],
)
def test_impossible_packing_is_one_sentence(workers, per_gpu, gpus, fragment):
    with pytest.raises(ConfigError, match=re.escape(fragment)):
        resolve_workers(workers, per_gpu, gpus)


def test_parallel_packs_k_runs_per_gpu_by_free_slot_with_a_share_of_the_cores(tmp_path, monkeypatch):
    """Four runs at once on two (pretend) GPUs, two to each; the cores split four ways; no real worker starts."""
    monkeypatch.setattr(launchers, "gpu_count", lambda: 2)
    monkeypatch.setattr(launchers.os, "cpu_count", lambda: 16)
    together = threading.Barrier(4, timeout=60)  # all four in flight before any ends
    seen: list[tuple[str, str, int]] = []

    def fake_worker(out, spec, plugins, env, log, fresh_interpreter):
        together.wait()
        assert fresh_interpreter  # a run given a GPU never inherits a forked CUDA state
        seen.append((env["CUDA_VISIBLE_DEVICES"], env["OMP_NUM_THREADS"], json.loads(Path(spec).read_text())["threads"]))
        return 1

    monkeypatch.setattr(launchers, "start_worker", fake_worker)
    configs = expand({"base": {**TOY, "threads": None}, "methods": ["source_only"], "seeds": [0, 1, 2, 3]}).configs
    counts = run_sweep("a", configs, tmp_path, launcher="parallel", per_gpu=2, quiet=True)
    assert counts["failed"] == 4 and next(iter_records(tmp_path), None) is None  # the fake workers wrote nothing
    assert sorted(seen) == [("0", "4", 4), ("0", "4", 4), ("1", "4", 4), ("1", "4", 4)]


def test_per_gpu_on_the_cpu_keeps_only_the_thread_share(tmp_path, monkeypatch):
    monkeypatch.setattr(launchers, "gpu_count", lambda: 0)
    monkeypatch.setattr(launchers.os, "cpu_count", lambda: 8)
    seen: list[tuple[str | None, str]] = []

    def fake_worker(out, spec, plugins, env, log, fresh_interpreter):
        seen.append((env.get("CUDA_VISIBLE_DEVICES"), env["OMP_NUM_THREADS"], fresh_interpreter))
        return 1

    monkeypatch.setattr(launchers, "start_worker", fake_worker)
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    configs = expand({"base": {**TOY, "threads": None}, "methods": ["source_only"], "seeds": [0, 1, 2]}).configs
    run_sweep("a", configs, tmp_path, launcher="parallel", workers=2, per_gpu=4, quiet=True)
    assert seen == [(None, "4", False)] * 3  # on the CPU the worker is forked from the preloaded server


def test_per_gpu_needs_the_parallel_launcher(tmp_path, capsys):
    assert main(["sweep", str(toy_sweep(tmp_path)), "--out", str(tmp_path / "out"), "--per-gpu", "2"]) == 2
    err = capsys.readouterr().err.strip()
    assert "--per-gpu packs the parallel launcher's runs onto GPUs; add --launcher parallel" in err and len(err.splitlines()) == 1
    assert not (tmp_path / "out").exists()
