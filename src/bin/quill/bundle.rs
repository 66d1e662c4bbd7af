//! `quill bundle`: copies a story for publishing (the web build puts one beside the
//! page): the manifest and exactly the chapter files it lists, nothing else from the
//! folder (drafts, notes, tests stay behind). Refuses a story with errors, so a
//! broken story is never shipped.

use crate::render::load_playable;
use epistle::narrative::load::MANIFEST;
use epistle::narrative::manifest::listed_files;
use std::path::Path;
use std::process::ExitCode;

pub fn run(story: &Path, out: &Path) -> ExitCode {
    if load_playable(story).is_none() {
        return ExitCode::FAILURE;
    }
    match copy(story, out) {
        Ok(n) => {
            say!("bundled {} ({n} files) into {}", story.display(), out.display());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: cannot bundle {}: {e}", story.display());
            ExitCode::FAILURE
        }
    }
}

/// Copies the manifest and its listed files; returns how many files.
fn copy(story: &Path, out: &Path) -> std::io::Result<usize> {
    let manifest = std::fs::read_to_string(story.join(MANIFEST))?;
    let mut files = vec![MANIFEST.to_string()];
    files.extend(listed_files(&manifest));
    for name in &files {
        let to = out.join(name);
        if let Some(dir) = to.parent() {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::copy(story.join(name), &to).map_err(|e| std::io::Error::new(e.kind(), format!("{name}: {e}")))?;
    }
    Ok(files.len())
}
