#!/usr/bin/env bash
# Set up with the test extra, then lint and run the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup_env.sh test
.venv/bin/ruff check .
# One worker per core (at most 4: each worker imports torch, and many tests start their own processes).
.venv/bin/python -m pytest -n auto --maxprocesses 4
