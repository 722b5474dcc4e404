"""What each run of a sweep asks of a SLURM cluster: the sweep file's ``slurm:`` section over these defaults.

```yaml
slurm: {partition: gpu, gpus_per_run: 1, cpus_per_task: 8, mem_gb: 32, time_min: 120, array_parallelism: 16,
        setup: ["module load cuda"], sbatch: {mail-type: END}}
```
"""

from __future__ import annotations

from typing import Any, Callable

from da_bench.config import ConfigError, unknown_key_message

SLURM_DEFAULTS: dict[str, Any] = {
    "partition": None,  # the cluster's default partition
    "account": None,
    "qos": None,
    "constraint": None,
    "gpus_per_run": 1,
    "cpus_per_task": 4,  # also each run's torch threads, unless its config sets 'threads'
    "mem_gb": 16,
    "time_min": 240,  # per run; a run past it is requeued and resumes from its last checkpoint
    "array_parallelism": 64,  # array tasks running at once
    "setup": [],  # shell lines before each run, e.g. "module load cuda" or "source .venv/bin/activate"
    "sbatch": {},  # any further #SBATCH flag: value, e.g. {mail-type: END, exclusive: true}
}


def _whole(least: int) -> Callable[[Any], bool]:
    return lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= least


def _text(v: Any) -> bool:
    return v is None or (isinstance(v, str) and bool(v))


CHECKS: dict[str, tuple[Callable[[Any], bool], str]] = {
    "partition": (_text, "a partition name"),
    "account": (_text, "an account name"),
    "qos": (_text, "a quality-of-service name"),
    "constraint": (_text, "a node feature constraint"),
    "gpus_per_run": (_whole(0), "a whole number of GPUs, 0 or more"),
    "cpus_per_task": (_whole(1), "a whole number of CPU cores, 1 or more"),
    "mem_gb": (lambda v: isinstance(v, (int, float)) and not isinstance(v, bool) and v > 0, "a positive number of gigabytes"),
    "time_min": (_whole(1), "a whole number of minutes, 1 or more"),
    "array_parallelism": (_whole(1), "a whole number of tasks, 1 or more"),
    "setup": (lambda v: isinstance(v, list) and all(isinstance(line, str) for line in v), "a list of shell lines"),
    "sbatch": (lambda v: isinstance(v, dict) and all(isinstance(x, (str, int, float, bool)) for x in v.values()), "a mapping of sbatch flag: value"),
}


def check_slurm(section: Any) -> dict[str, Any]:
    """The ``slurm:`` section over the defaults; a misspelt key or a wrong value is one sentence naming the fix."""
    if section is None:
        section = {}
    if not isinstance(section, dict):
        raise ConfigError(f"Sweep key 'slurm' must be a mapping of resources (e.g. {{partition: gpu, time_min: 60}}), got {section!r}.")
    for key, value in section.items():
        if key not in SLURM_DEFAULTS:
            raise ConfigError(unknown_key_message(key, set(SLURM_DEFAULTS), "slurm key"))
        ok, what = CHECKS[key]
        if not ok(value):
            raise ConfigError(f"Sweep key 'slurm.{key}' must be {what}, got {value!r}.")
    return {**SLURM_DEFAULTS, **section}


def submitit_parameters(resources: dict[str, Any], name: str) -> dict[str, Any]:
    """The resources as ``submitit.AutoExecutor.update_parameters`` takes them (None: SLURM's own default)."""
    return {
        "name": f"da-bench-{name}",
        "timeout_min": resources["time_min"],
        "mem_gb": resources["mem_gb"],
        "cpus_per_task": resources["cpus_per_task"],
        "gpus_per_node": resources["gpus_per_run"],
        "slurm_partition": resources["partition"],
        "slurm_account": resources["account"],
        "slurm_qos": resources["qos"],
        "slurm_constraint": resources["constraint"],
        "slurm_array_parallelism": resources["array_parallelism"],
        "slurm_setup": resources["setup"] or None,
        "slurm_additional_parameters": resources["sbatch"] or None,
    }
