"""The slurm launcher: resources from the sweep file, the sbatch script submitit writes, and a sweep run end to end
through submitit's local executor (the array tasks as processes on this machine)."""

import importlib.util
import shutil
import sys
from pathlib import Path

import pytest
import yaml
from test_launchers import TOY, records_by_id

from da_bench.cli import main
from da_bench.config import ConfigError
from da_bench.runner import slurm
from da_bench.runner.launchers import run_sweep
from da_bench.runner.records import iter_records
from da_bench.runner.resources import SLURM_DEFAULTS, check_slurm
from da_bench.runner.sweep import expand

needs_submitit = pytest.mark.skipif(importlib.util.find_spec("submitit") is None, reason="submitit is an optional extra: pip install 'da-bench[slurm]'")
RESOURCES = {"partition": "gpu", "gpus_per_run": 1, "cpus_per_task": 6, "mem_gb": 12, "time_min": 90, "array_parallelism": 2}


def sweep(seeds: int, **resources) -> dict:
    return {"name": "toy", "base": TOY, "methods": ["source_only"], "seeds": list(range(seeds)), "slurm": resources}


def test_the_slurm_section_fills_in_defaults():
    assert expand(sweep(1)).slurm == SLURM_DEFAULTS
    assert expand(sweep(1, partition="gpu", time_min=30)).slurm == {**SLURM_DEFAULTS, "partition": "gpu", "time_min": 30}


@pytest.mark.parametrize(
    "section,fragment",
    [
        ({"partiton": "gpu"}, "Unknown slurm key 'partiton'. Did you mean 'partition'?"),
        ({"time_min": "4h"}, "Sweep key 'slurm.time_min' must be a whole number of minutes, 1 or more, got '4h'."),
        ({"gpus_per_run": -1}, "Sweep key 'slurm.gpus_per_run' must be a whole number of GPUs, 0 or more, got -1."),
        ({"sbatch": ["--exclusive"]}, "Sweep key 'slurm.sbatch' must be a mapping of sbatch flag: value"),
        ("gpu", "Sweep key 'slurm' must be a mapping of resources"),
    ],
)
def test_a_bad_slurm_section_is_one_sentence_before_anything_runs(tmp_path, capsys, section, fragment):
    with pytest.raises(ConfigError, match=fragment.replace("(", r"\(").replace("?", r"\?")):
        check_slurm(section)
    path = tmp_path / "sweep.yaml"
    path.write_text(yaml.safe_dump({**sweep(1), "slurm": section}))
    assert main(["sweep", str(path), "--launcher", "slurm", "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.strip()
    assert fragment in err and len(err.splitlines()) == 1
    assert not (tmp_path / "out").exists()


def test_without_submitit_the_launcher_names_the_extra(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "submitit", None)  # import submitit now raises ImportError
    path = tmp_path / "sweep.yaml"
    path.write_text(yaml.safe_dump(sweep(1)))
    assert main(["sweep", str(path), "--launcher", "slurm", "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.strip()
    assert err == "da-bench: error: The slurm launcher needs submitit; install it with: pip install 'da-bench[slurm]'."
    assert not (tmp_path / "out").exists()


@needs_submitit
@pytest.mark.skipif(shutil.which("srun") is not None, reason="this machine has SLURM")
def test_without_slurm_the_launcher_says_so(tmp_path):
    with pytest.raises(ConfigError, match="finds no SLURM here"):
        slurm.submit(expand(sweep(1)).configs, tmp_path, [], check_slurm({}), "toy")


@pytest.fixture
def fake_sbatch(monkeypatch):
    """submitit's SLURM executor without a cluster: srun 'found', sbatch replaced by an echo of a job id."""
    from submitit.slurm.slurm import SlurmExecutor

    monkeypatch.setattr(SlurmExecutor, "affinity", classmethod(lambda cls: 2))
    monkeypatch.setattr(SlurmExecutor, "_make_submission_command", lambda self, path: ["echo", "Submitted batch job 4242"])


@needs_submitit
def test_the_sbatch_script_holds_the_array_the_resources_and_the_command(tmp_path, fake_sbatch):
    resources = check_slurm({**RESOURCES, "setup": ["module load cuda"], "sbatch": {"mail-type": "END"}})
    configs = expand(sweep(3)).configs
    jobs = slurm.submit(configs, tmp_path, ["/plugins/p.py"], resources, "toy")
    assert [job.job_id for job in jobs] == ["4242_0", "4242_1", "4242_2"]
    script = (tmp_path / "slurm" / "4242_submission.sh").read_text()
    lines = set(script.splitlines())
    for flag in ("array=0-2%2", "partition=gpu", "gpus-per-node=1", "cpus-per-task=6", "mem=12GB", "time=90", "job-name=da-bench-toy", "mail-type=END"):
        assert f"#SBATCH --{flag}" in lines, flag
    assert f"#SBATCH --output={tmp_path}/slurm/%A_%a_0_log.out" in lines  # the logs under --out
    assert script.index("module load cuda") < script.index(f"-m submitit.core._submit {tmp_path}/slurm")
    task = jobs[1].submission()  # what array task 1 runs: the run's config through the shared worker path
    assert isinstance(task.function, slurm.RunTask) and task.args[1:] == (str(tmp_path), ["/plugins/p.py"])
    assert task.args[0]["seed"] == configs[1].seed and task.args[0]["threads"] == TOY["threads"]


@needs_submitit
def test_a_task_that_dies_without_a_record_is_a_failed_run_naming_its_logs(tmp_path):
    class DeadJob:
        job_id = "4242_0"
        paths = type("Paths", (), {"folder": tmp_path / "slurm"})

        def result(self):
            raise RuntimeError("Job 4242_0 (task: 0) with path ... has not produced any output (state: OUT_OF_MEMORY)")

    record = slurm.outcome(DeadJob(), expand(sweep(1)).configs[0], tmp_path)
    assert record["status"] == "failed" and record["reason"] == (
        "slurm job 4242_0 ended without a record: Job 4242_0 (task: 0) with path ... has not produced any output (state: OUT_OF_MEMORY)"
        f" (logs in {tmp_path / 'slurm'})"
    )


@needs_submitit
def test_local_executor_runs_the_sweep_like_the_local_launcher_and_resubmits_nothing_done(tmp_path, capsys):
    data = sweep(2, gpus_per_run=0, time_min=20)
    configs = expand(data).configs
    run_sweep("toy", configs, tmp_path / "local", quiet=True)
    counts = run_sweep("toy", configs, tmp_path / "slurm", launcher="slurm", resources=expand(data).slurm, cluster="local")
    assert counts == {"total": 2, "done": 2, "failed": 0, "running": 0}
    assert "slurm: submitted 2 runs as job array" in capsys.readouterr().err
    local, array = records_by_id(tmp_path / "local"), records_by_id(tmp_path / "slurm")
    assert local.keys() == array.keys()
    for rid in local:
        assert local[rid][0]["final"]["target_test_acc"] == pytest.approx(array[rid][0]["final"]["target_test_acc"], abs=1e-6)
    logs = sorted(p.name for p in (tmp_path / "slurm" / "slurm").iterdir())
    assert any(name.endswith("_log.out") for name in logs)
    run_sweep("toy", configs, tmp_path / "slurm", launcher="slurm", resources=expand(data).slurm, cluster="local", quiet=True)
    assert sorted(p.name for p in (tmp_path / "slurm" / "slurm").iterdir()) == logs  # nothing submitted again
    assert len(list(iter_records(tmp_path / "slurm"))) == 2


def test_the_readme_slurm_section_is_valid_and_names_every_key():
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    block = readme.split("```yaml\nslurm:", 1)[1].split("```", 1)[0]
    section = yaml.safe_load("slurm:" + block)["slurm"]
    assert set(section) == set(SLURM_DEFAULTS)
    assert check_slurm(section) == section
    assert {k: section[k] for k, v in SLURM_DEFAULTS.items() if isinstance(v, int)} == {k: v for k, v in SLURM_DEFAULTS.items() if isinstance(v, int)}
