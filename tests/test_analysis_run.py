"""End to end: a tiny real run through the CLI, then ``da-bench analyze`` on it, on a sweep-like folder, and on bad folders."""

import json
import math

import pytest
from helpers import TOY_CLI, fake_record
from PIL import Image

from da_bench.analysis.run import ANALYSIS_DIR, run_folders
from da_bench.cli import main

TOY = ["method=dann", *TOY_CLI]
PNGS = ["tsne_domain.png", "tsne_class.png", "confusion.png", "reliability.png"]


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    out = tmp_path_factory.mktemp("analyze")
    assert main(["run", *TOY, "--out", str(out)]) == 0
    (folder,) = (out / "runs").iterdir()
    return out, folder


def test_analyze_writes_plots_and_record_numbers(trained, capsys):
    out, folder = trained
    assert main(["analyze", str(folder)]) == 0
    assert "A-distance" in capsys.readouterr().out
    for name in PNGS:
        with Image.open(folder / ANALYSIS_DIR / name) as image:
            assert image.format == "PNG" and 300 <= image.width <= 3000 and 300 <= image.height <= 3000
    record = json.loads((folder / "record.json").read_text())
    analysis = record["analysis"]
    assert -2.0 <= analysis["a_distance"] <= 2.0
    assert analysis["a_distance"] == pytest.approx(2 * (1 - 2 * analysis["a_distance_error"]))
    assert 0.0 <= analysis["ece"] <= 1.0 and analysis["ece_bins"] == 15
    assert analysis["source_split"] == "source_val" and analysis["step"] == 40 == record["final"]["step"]
    # the rebuilt network predicts the target test split as the run's own last evaluation did
    assert analysis["target_test_acc"] == pytest.approx(record["final"]["target_test_acc"], abs=1e-6)
    assert analysis["target_test_per_class"] == pytest.approx(record["final"]["target_test_per_class"], abs=1e-5)
    per_class = analysis["target_test_per_class"]
    assert len(per_class) == 2 and all(0.0 <= a <= 1.0 for a in per_class)
    assert analysis["target_test_mean_per_class"] == pytest.approx(sum(per_class) / 2)
    details = json.loads((folder / ANALYSIS_DIR / "analysis.json").read_text())
    assert sum(map(sum, details["confusion"])) == analysis["samples"]["target_test"]
    assert sum(details["reliability"]["counts"]) == analysis["samples"]["target_test"]
    m = analysis["samples"]["per_domain"]
    assert m == min(analysis["samples"]["source"], analysis["samples"]["target_test"], 1000)
    assert record["status"] == "done" and record["history"]  # the rest of the record is kept


def test_source_train_split_and_bins(trained):
    out, folder = trained
    assert main(["analyze", str(out), "--source-split", "train", "--bins", "10", "--per-domain", "50"]) == 0
    analysis = json.loads((folder / "record.json").read_text())["analysis"]
    assert analysis["source_split"] == "source_train" and analysis["ece_bins"] == 10 and analysis["samples"]["per_domain"] == 50
    assert not math.isnan(analysis["ece"])


def test_bad_folders_are_one_sentence_each_and_the_rest_still_runs(trained, tmp_path, capsys):
    out, folder = trained
    (folder / ANALYSIS_DIR / "reliability.png").unlink()
    empty = tmp_path / "empty"
    empty.mkdir()
    fake_record(tmp_path, "failed1", "dann", "moons", "moons_rot35", 0, None, status="failed")
    assert main(["analyze", str(empty), str(tmp_path / "missing"), str(tmp_path / "runs" / "failed1"), str(folder)]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err == [
        f"da-bench: error: {empty} holds no record.json (nor runs/*/record.json); pass a run folder or a sweep's --out folder.",
        f"da-bench: error: {tmp_path / 'missing'} is not a folder; pass a run folder (OUT/runs/<run id>) or a sweep's --out folder.",
        "da-bench: error: Run failed1 failed (boom); fix the cause and rerun it (da-bench sweep --retry-failed) before analysing it.",
    ]
    assert (folder / ANALYSIS_DIR / "reliability.png").exists()  # the good run after the bad ones was analysed


def test_unfinished_runs_in_a_folder_of_runs_are_skipped(tmp_path, capsys):
    fake_record(tmp_path, "running1", "dann", "moons", "moons_rot35", 0, None, status="running")
    fake_record(tmp_path, "classic1", "tca", "moons", "moons_rot35", 0, 0.5)
    assert main(["analyze", str(tmp_path)]) == 0
    err = capsys.readouterr().err
    assert "skipped: Run classic1 is a classic feature-level method ('tca')" in err
    assert "skipped: Run running1 is not finished (status 'running')" in err


def test_run_folders(tmp_path):
    for name in ("b", "a"):
        fake_record(tmp_path, name, "dann", "moons", "moons_rot35", 0, 0.5)
    runs = [tmp_path / "runs" / "a", tmp_path / "runs" / "b"]
    assert run_folders(tmp_path) == runs and run_folders(tmp_path / "runs") == runs
    assert run_folders(runs[1]) == [runs[1]]


@pytest.mark.parametrize("args", [["--per-domain", "2"], ["--bins", "0"]])
def test_bad_options(args, tmp_path, capsys):
    assert main(["analyze", str(tmp_path), *args]) == 2
    assert "pass larger values" in capsys.readouterr().err


def test_too_few_source_validation_samples_names_the_fix(tmp_path, capsys):
    assert main(["run", *TOY, "val_fraction=0.01", "--out", str(tmp_path)]) == 0  # 3 source validation samples
    (folder,) = (tmp_path / "runs").iterdir()
    assert main(["analyze", str(folder)]) == 1
    assert "has 3 source_val and" in capsys.readouterr().err
    assert main(["analyze", str(folder), "--source-split", "train"]) == 0


def test_an_unexpected_failure_is_one_line_and_the_next_run_goes_on(trained, tmp_path, monkeypatch, capsys):
    import da_bench.analysis.run as analysis_run

    out, folder = trained
    real_rebuild = analysis_run.rebuild
    calls = []

    def flaky(record, checkpoint):
        calls.append(record["run_id"])
        if len(calls) == 1:
            raise RuntimeError("boom\nsecond line")
        return real_rebuild(record, checkpoint)

    monkeypatch.setattr(analysis_run, "rebuild", flaky)
    assert main(["analyze", str(folder), str(folder)]) == 1
    captured = capsys.readouterr()
    assert captured.err == f"da-bench: error: analysing {folder} raised RuntimeError (boom); report it with that run's record.json.\n"
    assert captured.out.startswith(f"analysed {folder}")
