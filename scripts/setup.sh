#!/usr/bin/env bash
# Set up everything the product needs on a fresh machine: virtual environment, Python
# dependencies (pinned by constraints.txt), and the NHS.UK front-end assets.
set -euo pipefail
cd "$(dirname "$0")/.."

# Graphviz draws the pathway page (Debian's package; the page shows the pathway as text without it).
if ! command -v dot >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ]; then
        (apt-get update -qq && apt-get install -y -qq graphviz >/dev/null) || true
    else
        (sudo apt-get update -qq && sudo apt-get install -y -qq graphviz >/dev/null) || true
    fi
fi

PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
    "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
.venv/bin/python -m pip install --quiet --disable-pip-version-check \
    -c constraints.txt -e '.[dev]'
# Bytecode once, so each start (and each Prefect subprocess) does not pay for it again.
.venv/bin/python -m compileall -q care api flows tasks carejourney >/dev/null 2>&1 || true
if [ -f scripts/build_assets.sh ]; then
    bash scripts/build_assets.sh
fi
