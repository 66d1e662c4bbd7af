//! `quill bundle`: copies a story for publishing (the web build puts one beside the
//! page): the manifest and exactly the chapter files it lists, nothing else from the
//! folder (drafts, notes, tests stay behind). Refuses a story with errors, so a
//! broken story is never shipped.
//!
//! The copy never harms the source: an output that is, contains or lies inside the
//! story folder is refused before anything is written; every source file must be a
//! regular file inside the story (links followed); nothing is written through a link
//! in the output; and each file is written atomically.

use crate::render::load_playable;
use epistle::narrative::fsio;
use epistle::narrative::load::MANIFEST;
use epistle::narrative::manifest::listed_files;
use epistle::narrative::ron_tree::MAX_FILE_BYTES;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

pub fn run(story: &Path, out: &Path) -> ExitCode {
    // Refuse a harmful output before anything else (even before loading).
    if let Err(e) = check_output(story, out) {
        eprintln!("error: cannot bundle {} into {}: {e}", story.display(), out.display());
        return ExitCode::from(2);
    }
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

/// The real path of `p`, or of its nearest existing ancestor with the rest appended
/// (the output folder may not exist yet).
fn real_or_planned(p: &Path) -> std::io::Result<PathBuf> {
    let abs = if p.is_absolute() { p.to_path_buf() } else { std::env::current_dir()?.join(p) };
    let mut rest = Vec::new();
    let mut cur = abs.as_path();
    loop {
        match std::fs::canonicalize(cur) {
            Ok(real) => {
                let mut out = real;
                for part in rest.iter().rev() {
                    if *part == std::ffi::OsStr::new("..") {
                        out.pop();
                    } else if *part != std::ffi::OsStr::new(".") {
                        out.push(part);
                    }
                }
                return Ok(out);
            }
            Err(_) => match (cur.parent(), cur.file_name()) {
                (Some(parent), Some(name)) => {
                    rest.push(name.to_os_string());
                    cur = parent;
                }
                _ => return Ok(abs),
            },
        }
    }
}

/// Refuses an output folder that is, contains or lies inside the story folder.
fn check_output(story: &Path, out: &Path) -> Result<(), String> {
    let src = std::fs::canonicalize(story).map_err(|e| format!("cannot read the story folder: {e}"))?;
    let dst = real_or_planned(out).map_err(|e| e.to_string())?;
    if dst == src {
        return Err("the output is the story folder itself; bundling would overwrite the story".into());
    }
    if dst.starts_with(&src) {
        return Err("the output lies inside the story folder; choose a folder outside it".into());
    }
    if src.starts_with(&dst) {
        return Err("the output contains the story folder; choose a folder outside it".into());
    }
    if let Ok(meta) = std::fs::symlink_metadata(out)
        && meta.file_type().is_symlink()
    {
        return Err("the output is a symbolic link; name a real folder".into());
    }
    Ok(())
}

/// Copies the manifest and its listed files; returns how many files.
fn copy(story: &Path, out: &Path) -> std::io::Result<usize> {
    let invalid = |name: &str, e: fsio::ReadError| std::io::Error::new(std::io::ErrorKind::InvalidData, format!("{name}: {e}"));
    let manifest = fsio::read_inside(story, MANIFEST, MAX_FILE_BYTES).map_err(|e| invalid(MANIFEST, e))?;
    let mut files = vec![MANIFEST.to_string()];
    files.extend(listed_files(&manifest));
    // Read everything first: a source problem leaves the output untouched.
    let mut contents = Vec::with_capacity(files.len());
    for name in &files {
        let path = fsio::inside(story, name).map_err(|e| invalid(name, e))?;
        contents.push(fsio::read_capped(&path, MAX_FILE_BYTES).map_err(|e| invalid(name, e))?);
    }
    std::fs::create_dir_all(out)?;
    let real_out = std::fs::canonicalize(out)?;
    for (name, bytes) in files.iter().zip(&contents) {
        let to = out.join(name);
        if let Some(dir) = to.parent() {
            std::fs::create_dir_all(dir)?;
            // A folder of the output that is a link elsewhere would take the write.
            let real_dir = std::fs::canonicalize(dir)?;
            if !real_dir.starts_with(&real_out) {
                return Err(std::io::Error::other(format!("{name}: a folder in the output is a link that leaves it")));
            }
        }
        if std::fs::symlink_metadata(&to).is_ok_and(|m| m.file_type().is_symlink()) {
            return Err(std::io::Error::other(format!("{name}: the output already holds a symbolic link here; remove it first")));
        }
        fsio::write_atomic(&to, bytes).map_err(|e| std::io::Error::new(e.kind(), format!("{name}: {e}")))?;
    }
    Ok(files.len())
}
