//! The peer-shaped stories, generated on first use (shared by the benchmarks).

use std::path::{Path, PathBuf};
use std::process::Command;

/// The story folder for `n` knots, generating it when it is not there yet.
pub fn story_dir(n: usize) -> Option<PathBuf> {
    let target = std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| PathBuf::from("target"));
    let out = target.join("peers");
    let dir = out.join(format!("story_{n}_s1.epistle"));
    if dir.join("story.ron").is_file() {
        return Some(dir);
    }
    let here = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/peers");
    let spec = out.join(format!("story_{n}_s1.spec.json"));
    let ok = Command::new("python3")
        .arg(here.join("gen_ink.py"))
        .args([&n.to_string(), "--seed", "1", "--out-dir"])
        .arg(&out)
        .status()
        .is_ok_and(|s| s.success())
        && Command::new("python3").arg(here.join("gen_epistle.py")).arg(&spec).status().is_ok_and(|s| s.success());
    if !ok {
        eprintln!("peers: could not generate the {n}-knot story (is python3 installed?); skipped");
        return None;
    }
    Some(dir)
}
