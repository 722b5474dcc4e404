"""The prepared GPU check runs on the CPU for what can run there (32 and bf16-mixed, channels_last)."""

import json
import subprocess
import sys
from pathlib import Path


def test_gpu_check_quick_on_cpu(tmp_path):
    script = Path(__file__).resolve().parents[1] / "scripts" / "gpu_check.py"
    result = subprocess.run([sys.executable, str(script), "--device", "cpu", "--quick", "--out", str(tmp_path)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]
    rows = json.loads((tmp_path / "gpu_check.json").read_text())["results"]
    assert {(r["network"], r["precision"], r["channels_last"]) for r in rows} >= {
        ("dann_digits", "32", False),
        ("dann_digits", "bf16-mixed", True),
        ("resnet50", "bf16-mixed", False),
    }
    assert all(r["images_per_s"] > 0 and r["final_loss"] == r["final_loss"] for r in rows)
    assert (tmp_path / "gpu_check.md").read_text().count("| resnet50 |") == 3
