#!/usr/bin/env bash
# Serves the web build (dist/, or the folder given) on http://localhost:8080/
#
#   bash web/serve.sh [DIR] [PORT]
#
# Only on this machine (127.0.0.1). Any static file server works as well; this one
# is Python's, which sends `.wasm` with the type browsers need.
set -euo pipefail
cd "$(dirname "$0")/.."
DIR=${1:-dist}
PORT=${2:-${PORT:-8080}}
[ -f "$DIR/index.html" ] || { echo "serve: no build in $DIR/ — run: bash web/build.sh" >&2; exit 1; }
echo "serve: http://localhost:$PORT/ (Ctrl+C stops)"
exec python3 -m http.server "$PORT" --bind 127.0.0.1 --directory "$DIR"
