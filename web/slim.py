#!/usr/bin/env python3
"""Patches for a lighter web build (used by web/build.sh; the desktop build is untouched).

Every Bevy crate that depends on bevy_reflect with its default features turns on
`auto_register_inventory`: then every type with `#[derive(Reflect)]` in the whole
engine registers itself, serde glue included, whether the game uses reflection or not.
A 2D egui game does not: the registrations are about a fifth of the wasm. bevy_egui
also forces `bevy_utils/debug`, which keeps every system's type name as a string.

This copies each such crate (as Cargo resolved it for wasm32) into OUT/<name>, with
only its manifest changed (`default-features = false` on bevy_reflect, its features
otherwise kept; no `debug` on bevy_utils), and writes OUT/patch.toml, a
`[patch.crates-io]` table for `cargo build --config OUT/patch.toml`.

    python3 web/slim.py OUT
"""
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

# bevy_reflect's default features, less automatic registration.
KEEP = {"std", "smallvec", "indexmap", "debug"}


def section(text, header):
    """The (start, end) of a `[header]` table in a Cargo.toml, or None."""
    start = text.find(f"[{header}]\n")
    if start < 0:
        return None
    end = text.find("\n[", start + len(header) + 2)
    return start, (len(text) if end < 0 else end + 1)


def patch_manifest(text):
    span = section(text, "dependencies.bevy_reflect")
    if span:
        block = text[span[0]:span[1]]
        version = re.search(r'version = "([^"]+)"', block).group(1)
        features = set(re.findall(r'"([^"]+)"', (re.search(r"features = \[(.*?)\]", block, re.S) or re.match("()", "")).group(1)))
        lines = [
            "[dependencies.bevy_reflect]",
            f'version = "{version}"',
            "features = [" + ", ".join(f'"{f}"' for f in sorted(features | KEEP)) + "]",
            "default-features = false",
            "",
        ]
        text = text[: span[0]] + "\n".join(lines) + text[span[1]:]
    span = section(text, "dependencies.bevy_utils")
    if span:
        block = text[span[0]:span[1]]
        block = re.sub(r'features = \[\s*"debug",?\s*\]\n', "", block)
        text = text[: span[0]] + block + text[span[1]:]
    return text


def main():
    out = Path(sys.argv[1]).resolve()
    meta = json.loads(
        subprocess.check_output(
            ["cargo", "metadata", "--format-version", "1", "--filter-platform", "wasm32-unknown-unknown"]
        )
    )
    # The packages the web build compiles (not every one the lock file knows).
    built = set(
        subprocess.check_output(
            ["cargo", "tree", "--target", "wasm32-unknown-unknown", "-e", "normal", "--prefix", "none", "-f", "{p}"],
            text=True,
        ).split()
    )
    targets = []
    for p in meta["packages"]:
        if p["name"] not in built or p["source"] is None:
            continue
        deps = p["dependencies"]
        reflect = any(d["name"] == "bevy_reflect" and d["uses_default_features"] and d["kind"] is None for d in deps)
        debug = any(d["name"] == "bevy_utils" and "debug" in d["features"] and d["kind"] is None for d in deps)
        if reflect or debug:
            targets.append(p)
    out.mkdir(parents=True, exist_ok=True)
    table = ["[patch.crates-io]"]
    for p in sorted(targets, key=lambda p: p["name"]):
        src = Path(p["manifest_path"]).parent
        dst = out / p["name"]
        manifest = patch_manifest((src / "Cargo.toml").read_text())
        # Copy once per version; rewrite the manifest only when it differs, so cargo
        # does not rebuild what has not changed.
        if not (dst / ".version").is_file() or (dst / ".version").read_text() != p["version"]:
            shutil.rmtree(dst, ignore_errors=True)
            shutil.copytree(src, dst)
            (dst / ".version").write_text(p["version"])
        if (dst / "Cargo.toml").read_text() != manifest:
            (dst / "Cargo.toml").write_text(manifest)
        table.append(f'{p["name"]} = {{ path = "{dst}" }}')
    (out / "patch.toml").write_text("\n".join(table) + "\n")
    print(out / "patch.toml")


if __name__ == "__main__":
    main()
