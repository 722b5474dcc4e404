#!/usr/bin/env bash
# One prepared GPU check (under 8 minutes on one H100/H200): AMP throughput and final loss for the
# digits network and ResNet-50, written under paper_results/gpu_check/. Uses the machine's python3
# (with torch + lightning) and this checkout on PYTHONPATH; falls back to .venv when present.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=python3
[ -x .venv/bin/python ] && [ -z "${GPU_CHECK_SYSTEM_PYTHON:-}" ] && PY=.venv/bin/python
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || true
PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1 exec timeout 470 "$PY" scripts/gpu_check.py --out "${1:-paper_results/gpu_check}"
