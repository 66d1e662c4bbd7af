#!/usr/bin/env bash
# An editor end to end: Debian's Neovim, headless, with its built-in LSP client,
# against `quill lsp` on a copy of the tutorial (editors/nvim/e2e.lua), and the VS Code
# extension's grammar tests (editors/vscode, vscode-tmgrammar-test from npm).
#
#   bash .ci/editor-e2e.sh            (QUILL=path/to/quill to use a built binary)
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/epistle-target}
QUILL=${QUILL:-$CARGO_TARGET_DIR/debug/quill}
[ -x "$QUILL" ] || cargo build --bin quill --no-default-features --features cli
command -v nvim >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq neovim >/dev/null; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r stories/tutorial "$work/story"
QUILL="$QUILL" STORY="$work/story" OUT="$work/result.txt" timeout 120 \
    nvim --headless -u NONE -i NONE -c "luafile editors/nvim/e2e.lua" >/dev/null 2>&1 || true
cat "$work/result.txt" 2>/dev/null || echo "editor-e2e: Neovim wrote no result"
grep -q "^RESULT ok" "$work/result.txt"
echo "editor-e2e: Neovim ok"

if [ -d editors/vscode ]; then
    (cd editors/vscode && { [ -d node_modules/vscode-tmgrammar-test ] || npm install --no-audit --no-fund --silent >/dev/null; } \
        && npx --no-install vscode-tmgrammar-test -g syntaxes/epistle.tmLanguage.json 'tests/*.ron')
    echo "editor-e2e: grammar tests ok"
fi
