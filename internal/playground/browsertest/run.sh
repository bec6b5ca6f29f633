#!/usr/bin/env bash
# Browser test of the playground: builds botd, installs playwright-core from
# package-lock.json (no browser download) and drives Debian's chromium,
# headless, against `botd -playground` on a free loopback port:
# playground.test.mjs (the chat), then webapp.test.mjs (botd's web app in
# the simulated client). Screenshots of every step go to
# testoutput/playground/ at the repository root.
# Exits non-zero on any failure. CI installs chromium first:
#   apt-get install -y chromium
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../.." && pwd)"

chromium="${CHROMIUM:-$(command -v chromium || command -v chromium-browser || true)}"
if [ -z "$chromium" ] || [ ! -x "$chromium" ]; then
  echo "run.sh: chromium is not installed (apt-get install -y chromium, or set CHROMIUM=/path/to/chromium)" >&2
  exit 1
fi
command -v node >/dev/null || { echo "run.sh: node is not installed" >&2; exit 1; }
command -v npm >/dev/null || { echo "run.sh: npm is not installed" >&2; exit 1; }

echo "--- npm ci (playwright-core; no browser download)"
(cd "$here" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error)

bin="$(mktemp -d)"
trap 'rm -rf "$bin"' EXIT
echo "--- go build ./cmd/botd"
(cd "$root" && go build -o "$bin/botd" ./cmd/botd)

echo "--- browser test with $("$chromium" --version 2>/dev/null | head -1)"
cd "$here"
BOTD_BIN="$bin/botd" CHROMIUM="$chromium" SCREENSHOTS="${SCREENSHOTS:-$root/testoutput/playground}" \
  node --test --test-concurrency=1 --test-reporter=spec playground.test.mjs webapp.test.mjs
