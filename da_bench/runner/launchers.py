"""Launchers: ``local`` (one after another), ``parallel`` (N worker processes, each pinned to a GPU
or to its share of the CPU cores) and ``ray`` (one Ray task per run, on a cluster or a local instance)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path
from typing import Any, Callable, TextIO

from da_bench.config import RunConfig, to_dict
from da_bench.registry import LAUNCHERS
from da_bench.runner.execute import check_out, execute, run_dir, running_elsewhere
from da_bench.runner.records import read_record, write_json_atomic
from da_bench.runner.sweep import check_name
from da_bench.runner.worker import RUNNING_ELSEWHERE

Report = Callable[[dict[str, Any]], None]


def cpu_share(workers: int) -> int:
    return max(1, (os.cpu_count() or 1) // max(1, workers))


def gpu_count() -> int:
    try:
        import torch

        return torch.cuda.device_count()
    except ImportError:
        return 0


@LAUNCHERS.register("local")
def launch_local(configs: list[RunConfig], out: Path, workers: int, plugins: list[str], report: Report, **_: Any) -> None:
    """Runs one after another in this process."""
    for cfg in configs:
        report(execute(cfg, out, record_setup_errors=True))


def _worker_command(out: Path, spec: Path, plugins: list[str]) -> list[str]:
    cmd = [sys.executable, "-m", "da_bench.runner.worker", str(out), str(spec)]
    for plugin in plugins:
        cmd += ["--plugin", plugin]
    return cmd


@LAUNCHERS.register("parallel")
def launch_parallel(configs: list[RunConfig], out: Path, workers: int, plugins: list[str], report: Report, **_: Any) -> None:
    """Keeps ``workers`` runs going at once, each in its own process; GPUs round-robin, CPU threads shared."""
    gpus, threads = gpu_count(), cpu_share(workers)
    specs = out / "specs"

    def run(slot: int, cfg: RunConfig) -> dict[str, Any]:
        cfg_dict = to_dict(cfg)
        cfg_dict["threads"] = cfg.threads or threads
        spec = specs / f"{run_dir(cfg, out).name}.json"
        write_json_atomic(spec, cfg_dict)
        env = {**os.environ, "OMP_NUM_THREADS": str(cfg_dict["threads"]), "MKL_NUM_THREADS": str(cfg_dict["threads"])}
        if gpus:
            env["CUDA_VISIBLE_DEVICES"] = str(slot % gpus)
        proc = subprocess.run(_worker_command(out, spec, plugins), env=env, capture_output=True, text=True)
        if proc.returncode == RUNNING_ELSEWHERE:
            return running_elsewhere(cfg, run_dir(cfg, out))
        record = read_record(run_dir(cfg, out))
        if record is None:  # the worker died before writing a record (killed, out of memory): say why
            tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["no output"]
            record = {"run_id": run_dir(cfg, out).name, "config": cfg_dict, "status": "failed", "reason": f"worker exited {proc.returncode}: {tail[0]}"}
        return record

    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(run, i, cfg) for i, cfg in enumerate(configs)]
        for future in as_completed(futures):
            report(future.result())


@LAUNCHERS.register("ray")
def launch_ray(configs: list[RunConfig], out: Path, workers: int, plugins: list[str], report: Report, ray_address: str | None = None, **_: Any) -> None:
    """One Ray task per run with its resource needs; ``ray_address`` names a cluster, else a local instance is started."""
    try:
        import ray
    except ImportError:
        raise RuntimeError("The ray launcher needs Ray; install it with: pip install 'da-bench[ray]'.") from None
    started = not ray.is_initialized()
    if started:
        ray.init(address=ray_address, num_cpus=None if ray_address else os.cpu_count(), include_dashboard=False, log_to_driver=False)
    threads = cpu_share(workers)
    gpus = 1.0 / workers if gpu_count() else 0.0

    @ray.remote(num_cpus=threads, num_gpus=gpus)
    def ray_run(cfg_dict: dict[str, Any], out_str: str, plugin_paths: list[str]) -> dict[str, Any]:
        from da_bench.builtins import import_builtins
        from da_bench.config import from_dict
        from da_bench.registry import load_plugins

        import_builtins()
        load_plugins(plugin_paths)
        return execute(from_dict(cfg_dict), Path(out_str), record_setup_errors=True)

    try:
        pending = [ray_run.remote({**to_dict(c), "threads": c.threads or threads}, str(out), plugins) for c in configs]
        while pending:
            ready, pending = ray.wait(pending, num_returns=1)
            report(ray.get(ready[0]))
    finally:
        if started:
            ray.shutdown()


class Progress:
    """Sweep-level progress: done, failed, running elsewhere, remaining and estimated time left."""

    def __init__(self, total: int, quiet: bool, stream: TextIO | None = None) -> None:
        self.total, self.quiet, self.stream = total, quiet, stream or sys.stderr
        self.counts = {"done": 0, "failed": 0, "running": 0}
        self.start = time.perf_counter()

    def __call__(self, record: dict[str, Any]) -> None:
        status = record.get("status")
        self.counts[status if status in self.counts else "failed"] += 1
        if status == "running":  # said even with --quiet: this sweep leaves the run to the process that holds it
            print(f"da-bench: {record['reason']}.", file=self.stream, flush=True)
        finished = sum(self.counts.values())
        remaining = self.total - finished
        eta = (time.perf_counter() - self.start) / finished * remaining
        if not self.quiet:
            cfg = record.get("config", {})
            note = "" if status in ("done", "running") else f"  FAILED: {record.get('reason')}"
            elsewhere = f", running elsewhere {self.counts['running']}" if self.counts["running"] else ""
            print(
                f"[{finished}/{self.total}] done {self.counts['done']}, failed {self.counts['failed']}{elsewhere}, remaining {remaining}, "
                f"eta {int(eta // 60)}m{int(eta % 60):02d}s | {cfg.get('method')} {cfg.get('source')}->{cfg.get('target')} seed {cfg.get('seed')}{note}",
                file=self.stream,
                flush=True,
            )


def pending_configs(configs: list[RunConfig], out: Path, retry_failed: bool) -> tuple[list[RunConfig], int, int]:
    """Configs without a ``done`` record (failed ones only with ``retry_failed``); also counts done and skipped-failed."""
    todo, done, failed = [], 0, 0
    seen: set[str] = set()
    for cfg in configs:
        folder = run_dir(cfg, out)
        if folder.name in seen:
            continue
        seen.add(folder.name)
        record = read_record(folder)
        status = record.get("status") if record else None
        if status == "done":
            done += 1
        elif status == "failed" and not retry_failed:
            failed += 1
        else:
            todo.append(cfg)
    return todo, done, failed


def write_manifest(name: str, configs: list[RunConfig], out: Path) -> None:
    """The sweep's expected grid, so tables can show missing runs instead of silently averaging fewer."""
    entries = [{"run_id": run_dir(c, out).name, "method": c.method, "source": c.source, "target": c.target, "seed": c.seed} for c in configs]
    write_json_atomic(out / "sweeps" / f"{check_name(name)}.json", {"name": name, "runs": entries})


def run_sweep(
    name: str,
    configs: list[RunConfig],
    out: Path,
    launcher: str = "local",
    workers: int = 1,
    retry_failed: bool = False,
    quiet: bool = False,
    plugins: list[str] | None = None,
    ray_address: str | None = None,
    selected: list[RunConfig] | None = None,
) -> dict[str, int]:
    """Run what is not done yet (of ``selected``, a slice of ``configs``, where given); counts of total, done, failed and
    ``running`` (locked by another process) over the runs asked for. The manifest always lists the whole sweep."""
    launch = LAUNCHERS.get(launcher)
    if workers < 1:
        raise ValueError(f"--workers must be at least 1 (got {workers}); pass --workers 1 or more.")
    check_out(out)
    out.mkdir(parents=True, exist_ok=True)
    write_manifest(name, configs, out)
    configs = configs if selected is None else selected
    todo, done, failed = pending_configs(configs, out, retry_failed)
    if not quiet:
        print(
            f"sweep '{name}': {len(configs)} runs, {done} already done, {failed} failed earlier (kept; --retry-failed reruns them), {len(todo)} to run",
            file=sys.stderr,
            flush=True,
        )
    progress = Progress(len(todo), quiet)
    launch(todo, out, workers, plugins or [], progress, ray_address=ray_address)
    return {"total": len(configs), "done": done + progress.counts["done"], "failed": failed + progress.counts["failed"], "running": progress.counts["running"]}
