#!/usr/bin/env bash
# Command 2: set up and run the whole test suite (embedded PostgreSQL unless
# TEST_DATABASE_URL names another server). Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
if [ ! -x /usr/bin/chromium ]; then
    # The browser tests drive Debian's Chromium (Playwright's own download is not reachable).
    if [ "$(id -u)" = 0 ]; then
        apt-get update -qq && apt-get install -y -qq chromium >/dev/null
    else
        sudo apt-get update -qq && sudo apt-get install -y -qq chromium >/dev/null
    fi
fi
# One worker per core (PYTEST_WORKERS=0 runs in one process). Plain load balancing: with
# --dist loadgroup, schemathesis' per-operation subtests silently do not run.
exec .venv/bin/python -m pytest -q -p no:cacheprovider -n "${PYTEST_WORKERS:-auto}" "$@"
