"""scripts/accuracy_by_step.py on hand-made run records."""

import subprocess
import sys
from pathlib import Path

from helpers import fake_record

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "accuracy_by_step.py"


def history(accs):
    return [{"step": 500 * (i + 1), "source_val_acc": 0.9, "target_test_acc": a} for i, a in enumerate(accs)]


def run(*args):
    return subprocess.run([sys.executable, str(SCRIPT), *map(str, args)], capture_output=True, text=True)


def test_mean_and_std_over_seeds_per_step(tmp_path):
    fake_record(tmp_path, "a", "dann", "mnist", "usps", 0, None, history([0.5, 0.7]))
    fake_record(tmp_path, "b", "dann", "mnist", "usps", 1, None, history([0.6, 0.9]))
    fake_record(tmp_path, "c", "dann", "mnist", "usps", 2, None, history([0.2]), status="failed")  # not counted
    result = run(tmp_path)
    assert result.returncode == 0, result.stderr
    # step 500: 50 and 60 -> 55.0, std 7.07; step 1000: 70 and 90 -> 80.0, std 14.14
    assert "| DANN | MNIST->USPS | 2 | 55.0 (7.1) | 80.0 (14.1) |" in result.stdout
    assert "| method | pair | n | 500 | 1000 |" in result.stdout


def test_every_keeps_multiples_and_the_last_step(tmp_path):
    fake_record(tmp_path, "a", "source_only", "mnist", "usps", 0, None, history([0.1, 0.2, 0.3]))
    result = run(tmp_path, "--every", 1000)
    assert "| 1000 | 1500 |" in result.stdout and "| 500 |" not in result.stdout
    assert "| 20.0 | 30.0 |" in result.stdout  # one seed: no spread


def test_no_records_is_one_sentence(tmp_path):
    result = run(tmp_path)
    assert result.returncode != 0 and "No finished run records" in result.stderr and "Traceback" not in result.stderr


def test_unfinished_runs_come_from_their_csv_logs_named_by_the_manifest(tmp_path):
    import json

    fake_record(tmp_path, "done1", "dann", "mnist", "usps", 0, None, history([0.5]))
    (tmp_path / "sweeps").mkdir()
    runs = [{"run_id": "done1", "method": "dann", "source": "mnist", "target": "usps", "seed": 0}]
    runs.append({"run_id": "cut1", "method": "cdan", "source": "usps", "target": "mnist", "seed": 0})
    (tmp_path / "sweeps" / "s.json").write_text(json.dumps({"name": "s", "runs": runs}))
    log = tmp_path / "runs" / "cut1" / "logs" / "metrics.csv"
    log.parent.mkdir(parents=True)
    # training rows have no eval value; the CSV's step 499 is the evaluation after 500 steps
    log.write_text("epoch,eval/target_test_acc,step,train/loss\n0,,49,0.9\n0,0.25,499,\n1,,549,0.5\n1,0.75,999,\n")
    plain = run(tmp_path)
    assert "cdan" not in plain.stdout.lower()
    result = run(tmp_path, "--unfinished")
    assert result.returncode == 0, result.stderr
    assert "| CDAN (unfinished) | USPS->MNIST | 1 | 25.0 | 75.0 |" in result.stdout
    assert "| DANN | MNIST->USPS | 1 | 50.0 |" in result.stdout and "DANN (unfinished)" not in result.stdout


def test_pair_keeps_only_that_pairs_rows_and_steps(tmp_path):
    fake_record(tmp_path, "a", "dann", "mnist", "usps", 0, None, history([0.5]))
    fake_record(tmp_path, "b", "dann", "mnist", "mnist_m", 0, None, history([0.1, 0.2, 0.3]))
    result = run(tmp_path, "--pair", "MNIST->USPS")
    assert result.returncode == 0, result.stderr
    assert "| method | pair | n | 500 |\n" in result.stdout and "MNIST-M" not in result.stdout
