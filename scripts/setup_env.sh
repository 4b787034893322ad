#!/usr/bin/env bash
# Create (or reuse) the project's virtual environment in .venv and install eagle-eval into it.
# Usage: scripts/setup_env.sh [EXTRAS]   e.g. scripts/setup_env.sh test
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv
extras=${1:+[$1]}
.venv/bin/python -m pip install --quiet --upgrade pip
# setuptools ends every editable install whose package-dir maps folders under other names (tasks/ ->
# eagle_eval.tasks) with an "Editable installation." notice: it installs an import hook and warns that a
# folder named like the package in the working directory would be imported first. No setting removes it
# (its strict mode prints its own, its compat mode cannot map tasks/), and from the repository root the
# folder it means is eagle_eval/ itself, the files the hook maps: that one message is filtered, no other.
PYTHONWARNINGS="${PYTHONWARNINGS:+$PYTHONWARNINGS,}ignore:Editable installation" \
    .venv/bin/python -m pip install --quiet -e ".${extras}"
# Debian packages outside Python that an extra needs (test: chromium and chromium-driver for the report's
# browser tests, Slurm with munge, slurmdbd and MariaDB for the tests on a real scheduler), each checked on
# its own and installed if missing, from the one list in scripts/system-packages.txt; nothing downloads a
# browser.
if [[ -n "${1:-}" ]]; then
    bash scripts/install_system_packages.sh "$1"
fi
