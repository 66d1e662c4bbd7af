#!/usr/bin/env bash
# The web build, end to end: build dist/ with the documented command, serve it on
# localhost, and play it in headless Chromium (Debian's package, driven by
# playwright-core from npm): first frame, two choices by keyboard, reload, Continue,
# and the game is where it was. Screenshots go to $EPISTLE_WEB_E2E_OUT (or a
# temporary folder). Exits non-zero otherwise.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd)
OUT=${EPISTLE_WEB_E2E_OUT:-$(mktemp -d /tmp/epistle-web-e2e.XXXXXX)}
# The folder may not exist yet: the server's log goes there before the test runs.
mkdir -p "$OUT"
DIST=${EPISTLE_WEB_DIST:-$ROOT/dist}
say() { printf 'web-e2e: %s\n' "$*"; }

need=()
command -v chromium >/dev/null || need+=(chromium)
command -v node >/dev/null || need+=(nodejs npm)
command -v python3 >/dev/null || need+=(python3)
if [ ${#need[@]} -gt 0 ]; then
    say "installing ${need[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

bash web/build.sh "$DIST"

say "installing playwright-core (no browser download)"
(cd web/e2e && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --silent)

# A free port on loopback, then the documented server on it.
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
bash web/serve.sh "$DIST" "$PORT" >"$OUT/server.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 1 50); do
    python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$PORT/')" 2>/dev/null && break
    sleep 0.1
done

say "playing http://127.0.0.1:$PORT/ in headless Chromium; screenshots in $OUT"
node web/e2e/e2e.mjs "http://127.0.0.1:$PORT/" "$OUT"
