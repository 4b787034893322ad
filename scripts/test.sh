#!/usr/bin/env bash
# Set up with the test extra, then lint, check the architecture (import contracts, types, sizes) and run
# the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup_env.sh test
.venv/bin/ruff check .
.venv/bin/python scripts/check_architecture.py
# One worker per core, at most 4 (each imports torch, and many tests start processes of their own);
# worksteal: a worker out of tests takes queued ones from a busy one, so no long test ends the run alone.
.venv/bin/python -m pytest -n auto --maxprocesses 4 --dist worksteal
