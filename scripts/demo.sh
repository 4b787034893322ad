#!/usr/bin/env bash
# Set up, then evaluate the tiny Eagle model on every task's bundled sample data (CPU) and print
# the paper-style table beside the published Eagle-X5-7B row.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup_env.sh
export PATH="$PWD/.venv/bin:$PATH"
eagle-eval run --model eagle-tiny --tasks all --data-root data/hub --output-dir runs/demo --device cpu
eagle-eval table runs/demo --reference eagle-x5-7b --format markdown
