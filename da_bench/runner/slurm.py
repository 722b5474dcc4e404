"""The ``slurm`` launcher: the sweep's runs not yet done go to SLURM as one submitit job array, one array task per run.

Each task runs its config through the path every launcher shares (``run_spec``: run lock, resume from the last
checkpoint, record), so a sweep submitted again skips done runs and resumes killed ones. A task that reaches its time
limit or is preempted is requeued by submitit and resumes the same way. The sbatch script and the tasks' logs
go to ``<out>/slurm/``.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

from da_bench.config import ConfigError, RunConfig, to_dict
from da_bench.registry import LAUNCHERS
from da_bench.runner.execute import run_dir
from da_bench.runner.launchers import lost_run
from da_bench.runner.progress import Progress
from da_bench.runner.resources import check_slurm, submitit_parameters
from da_bench.runner.worker import run_spec

LOGS = "slurm"
POLL_S = 2.0  # between looks at the jobs (submitit reads result files, and asks sacct at most once a minute)


class RunTask:
    """One array task. The ``checkpoint`` method makes submitit requeue the task on SLURM's time-limit or
    preemption signal instead of letting it die; the requeued task resumes from the run's last checkpoint."""

    def __call__(self, cfg_dict: dict[str, Any], out: str, plugins: list[str]) -> dict[str, Any]:
        return run_spec(cfg_dict, out, plugins)

    def checkpoint(self, *args: Any) -> Any:
        from submitit.helpers import DelayedSubmission

        return DelayedSubmission(self, *args)


def require_submitit() -> Any:
    """The submitit module, or one sentence naming the extra that installs it."""
    try:
        import submitit
    except ImportError:
        raise ConfigError("The slurm launcher needs submitit; install it with: pip install 'da-bench[slurm]'.") from None
    return submitit


def executor(out: Path, resources: dict[str, Any], name: str, cluster: str = "slurm") -> Any:
    """A submitit executor for the sweep (``cluster='local'`` runs the tasks as processes here, for tests)."""
    try:
        ex = require_submitit().AutoExecutor(folder=Path(out).absolute() / LOGS, cluster=cluster)
    except RuntimeError:  # submitit finds no srun
        raise ConfigError("The slurm launcher finds no SLURM here (no 'srun' on the PATH); submit from a cluster node, or use --launcher parallel.") from None
    ex.update_parameters(**submitit_parameters(resources, name))
    return ex


def submit(configs: list[RunConfig], out: Path, plugins: list[str], resources: dict[str, Any], name: str, cluster: str = "slurm") -> list[Any]:
    """One job array of ``configs``, each run with the task's cores as its threads unless its config sets them."""
    specs = [{**to_dict(c), "threads": c.threads or resources["cpus_per_task"]} for c in configs]
    outs = [str(Path(out).absolute())] * len(specs)  # the tasks may start in another folder
    return executor(out, resources, name, cluster).map_array(RunTask(), specs, outs, [plugins] * len(specs))


def outcome(job: Any, cfg: RunConfig, out: Path) -> dict[str, Any]:
    """The task's record; where the task died without one (killed, out of memory, out of requeues), a failed one."""
    try:
        return job.result()
    except Exception as err:  # noqa: BLE001 - submitit raises its own errors for failed and cancelled jobs
        lines = str(err).strip().splitlines() or ["no output"]
        return lost_run(cfg, out, f"slurm job {job.job_id} ended without a record: {lines[-1]} (logs in {job.paths.folder})")


def wait(jobs: list[Any], configs: list[RunConfig], out: Path, report: Progress) -> None:
    """Report each run as its task starts and ends."""
    pending = list(zip(jobs, configs))
    while pending:
        for job, cfg in list(pending):
            if job.done():
                pending.remove((job, cfg))
                report(outcome(job, cfg, out))
            elif job.state == "RUNNING" and run_dir(cfg, out).name not in report.in_flight:
                report.started(run_dir(cfg, out).name)
        if pending:
            time.sleep(POLL_S)


@LAUNCHERS.register("slurm")
def launch_slurm(
    configs: list[RunConfig],
    out: Path,
    workers: int,
    plugins: list[str],
    report: Progress,
    resources: dict[str, Any] | None = None,
    name: str = "sweep",
    cluster: str = "slurm",
    **_: Any,
) -> None:
    """Submit the runs as one job array with the sweep file's ``slurm:`` resources, then follow them to the end
    (stopping this process leaves the jobs running; the sweep started again picks up their records)."""
    if not configs:
        return
    jobs = submit(configs, out, plugins, resources or check_slurm({}), name, cluster)
    if not report.quiet:
        print(f"slurm: submitted {len(jobs)} runs as job array {jobs[0].job_id.split('_')[0]}; logs under {Path(out) / LOGS}", file=sys.stderr, flush=True)
    wait(jobs, configs, out, report)


launch_slurm.check = require_submitit  # run_sweep calls it before anything is written
