"""scripts/loss_by_quarter.py on a hand-made run folder."""

import csv
import subprocess
import sys
from pathlib import Path

from helpers import fake_record


def test_quarter_means_of_a_logged_scalar(tmp_path):
    fake_record(tmp_path, "r1", "dann", "mnist", "usps", 0, 0.7)
    log = tmp_path / "runs" / "r1" / "logs" / "metrics.csv"
    log.parent.mkdir(parents=True)
    with open(log, "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["step", "train/dann", "eval/target_test_acc"])
        for step, value in enumerate([0.1, 0.3, 0.5, 0.5, 0.6, 0.6, 0.7, 0.7]):
            writer.writerow([step, value, ""])
        writer.writerow([8, "", 0.7])  # evaluation rows carry no training scalar
    script = Path(__file__).resolve().parents[1] / "scripts" / "loss_by_quarter.py"
    result = subprocess.run([sys.executable, str(script), str(tmp_path)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "| MNIST->USPS | ? | 0 | 0.20 | 0.50 | 0.60 | 0.70 |" in result.stdout
