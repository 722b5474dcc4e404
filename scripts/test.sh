#!/usr/bin/env bash
# The README's test command: set-up (virtual env + pip install) then the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup_env.sh test
export DA_BENCH_TEST_CACHE="${DA_BENCH_TEST_CACHE:-$(mktemp -d)}"
exec .venv/bin/python -m pytest -q -rs -p no:cacheprovider "$@"
