#!/usr/bin/env bash
# End-to-end run of the real game binary: under Xvfb with Mesa's software Vulkan
# renderer, start on the bundled story, take a scripted path of choices, write
# screenshots of the title and play screens, and check that the window rendered and
# the path advanced. Exits non-zero otherwise.
#
# Builds with the dev profile (dependencies optimised, as the tests use), honouring
# CARGO_TARGET_DIR, so CI compiles Bevy once for tests and this run.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd)
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
PATH_OF_CHOICES=${EPISTLE_E2E_PATH:-1,2,1}
OUT=${EPISTLE_E2E_OUT:-$(mktemp -d /tmp/epistle-e2e.XXXXXX)}
mkdir -p "$OUT"
DATA=$(mktemp -d /tmp/epistle-e2e-data.XXXXXX)

say() { printf 'game-e2e: %s\n' "$*"; }

# What the run needs from the system, installed only when missing.
need=()
command -v Xvfb >/dev/null || need+=(xvfb)
command -v identify >/dev/null || need+=(imagemagick)
[ -e /usr/share/vulkan/icd.d/lvp_icd.x86_64.json ] || [ -n "$(ls /usr/share/vulkan/icd.d/lvp_icd.*.json 2>/dev/null)" ] || need+=(mesa-vulkan-drivers)
ldconfig -p | grep -q 'libvulkan.so.1' || need+=(libvulkan1)
ldconfig -p | grep -q 'libxkbcommon-x11.so.0' || need+=(libxkbcommon-x11-0)
ldconfig -p | grep -q 'libXcursor.so.1' || need+=(libxcursor1)
ldconfig -p | grep -q 'libXrandr.so.2' || need+=(libxrandr2)
ldconfig -p | grep -q 'libXi.so.6' || need+=(libxi6)
if [ ${#need[@]} -gt 0 ]; then
    say "installing ${need[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

# `cargo test` builds the game binary for the integration tests; CI reuses it rather
# than building again (the dev-dependencies' features differ, so a plain
# `cargo build` would recompile part of Bevy).
if [ "${EPISTLE_E2E_PREBUILT:-}" = 1 ] && [ -x "$TARGET/debug/epistle" ]; then
    say "using the game binary cargo test built"
else
    say "building the game (dev profile)"
    cargo build --bin epistle
fi

XVFB_PID=
cleanup() {
    if [ -n "$XVFB_PID" ]; then kill "$XVFB_PID" 2>/dev/null || true; fi
    rm -rf "$DATA"
}
trap cleanup EXIT

# Our own X server on a display number it picks itself: `-displayfd` writes the
# number once the server accepts connections, so neither a stale socket left by an
# earlier run nor a slow start can send the game to a display that is not there.
DISPLAY_FILE="$DATA/display"
Xvfb -displayfd 3 -screen 0 1280x800x24 -nolisten tcp 3>"$DISPLAY_FILE" >/dev/null 2>&1 &
XVFB_PID=$!
for _ in $(seq 1 100); do
    [ -s "$DISPLAY_FILE" ] && break
    kill -0 "$XVFB_PID" 2>/dev/null || { say "Xvfb did not start"; exit 1; }
    sleep 0.1
done
DISPLAY_NUM=$(head -n 1 "$DISPLAY_FILE")
[ -n "$DISPLAY_NUM" ] || { say "Xvfb gave no display number"; exit 1; }

say "playing path $PATH_OF_CHOICES; screenshots in $OUT"
LOG="$OUT/game.log"
: >"$LOG"
# The game prints `EPISTLE_SHOT <path>` when a screen is ready and waits for the file;
# the X server's own image is captured, exactly what a player would see.
DISPLAY=":$DISPLAY_NUM" WGPU_BACKEND=vulkan EPISTLE_DATA_DIR="$DATA" timeout 300 \
    "$TARGET/debug/epistle" "$ROOT/stories/dear-someone" --seed 1 \
    --autoplay "$PATH_OF_CHOICES" --screenshot-dir "$OUT" --exit-after --external-screenshots >"$LOG" 2>&1 &
GAME_PID=$!
done_shots=""
while kill -0 "$GAME_PID" 2>/dev/null; do
    while read -r shot; do
        case " $done_shots " in *" $shot "*) continue ;; esac
        sleep 0.5
        DISPLAY=":$DISPLAY_NUM" import -window root "$shot.part.png"
        mv "$shot.part.png" "$shot"
        done_shots="$done_shots $shot"
    done < <(sed -n 's/^EPISTLE_SHOT //p' "$LOG")
    sleep 0.2
done
set +e
wait "$GAME_PID"
code=$?
set -e
if [ "$code" -ne 0 ]; then
    say "the game exited with $code"
    tail -n 40 "$LOG"
    exit 1
fi

fail=0
# A window that never rendered leaves no screenshots, or flat ones.
steps=$(( $(tr -cd ',' <<<"$PATH_OF_CHOICES" | wc -c) + 1 ))
for shot in title.png play-0.png "play-$steps.png"; do
    f="$OUT/$shot"
    if [ ! -s "$f" ]; then
        say "missing screenshot $shot"
        fail=1
        continue
    fi
    colours=$(identify -format '%k' "$f")
    if [ "$colours" -lt 64 ]; then
        say "$shot looks blank ($colours colours)"
        fail=1
    else
        say "$shot: $colours colours"
    fi
done

# The path advanced: the status line reports one turn per choice, away from the start.
status=$(grep '^EPISTLE_STATUS ' "$LOG" | tail -n 1 | cut -d' ' -f2-)
if [ -z "$status" ]; then
    say "the game printed no status line"
    fail=1
else
    say "status: $status"
    turn=$(sed -n 's/.*"turn":\([0-9]*\).*/\1/p' <<<"$status")
    node=$(sed -n 's/.*"node":"\([^"]*\)".*/\1/p' <<<"$status")
    if [ "${turn:-0}" -ne "$steps" ] || [ -z "$node" ] || [ "$node" = "c1_start" ]; then
        say "the path did not advance: expected $steps turns, got ${turn:-none} at ${node:-nowhere}"
        fail=1
    fi
fi
# Progress was kept: the autosave is in the data directory.
[ -s "$DATA/dear_someone/autosave.ron" ] || { say "no autosave was written"; fail=1; }

if [ "$fail" -ne 0 ]; then
    tail -n 40 "$LOG"
    exit 1
fi
say "ok"
