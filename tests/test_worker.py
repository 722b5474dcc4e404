"""The parallel launcher's worker process: forked from the preloaded server on the CPU, a fresh interpreter on a GPU."""

import json
import os
from pathlib import Path

import pytest
from helpers import TOY_RUN

from da_bench.runner.launchers import run_sweep
from da_bench.runner.records import iter_records
from da_bench.runner.sweep import expand
from da_bench.runner.worker import last_line, start_worker


@pytest.mark.parametrize("fresh_interpreter", [False, True])
def test_a_dying_worker_gives_its_exit_status_and_its_last_line(tmp_path, fresh_interpreter):
    spec, log = tmp_path / "run.json", tmp_path / "run.log"
    spec.write_text("{not json")
    assert start_worker(tmp_path, spec, [], dict(os.environ), log, fresh_interpreter) == 1
    assert last_line(log).startswith("json.decoder.JSONDecodeError")


def test_no_log_is_no_output(tmp_path):
    assert last_line(tmp_path / "missing.log") == "no output"


def test_forked_runs_see_the_launchers_environment_and_folder_not_the_servers(tmp_path, monkeypatch):
    """The fork server outlives the first sweep; a later sweep's runs still read this process's environment and folder
    (here DA_BENCH_DATA, which names where the missing USPS files were looked for, and a plugin file named relative to
    the folder)."""
    configs = expand({"base": {**TOY_RUN, "source": "usps", "target": "mnist"}, "methods": ["source_only"]}).configs
    monkeypatch.setenv("DA_BENCH_DATA", str(tmp_path / "first"))
    run_sweep("a", configs, tmp_path / "one", launcher="parallel", workers=1, quiet=True)
    monkeypatch.setenv("DA_BENCH_DATA", str(tmp_path / "second"))
    monkeypatch.chdir(tmp_path)
    Path("plugin.py").write_text("")
    assert run_sweep("a", configs, tmp_path / "two", launcher="parallel", workers=1, quiet=True, plugins=["plugin.py"])["failed"] == 1
    (first,), (second,) = iter_records(tmp_path / "one"), iter_records(tmp_path / "two")
    assert str(tmp_path / "first") in first["reason"] and str(tmp_path / "second") in second["reason"], second["reason"]
    assert json.loads(next((tmp_path / "two" / "specs").glob("*.json")).read_text())["threads"] >= 1
