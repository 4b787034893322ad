#!/usr/bin/env bash
# Set up with the test extra, then lint and run the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup_env.sh test
.venv/bin/ruff check .
.venv/bin/python -m pytest
