"""End-to-end: the real ``da-bench`` CLI on small data, as a process (a sweep with tables and a plot) and, for the
rest, ``da_bench.cli.main`` in this process."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import TOY_CLI, fake_record, methods_listing, plugins_forgotten_after, run_in_process

from da_bench.cli import main

PLUGIN = '''\
import torch
from da_bench import AdaptationLoss, register_loss


@register_loss("mean_gap")
class MeanGap(AdaptationLoss):
    """Squared distance between the source and target feature means."""

    def forward(self, out):
        gap = out.source_features.mean(0) - out.target_features.mean(0)
        return gap.pow(2).sum()
'''
TOY = TOY_CLI


def cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "da_bench.cli", *args], capture_output=True, text=True, cwd=cwd)


def test_plugin_loss_in_fifteen_lines_runs_end_to_end(tmp_path, capsys):
    plugin = tmp_path / "mean_gap.py"
    plugin.write_text(PLUGIN)
    assert len(PLUGIN.strip().splitlines()) <= 15
    with plugins_forgotten_after():
        record, _ = run_in_process(capsys, tmp_path / "out", "--plugin", str(plugin), "method=mean_gap", *TOY)
    assert record["status"] == "done" and record["config"]["method"] == "mean_gap"
    with plugins_forgotten_after():
        listing = methods_listing(capsys, "--plugin", str(plugin))
    assert "mean_gap" in listing and "Squared distance" in listing
    sweep = tmp_path / "s.yaml"
    sweep.write_text(
        "name: plug\nbase: {source: moons, target: moons_rot35, backbone: mlp, head_hidden: [], "
        "steps: 20, eval_every: 20, batch_size: 16, threads: 1}\nmethods: [mean_gap]\nseeds: [0, 1]\n"
    )
    with plugins_forgotten_after():  # the worker processes load the plugin from the command line
        assert main(["sweep", str(sweep), "--plugin", str(plugin), "--launcher", "parallel", "--workers", "2", "--out", str(tmp_path / "par")]) == 0
    assert "2 done" in capsys.readouterr().out


def test_methods_lists_everything_with_descriptions(capsys):
    assert main(["methods"]) == 0
    out = capsys.readouterr().out
    for name in ("source_only", "dann", "cdan", "cdan_e", "dan", "jan", "coral", "confusion", "entropy", "mmd", "jmmd", "snd", "dev"):
        assert f" {name} " in out


@pytest.mark.parametrize(
    "args,fragment",
    [
        (["run", "method=dnn"], "Did you mean 'dann'"),
        (["run", "backbone=resnet5"], "Did you mean 'resnet50'"),
        (["run", "source=mnst"], "Did you mean 'mnist'"),
        (["run", "lrr=0.1"], "Did you mean 'lr'"),
        (["sweep", "nope.yaml"], "does not exist"),
        (["sweep", "experiments/quickstart.yaml", "--launcher", "rey"], "Did you mean 'ray'"),
        (["table", "no_such_dir"], "does not exist"),
    ],
)
def test_bad_input_is_one_clear_sentence(args, fragment, capsys):
    assert main(args) == 2
    err = capsys.readouterr().err.strip()
    assert fragment in err and len(err.splitlines()) == 1


def test_missing_dataset_stops_before_training(tmp_path, capsys):
    assert main(["run", "source=usps", "target=mnist", "--data-root", str(tmp_path), "--out", str(tmp_path / "out")]) == 2
    assert "usps" in capsys.readouterr().err
    assert not list((tmp_path / "out").rglob("record.json"))


def test_datasets_lists_found_and_missing(tmp_path, capsys):
    import numpy as np
    from test_digits import write_idx

    (tmp_path / "mnist").mkdir()
    write_idx(tmp_path / "mnist" / "t10k-images-idx3-ubyte.gz", np.zeros((20, 28, 28)))
    write_idx(tmp_path / "mnist" / "t10k-labels-idx1-ubyte.gz", np.arange(20) % 10)
    assert main(["datasets", "--data-root", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "found   mnist " in out and "test 20" in out and "found   mnistm_like" in out  # bundled: needs no data root
    assert "missing svhn" in out and "how to obtain" in out


@pytest.mark.parametrize("precision", ["bf16-mixed"])
@pytest.mark.parametrize("method", ["source_only", "dann", "cdan", "cdan_e", "dan", "jan", "coral", "confusion", "entropy_min"])
def test_every_method_runs_under_bf16_on_cpu(method, precision, tmp_path):
    assert main(["run", f"method={method}", f"precision={precision}", *TOY, "--out", str(tmp_path)]) == 0


def test_sweep_then_table_formats_and_plot(tmp_path, capsys):
    sweep = tmp_path / "s.yaml"
    sweep.write_text(
        "name: toy\nbase: {source: moons, target: moons_rot35, backbone: mlp, head_hidden: [], "
        "steps: 40, eval_every: 20, batch_size: 16, validator_samples: 50, threads: 1}\n"
        "methods: [source_only, coral]\nseeds: [0, 1]\n"
    )
    out = tmp_path / "out"
    result = cli("sweep", str(sweep), "--out", str(out), "--table", str(tmp_path / "tables"))
    assert result.returncode == 0, result.stderr
    assert "done 4" in result.stderr or "4 done" in result.stdout
    assert (tmp_path / "tables" / "toy.md").exists() and (tmp_path / "tables" / "toy.png").stat().st_size > 1000
    for fmt in ("md", "latex", "csv", "html"):
        assert main(["table", str(out), "--format", fmt, "--selection", "snd"]) == 0
    assert main(["table", str(out), "--selection", "all"]) == 0 and "| Method | last | source-val |" in capsys.readouterr().out
    assert main(["sweep", str(sweep), "--out", str(out)]) == 0
    again = capsys.readouterr().err
    assert "4 already done" in again and "0 to run" in again


def test_table_reads_records_without_importing_lightning(tmp_path):
    """`da-bench table` only reads records: it skips the built-in parts, whose import (Lightning) took most of its 10 s here."""
    for seed, acc in enumerate((0.6, 0.7)):
        fake_record(tmp_path, f"r{seed}", "dann", "mnist", "usps", seed, acc)
    lightning = "sorted(m for m in sys.modules if m.startswith('pytorch_lightning'))"
    script = f"import sys; from da_bench.cli import main; code = main(['table', {str(tmp_path)!r}]); print({lightning}); sys.exit(code)"
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "| DANN |" in result.stdout and "65.0" in result.stdout and result.stdout.rstrip().endswith("[]")


def test_sweep_where_runs_one_slice_and_the_manifest_keeps_the_whole_grid(tmp_path, capsys):
    sweep = tmp_path / "s.yaml"
    sweep.write_text(
        "name: toy\nbase: {source: moons, target: moons_rot35, backbone: mlp, head_hidden: [], "
        "steps: 20, eval_every: 20, batch_size: 16, validator_samples: 50, threads: 1}\n"
        "methods: [source_only, coral]\nseeds: [0, 1]\n"
    )
    out = tmp_path / "out"
    assert main(["sweep", str(sweep), "--out", str(out), "--where", "seed=1"]) == 0
    result = capsys.readouterr()
    assert "2 runs, 0 already done" in result.err and "2 done" in result.out
    records = [json.loads(p.read_text()) for p in out.rglob("record.json")]
    assert sorted((r["config"]["method"], r["config"]["seed"]) for r in records) == [("coral", 1), ("source_only", 1)]
    assert len(json.loads((out / "sweeps" / "toy.json").read_text())["runs"]) == 4
    assert main(["sweep", str(sweep), "--out", str(out), "--where", "seed=5"]) == 2
    refused = capsys.readouterr().err
    assert "matches none of the sweep's 4 runs" in refused and "Traceback" not in refused


def test_wandb_offline_writes_files(tmp_path, monkeypatch):
    pytest.importorskip("wandb", reason="wandb is an optional extra: pip install 'da-bench[wandb]'")
    monkeypatch.setenv("WANDB_MODE", "offline")
    monkeypatch.setenv("WANDB_SILENT", "true")
    assert main(["run", *TOY, "loggers=[csv,wandb]", "--out", str(tmp_path)]) == 0
    assert list(tmp_path.rglob("wandb/offline-run-*"))


def test_the_installed_console_script_runs_and_ends_quietly_when_its_reader_stops():
    script = Path(sys.executable).with_name("da-bench")
    if not script.exists():
        pytest.skip(f"no installed da-bench console script beside {sys.executable} (pip install -e . makes it)")
    listing = subprocess.run([str(script), "methods"], capture_output=True, text=True)
    assert listing.returncode == 0 and "dann" in listing.stdout
    # the reader closes the pipe before the listing is written, as `da-bench methods | head -1` can
    proc = subprocess.Popen([str(script), "methods"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.close()
    stderr = proc.stderr.read().decode()
    assert proc.wait() == 141 and stderr == ""
