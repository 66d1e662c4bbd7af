//! House rules, checked: the narrative core never names Bevy or egui, and every source
//! file opens with a `//!` line saying what it holds.

use crate::support::root;
use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else { return };
    for e in rd.filter_map(Result::ok) {
        let p = e.path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

#[test]
fn the_narrative_core_never_names_bevy_or_egui() {
    let mut files = vec![root().join("src/narrative.rs")];
    rust_files(&root().join("src/narrative"), &mut files);
    assert!(files.len() > 5);
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap_or_default();
        for (n, line) in text.lines().enumerate() {
            let words: Vec<&str> = line.split(|c: char| !c.is_alphanumeric() && c != '_').collect();
            assert!(
                !words.iter().any(|w| w.eq_ignore_ascii_case("bevy") || w.eq_ignore_ascii_case("egui")),
                "{}:{}: the core must stay engine-free: {line}",
                f.display(),
                n + 1
            );
        }
    }
}

#[test]
fn the_engine_plugin_knows_nothing_of_its_front_end() {
    // Layers point down: core <- plugin <- ui <- bin. The engine never names the egui
    // front end (doc examples aside, which show a game composing both).
    let mut files = vec![root().join("src/plugin.rs")];
    rust_files(&root().join("src/plugin"), &mut files);
    assert!(files.len() > 5);
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap_or_default();
        for (n, line) in text.lines().enumerate() {
            let code = line.trim_start();
            if code.starts_with("//") {
                continue;
            }
            // Nor does it drive screens: a front end follows its notices.
            assert!(
                !(code.contains("crate::ui")
                    || code.contains("bevy_egui")
                    || code.contains("egui::")
                    || code.contains("NextState")
                    || code.contains("FileDragAndDrop")),
                "{}:{}: the engine must not depend on its front end: {line}",
                f.display(),
                n + 1
            );
        }
    }
}

#[test]
fn the_narrative_core_has_no_wall_clock() {
    // Determinism, and `Instant::now()` panics on wasm32: time is the caller's.
    let mut files = vec![root().join("src/narrative.rs")];
    rust_files(&root().join("src/narrative"), &mut files);
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap_or_default();
        for (n, line) in text.lines().enumerate() {
            assert!(
                !(line.contains("Instant") || line.contains("SystemTime")),
                "{}:{}: the core must not read the clock: {line}",
                f.display(),
                n + 1
            );
        }
    }
}

#[test]
fn every_source_file_says_what_it_holds() {
    let mut files = Vec::new();
    rust_files(&root().join("src"), &mut files);
    rust_files(&root().join("tests"), &mut files);
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap_or_default();
        assert!(text.starts_with("//!"), "{} must open with a `//!` line", f.display());
    }
}
