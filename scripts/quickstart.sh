#!/usr/bin/env bash
# The README's main command: set-up, then the offline quickstart sweep, ending in a leaderboard
# printed and written under paper_results/quickstart/.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup_env.sh test
exec .venv/bin/da-bench sweep experiments/quickstart.yaml --launcher parallel --workers 2 --out runs/quickstart --table paper_results/quickstart "$@"
