#!/usr/bin/env bash
# Cuts the fonts the game embeds down to the characters its stories and screens use,
# from the full fonts in full/ (kept, so a translation can widen the ranges and run
# this again). Hinting is dropped: egui does not use it. Needs fontTools: `pip install fonttools`.
#
#   bash assets/fonts/subset.sh
#
# The ranges: Basic Latin, Latin-1, Latin Extended-A (most European names and
# languages), general punctuation (curly quotes, dashes, ellipsis, bullets), the euro
# and a few arrows. Add a script's range below (e.g. U+0370-03FF for Greek, U+0400-04FF
# for Cyrillic) and rerun for a translation; `quill check` does not know fonts, so
# check a translated story in the game.
set -euo pipefail
cd "$(dirname "$0")"
TEXT="U+0020-007E,U+00A0-00FF,U+0100-017F,U+2010-2027,U+2030-203A,U+20AC,U+2122,U+2190-2193,U+FFFD"
for f in NotoSerif-Regular NotoSerif-Italic Ubuntu-Light; do
    pyftsubset "full/$f.ttf" --unicodes="$TEXT" --layout-features='*' --no-hinting --output-file="$f.ttf"
done
# The monospace face shows diagnostics, whose snippets draw boxes.
pyftsubset full/Hack-Regular.ttf --unicodes="$TEXT,U+2500-257F" --layout-features='*' --no-hinting --output-file=Hack-Regular.ttf
ls -l ./*.ttf
