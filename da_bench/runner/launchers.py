"""Launchers: ``local`` (one after another), ``parallel`` (N worker processes, K to a GPU or each with its share of
the CPU cores) and ``ray`` (one Ray task per run, on a cluster or a local instance); ``slurm`` is in
``da_bench.runner.slurm``."""

from __future__ import annotations

import os
import sys
import threading
from concurrent.futures import ThreadPoolExecutor, as_completed
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from da_bench.config import ConfigError, RunConfig, to_dict
from da_bench.registry import LAUNCHERS
from da_bench.runner.execute import check_out, execute, run_dir, running_elsewhere
from da_bench.runner.locks import lock_stamp
from da_bench.runner.progress import Progress
from da_bench.runner.records import read_record, write_json_atomic
from da_bench.runner.sweep import check_name
from da_bench.runner.worker import RUNNING_ELSEWHERE, last_line, run_spec, start_worker


def cpu_share(workers: int) -> int:
    return max(1, (os.cpu_count() or 1) // max(1, workers))


def gpu_count() -> int:
    try:
        import torch

        return torch.cuda.device_count()
    except ImportError:
        return 0


def resolve_workers(workers: int | None, per_gpu: int | None, gpus: int) -> int:
    """How many runs go at once: ``--workers``, else with ``--per-gpu K`` K for each GPU (1 without GPUs), else 1."""
    if workers is not None and workers < 1:
        raise ConfigError(f"--workers must be at least 1 (got {workers}); pass --workers 1 or more.")
    if per_gpu is None:
        return workers or 1
    if per_gpu < 1:
        raise ConfigError(f"--per-gpu must be at least 1 (got {per_gpu}); pass --per-gpu 1 or more.")
    if gpus and workers is not None and workers > gpus * per_gpu:
        raise ConfigError(f"--workers {workers} is more than {gpus} GPU(s) x --per-gpu {per_gpu} hold; pass --workers {gpus * per_gpu} or a larger --per-gpu.")
    return workers or gpus * per_gpu or 1


class GpuSlots:
    """GPUs handed to workers by free slot: each run takes the least-loaded GPU (the first on a tie) that holds fewer
    than ``per_gpu`` runs, and gives it back when it ends."""

    def __init__(self, gpus: int, per_gpu: int) -> None:
        self.load, self.per_gpu, self.lock = [0] * gpus, per_gpu, threading.Lock()

    @contextmanager
    def slot(self) -> Iterator[int | None]:
        """A GPU index for the block (None without GPUs)."""
        if not self.load:
            yield None
            return
        with self.lock:
            gpu = min(range(len(self.load)), key=self.load.__getitem__)
            if self.load[gpu] >= self.per_gpu:
                raise RuntimeError(f"all {len(self.load)} GPUs hold {self.per_gpu} runs already")  # workers <= GPUs x per_gpu
            self.load[gpu] += 1
        try:
            yield gpu
        finally:
            with self.lock:
                self.load[gpu] -= 1


def lost_run(cfg: RunConfig, out: Path, why: str) -> dict[str, Any]:
    """The run's record, or, where its process died before writing one (killed, out of memory), a failed one saying why."""
    return read_record(run_dir(cfg, out)) or {"run_id": run_dir(cfg, out).name, "config": to_dict(cfg), "status": "failed", "reason": why}


@LAUNCHERS.register("local")
def launch_local(configs: list[RunConfig], out: Path, workers: int, plugins: list[str], report: Progress, **_: Any) -> None:
    """Runs one after another in this process."""
    for cfg in configs:
        report.started(run_dir(cfg, out).name)
        report(execute(cfg, out, record_setup_errors=True))


@LAUNCHERS.register("parallel")
def launch_parallel(configs: list[RunConfig], out: Path, workers: int, plugins: list[str], report: Progress, per_gpu: int | None = None, **_: Any) -> None:
    """Keeps ``workers`` runs going at once, each in its own process: ``per_gpu`` of them (default: as many as spread
    the workers evenly) share each GPU, assigned by free slot; the CPU cores are shared out so none is oversubscribed."""
    gpus, threads = gpu_count(), cpu_share(min(workers, len(configs)))
    slots = GpuSlots(gpus, per_gpu or -(-workers // max(1, gpus)))
    specs = out / "specs"

    def run(cfg: RunConfig) -> dict[str, Any]:
        cfg_dict = to_dict(cfg)
        cfg_dict["threads"] = cfg.threads or threads
        spec = specs / f"{run_dir(cfg, out).name}.json"
        write_json_atomic(spec, cfg_dict)
        share = str(cfg_dict["threads"])
        env = {**os.environ, "OMP_NUM_THREADS": share, "MKL_NUM_THREADS": share, "OPENBLAS_NUM_THREADS": share}
        with slots.slot() as gpu:
            if gpu is not None:
                env["CUDA_VISIBLE_DEVICES"] = str(gpu)
            report.started(spec.stem)
            log = spec.with_suffix(".log")
            status = start_worker(out, spec, plugins, env, log, fresh_interpreter=gpu is not None)
        if status == RUNNING_ELSEWHERE:
            return running_elsewhere(cfg, run_dir(cfg, out))
        return lost_run(cfg, out, f"worker exited {status}: {last_line(log)}")

    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(run, cfg) for cfg in configs]
        for future in as_completed(futures):
            report(future.result())


@LAUNCHERS.register("ray")
def launch_ray(configs: list[RunConfig], out: Path, workers: int, plugins: list[str], report: Progress, ray_address: str | None = None, **_: Any) -> None:
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

    ray_run = ray.remote(num_cpus=threads, num_gpus=gpus)(run_spec)
    folders = [run_dir(c, out) for c in configs]
    stamps = [lock_stamp(folder) for folder in folders]  # a run has started once its lock is taken anew
    try:
        tasks = {ray_run.remote({**to_dict(c), "threads": c.threads or threads}, str(out), plugins): i for i, c in enumerate(configs)}
        waiting = set(range(len(configs)))
        while tasks:
            ready, _ = ray.wait(list(tasks), num_returns=1, timeout=0.5)
            for i in sorted(i for i in waiting if lock_stamp(folders[i]) != stamps[i]):  # before the finished ones: a
                waiting.discard(i)  # run that trained took its lock, so it is seen starting even if it ended within the wait
                report.started(folders[i].name)
            for ref in ready:
                waiting.discard(tasks.pop(ref))
                report(ray.get(ref))
    finally:
        if started:
            ray.shutdown()


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
    workers: int | None = None,
    retry_failed: bool = False,
    quiet: bool = False,
    plugins: list[str] | None = None,
    ray_address: str | None = None,
    selected: list[RunConfig] | None = None,
    per_gpu: int | None = None,
    **options: Any,
) -> dict[str, int]:
    """Run what is not done yet (of ``selected``, a slice of ``configs``, where given); counts of total, done, failed and
    ``running`` (locked by another process) over the runs asked for. The manifest always lists the whole sweep.
    ``options`` go to the launcher (the slurm one takes ``resources``, the sweep file's ``slurm:`` section)."""
    launch = LAUNCHERS.get(launcher)
    if per_gpu is not None and launcher != "parallel":
        raise ConfigError("--per-gpu packs the parallel launcher's runs onto GPUs; add --launcher parallel or leave --per-gpu out.")
    workers = resolve_workers(workers, per_gpu, gpu_count() if per_gpu else 0)
    getattr(launch, "check", lambda: None)()  # a launcher's own preconditions (its package installed), before anything is written
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
    try:
        launch(todo, out, workers, plugins or [], progress, ray_address=ray_address, name=name, per_gpu=per_gpu, **options)
    finally:
        progress.close()
    return {"total": len(configs), "done": done + progress.counts["done"], "failed": failed + progress.counts["failed"], "running": progress.counts["running"]}
