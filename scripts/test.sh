#!/usr/bin/env bash
# The README's test command: set-up (virtual env + pip install) then the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup_env.sh test
# lint and format (settings in pyproject.toml: line length 160)
.venv/bin/ruff check .
.venv/bin/ruff format --check .
export DA_BENCH_TEST_CACHE="${DA_BENCH_TEST_CACHE:-$(mktemp -d)}"
# one test worker per core (pytest-xdist; DA_BENCH_TEST_WORKERS=0 runs the tests in this process), each worker and
# the processes it starts with its share of the threads (tests/conftest.py)
workers="${DA_BENCH_TEST_WORKERS:-$(nproc)}"
exec .venv/bin/python -m pytest -q -rs -p no:cacheprovider -n "$workers" --dist worksteal "$@"
