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
# The report's browser tests drive Debian's chromium through its chromedriver; nothing downloads a browser.
if [[ "${1:-}" == *test* && ! -x /usr/bin/chromium ]]; then
    if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null
    else
        echo "setup_env.sh: the browser tests need chromium and chromium-driver: sudo apt-get install -y chromium chromium-driver" >&2
    fi
fi
