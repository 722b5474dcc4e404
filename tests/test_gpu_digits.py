"""scripts/gpu_digits.sh, the lease script for the long digits runs, in its short CPU version on the shared data."""

import os
import subprocess
import tarfile
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "gpu_digits.sh"
SHORT = "steps=2 eval_every=2 validator_samples=50 --where seed=0"  # one evaluation, at the end, of seed 0: records and manifests are what is checked


def lease(shared_root, tmp_path, *lanes, seconds="300", archive="records.tgz"):
    env = {**os.environ, "RESULTS": str(tmp_path / "results"), "SCRATCH": str(tmp_path / "scratch"), "GPU_DIGITS_OVERRIDES": SHORT}
    env["GPU_DIGITS_SECONDS"] = seconds
    (tmp_path / "results").mkdir(exist_ok=True)
    result = subprocess.run(["bash", str(SCRIPT), str(shared_root), str(tmp_path / archive), *lanes], env=env, capture_output=True, text=True)
    with tarfile.open(tmp_path / archive) as tar:
        return result, tar.getnames()


def test_longso_lane_brings_back_every_record_and_manifest_and_not_a_rebuilt_record(shared_root, tmp_path):
    result, names = lease(shared_root, tmp_path, "longso")
    assert result.returncode == 0, result.stderr + result.stdout
    records = [n for n in names if n.endswith("record.json")]
    assert len(records) == 2 and all(n.startswith("./digits_full_long_runs/runs/") for n in records)
    assert {"./digits_full_long_runs/sweeps/digits_full_usps_long.json", "./digits_full_long_runs/sweeps/digits_full_usps_mnist_long.json"} <= set(names)
    assert "archived 2 records" in result.stdout
    assert "usps ready" in result.stdout and "mnist_m ready" not in result.stdout  # MNIST-M is prepared for its lanes only
    # A second call on a warm machine: the re-sent working tree has lost the first call's records but not their
    # checkpoints, so the sweep rebuilds each record from its final checkpoint; those must not replace the originals.
    for record in (tmp_path / "results").rglob("record.json"):
        record.unlink()
    again, names = lease(shared_root, tmp_path, "longso", archive="again.tgz")
    assert again.returncode == 0, again.stderr + again.stdout
    assert len(list((tmp_path / "results").rglob("record.json"))) == 2  # rebuilt on the machine ...
    assert not [n for n in names if n.endswith(("record.json", "metrics.csv"))]  # ... and not brought back
    assert "left out 2 records rebuilt from final checkpoints: " in again.stderr and "archived 0 records" in again.stdout


def test_past_the_deadline_nothing_starts_and_the_archive_is_still_written(shared_root, tmp_path):
    result, names = lease(shared_root, tmp_path, "usps+long", "mnistm0", "zoo+tllib", seconds="0")
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("no time left") == 9 and not [n for n in names if n.endswith("record.json")]
    assert "unknown phase" not in result.stderr and "mnist_m ready" in result.stdout  # the mnistm0 lane's domain
    assert "archived 0 records" in result.stdout
