//! Helpers shared by the test modules: paths, loading stories, running `quill`, and
//! expected-output files that `UPDATE_EXPECT=1` rewrites.

use epistle::narrative::{Story, load_dir};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Arc;

/// The package root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Loads a story folder (relative to the package root) that must have no errors.
pub fn story(rel: &str) -> Arc<Story> {
    let loaded = load_dir(&root().join(rel));
    let errors: Vec<String> = loaded.diagnostics.iter().map(|d| d.locate(&loaded.sources).one_line()).collect();
    match loaded.story {
        Some(s) => Arc::new(s),
        None => panic!("{rel} does not load:\n{}", errors.join("\n")),
    }
}

/// Runs the `quill` binary from the package root, with colour off.
pub fn quill(args: &[&str], stdin: Option<&str>) -> Output {
    use std::io::Write;
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_quill"));
    cmd.args(args).current_dir(root()).env("NO_COLOR", "1");
    cmd.stdin(std::process::Stdio::piped()).stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::piped());
    let mut child = cmd.spawn().unwrap_or_else(|e| panic!("cannot run quill: {e}"));
    if let Some(mut pipe) = child.stdin.take()
        && let Some(s) = stdin
    {
        pipe.write_all(s.as_bytes()).unwrap_or_else(|e| panic!("cannot write to quill: {e}"));
    }
    child.wait_with_output().unwrap_or_else(|e| panic!("quill failed: {e}"))
}

/// Compares `actual` with the file at `rel`; with `UPDATE_EXPECT=1`, rewrites it.
pub fn expect_file(rel: &Path, actual: &str) {
    let path = root().join(rel);
    if std::env::var_os("UPDATE_EXPECT").is_some() {
        std::fs::write(&path, actual).unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_default();
    if expected != actual {
        panic!(
            "{} differs from the actual output (rerun with UPDATE_EXPECT=1 to accept):\n--- expected\n{expected}\n--- actual\n{actual}",
            rel.display()
        );
    }
}
