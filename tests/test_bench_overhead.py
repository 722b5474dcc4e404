"""scripts/bench_overhead.py end to end at a tiny size: four variants and their ratios (timings are not asserted)."""

import re
import subprocess
import sys
from pathlib import Path


def test_overhead_benchmark_reports_each_variant_and_both_ratios():
    script = Path(__file__).resolve().parents[1] / "scripts" / "bench_overhead.py"
    result = subprocess.run([sys.executable, str(script), "--steps", "24", "--repeats", "1"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]
    for variant in ("plain", "plain_deterministic", "lightning_minimal", "da_bench"):
        assert re.search(rf"^{variant}\s+median [0-9.]+ ms/step", result.stdout, re.M), result.stdout
    ratios = re.findall(r"^ratio da_bench / plain(?:_deterministic)? = ([0-9.]+)", result.stdout, re.M)
    assert len(ratios) == 2 and all(float(r) > 0 for r in ratios)
    lightning = r"^(?:of which Lightning: lightning_minimal / plain_deterministic|and da_bench over Lightning: da_bench / lightning_minimal)"
    split = re.findall(lightning + r" = ([0-9.]+)", result.stdout, re.M)
    assert len(split) == 2 and all(float(r) > 0 for r in split)
