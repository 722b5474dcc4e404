#!/usr/bin/env bash
# One prepared GPU check (issue 15; about 6-7 minutes on one H100, estimated, under the 470 s limit below): the digits
# DANN step eager and compiled, 8/4/1 digits runs packed on the GPU, ResNet-50 224 in bf16-mixed with channels_last,
# and the 63-run digits grid extrapolated from the measured throughput (scripts/gpu_check.py says what and in which
# order). Written under paper_results/gpu_check_issue15/ (or $1) row by row, so a timeout keeps what was measured.
# Uses the machine's python3 (with torch + lightning) and this checkout on PYTHONPATH; falls back to .venv when present.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=python3
[ -x .venv/bin/python ] && [ -z "${GPU_CHECK_SYSTEM_PYTHON:-}" ] && PY=.venv/bin/python
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || true
PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1 exec timeout -k 10 470 "$PY" scripts/gpu_check.py --out "${1:-paper_results/gpu_check_issue15}"
