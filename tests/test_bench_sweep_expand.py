"""scripts/bench_sweep_expand.py end to end on the quickstart sweep (timings are not asserted)."""

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_reports_the_run_count_and_a_median_per_file():
    script = ROOT / "scripts" / "bench_sweep_expand.py"
    result = subprocess.run([sys.executable, str(script), "experiments/quickstart.yaml", "--repeats", "2"], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stderr[-2000:]
    assert re.fullmatch(r"experiments/quickstart\.yaml: 12 runs, median [0-9.]+ ms over 2 repeats\n", result.stdout), result.stdout
