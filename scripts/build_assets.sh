#!/usr/bin/env bash
# Front-end assets for the pages: NHS.UK frontend from npm (the version matching the
# nhsuk-frontend-jinja macros) and htmx, copied into api/static/vendor/ (built here, never committed).
# Idempotent: safe to run again; the vendor folder is rebuilt from the lock file each time.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

command -v npm >/dev/null || { echo "build_assets: npm is required (Node 18+)" >&2; exit 1; }

npm ci --no-audit --no-fund --loglevel=error

DIST="node_modules/nhsuk-frontend/dist/nhsuk"
OUT="api/static/vendor/nhsuk"
VERSION="$(node -p "require('./node_modules/nhsuk-frontend/package.json').version")"

rm -rf "$OUT"
mkdir -p "$OUT"
# The stylesheet points at /assets/...; we serve the assets under /static/vendor/nhsuk/assets.
sed 's#url(/assets/#url(/static/vendor/nhsuk/assets/#g' \
  "$DIST/nhsuk-frontend.min.css" > "$OUT/nhsuk-frontend.min.css"
cp "$DIST/nhsuk-frontend.min.js" "$OUT/nhsuk-frontend.min.js"
cp -R "$DIST/assets" "$OUT/assets"
echo "$VERSION" > "$OUT/VERSION"

# htmx lets the urgent queue, My work and the header's counts refresh themselves.
HTMX_OUT="api/static/vendor/htmx"
HTMX_VERSION="$(node -p "require('./node_modules/htmx.org/package.json').version")"
rm -rf "$HTMX_OUT"
mkdir -p "$HTMX_OUT"
cp node_modules/htmx.org/dist/htmx.min.js "$HTMX_OUT/htmx.min.js"
echo "$HTMX_VERSION" > "$HTMX_OUT/VERSION"

echo "build_assets: nhsuk-frontend $VERSION -> $OUT; htmx $HTMX_VERSION -> $HTMX_OUT"
