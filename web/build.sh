#!/usr/bin/env bash
# Builds the web version of the game into dist/ (or the folder given):
#
#   bash web/build.sh [OUT]
#
#   OUT/index.html          the page (loading indicator, WebGL2 check)
#   OUT/epistle.js          wasm-bindgen's JS glue
#   OUT/epistle_bg.wasm     the game
#   OUT/stories/<name>/     every shipped story: its manifest and the files it lists
#
# Installs what it needs when missing, from source with cargo (no prebuilt downloads):
# the wasm32 target, wasm-bindgen-cli at exactly the version in Cargo.lock, and
# wasm-opt (binaryen 116; Debian's binaryen 108 breaks wasm-bindgen's output).
# EPISTLE_WEB_NO_OPT=1 skips wasm-opt (a quicker, larger build).
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd)
OUT=$(realpath -m "${1:-$ROOT/dist}")
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
say() { printf 'web-build: %s\n' "$*"; }

if command -v rustup >/dev/null && ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
    say "adding the wasm32-unknown-unknown target"
    rustup target add wasm32-unknown-unknown
fi

# wasm-bindgen's CLI must match the library exactly, or the glue does not fit.
WB=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
[ -n "$WB" ] || { say "Cargo.lock names no wasm-bindgen version"; exit 1; }
if [ "$(wasm-bindgen --version 2>/dev/null | cut -d' ' -f2)" != "$WB" ]; then
    say "installing wasm-bindgen-cli $WB (about 2 minutes, once)"
    cargo install --force wasm-bindgen-cli --version "$WB"
fi
OPT=${EPISTLE_WEB_NO_OPT:-0}
if [ "$OPT" != 1 ]; then
    have=$(wasm-opt --version 2>/dev/null | sed -n 's/.*version \([0-9]*\).*/\1/p' || true)
    if [ "${have:-0}" -lt 116 ]; then
        say "installing wasm-opt (binaryen 116; about 6 minutes, once)"
        cargo install --force wasm-opt --version 0.116.1
    fi
fi

# Lighter (see web/slim.py): Bevy's crates without automatic reflection registration,
# and bevy_egui without every system's name kept as a string; built with WebAssembly
# SIMD (every current browser has it; the page says so when one does not).
command -v python3 >/dev/null || { say "python3 is needed (apt-get install python3)"; exit 1; }
say "preparing the slimmed Bevy crates"
PATCH=$(python3 web/slim.py "$TARGET/web-slim")
# Patching rewrites Cargo.lock's entries for those crates: keep the real one.
cp Cargo.lock "$TARGET/web-slim/Cargo.lock.kept"
trap 'cp "$TARGET/web-slim/Cargo.lock.kept" "$ROOT/Cargo.lock"' EXIT
say "building the game for wasm32 (profile web)"
CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS="-Ctarget-feature=+simd128" \
    cargo build --config "$PATCH" --profile web --target wasm32-unknown-unknown --bin epistle
cp "$TARGET/web-slim/Cargo.lock.kept" Cargo.lock
WASM="$TARGET/wasm32-unknown-unknown/web/epistle.wasm"

# Assemble beside the old build, then swap, so a failed build leaves dist/ as it was.
NEW="$OUT.new"
rm -rf "$NEW"
mkdir -p "$NEW"
wasm-bindgen --target web --no-typescript --out-dir "$NEW" --out-name epistle "$WASM"
if [ "$OPT" != 1 ]; then
    say "optimising for size with wasm-opt"
    wasm-opt -Oz --strip-debug --strip-producers "$NEW/epistle_bg.wasm" -o "$NEW/epistle_bg.opt.wasm"
    mv "$NEW/epistle_bg.opt.wasm" "$NEW/epistle_bg.wasm"
fi
# The page knows the game's size, for the loading bar's progress.
sed "s/__EPISTLE_WASM_BYTES__/$(stat -c %s "$NEW/epistle_bg.wasm")/" web/index.html > "$NEW/index.html"

# Stories go through `quill bundle`: checked, and only the files their manifests list.
say "bundling the stories"
cargo build --quiet --no-default-features --features cli --bin quill
for manifest in stories/*/story.ron; do
    dir=$(dirname "$manifest")
    "$TARGET/debug/quill" bundle "$dir" "$NEW/stories/$(basename "$dir")"
done

# Precompressed twins for hosts that serve them (web/serve.py does): gzip always,
# brotli when Debian's `brotli` is there (it is installed when missing).
if ! command -v brotli >/dev/null && command -v apt-get >/dev/null; then
    say "installing brotli"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends brotli >/dev/null 2>&1 || true
fi
find "$NEW" -type f \( -name '*.wasm' -o -name '*.js' -o -name '*.html' -o -name '*.ron' \) | while read -r f; do
    gzip -9 -k -n -f "$f"
    if command -v brotli >/dev/null; then brotli -q 11 -k -f "$f"; fi
done

rm -rf "$OUT"
mv "$NEW" "$OUT"
raw=$(stat -c %s "$OUT/epistle_bg.wasm")
gz=$(stat -c %s "$OUT/epistle_bg.wasm.gz")
say "built $OUT"
if [ -f "$OUT/epistle_bg.wasm.br" ]; then
    say "epistle_bg.wasm: $(( raw / 1024 )) KiB, $(( gz / 1024 )) KiB gzipped, $(( $(stat -c %s "$OUT/epistle_bg.wasm.br") / 1024 )) KiB brotli"
else
    say "epistle_bg.wasm: $(( raw / 1024 )) KiB, $(( gz / 1024 )) KiB gzipped"
fi
say "serve it with: bash web/serve.sh"
