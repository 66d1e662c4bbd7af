#!/usr/bin/env bash
# Serves the web build (dist/, or the folder given) on http://localhost:8080/
#
#   bash web/serve.sh [DIR] [PORT]
#
# Only on this machine (127.0.0.1). web/serve.py sends what a real host should:
# `.wasm` as application/wasm, the precompressed `.br`/`.gz` twins build.sh writes,
# and revalidation on reload (see the README's "Hosting the web build").
set -euo pipefail
cd "$(dirname "$0")/.."
DIR=${1:-dist}
PORT=${2:-${PORT:-8080}}
[ -f "$DIR/index.html" ] || { echo "serve: no build in $DIR/ — run: bash web/build.sh" >&2; exit 1; }
echo "serve: http://localhost:$PORT/ (Ctrl+C stops)"
exec python3 web/serve.py "$DIR" "$PORT"
