//! `quill test`: runs the regression tests in a story's `tests/` folder.

use crate::render;
use epistle::narrative::story_test::{self, StoryTest};
use epistle::narrative::{SourceFile, Sources, Story};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// The test files of a story: `tests/*.ron`, sorted.
pub fn test_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir.join("tests"))
        .map(|rd| rd.filter_map(Result::ok).map(|e| e.path()).filter(|p| p.extension().is_some_and(|x| x == "ron")).collect())
        .unwrap_or_default();
    files.sort();
    files
}

/// Loads every test of a story; problems are rendered and counted as failures.
pub fn load_tests(story: &Story, dir: &Path) -> (Vec<(PathBuf, StoryTest)>, usize) {
    let mut out = Vec::new();
    let mut broken = 0;
    for path in test_files(dir) {
        // Capped, regular files only: a test that is a FIFO or a link to a device is
        // reported, not read forever.
        let rel = format!("tests/{}", path.file_name().map(|n| n.to_string_lossy()).unwrap_or_default());
        let text = match epistle::narrative::fsio::read_inside(dir, &rel, epistle::narrative::ron_tree::MAX_FILE_BYTES) {
            Ok(t) => t,
            Err(e) => {
                eprintln!("error: cannot read {}: {e}", path.display());
                broken += 1;
                continue;
            }
        };
        let mut sources = Sources::new();
        let (tests, diags) = story_test::parse(story, SourceFile::new(path.display().to_string(), text), &mut sources);
        if !diags.is_empty() {
            render::emit(&sources, &diags);
            broken += 1;
            continue;
        }
        out.extend(tests.into_iter().map(|t| (path.clone(), t)));
    }
    (out, broken)
}

/// Runs the tests; exit 1 if any fails.
pub fn run(dir: &Path, verbose: bool) -> ExitCode {
    let Some((_, story)) = render::load_playable(dir) else {
        return ExitCode::FAILURE;
    };
    let (tests, broken) = load_tests(&story, dir);
    if tests.is_empty() && broken == 0 {
        say!(
            "no tests in {}/tests (record one with `quill play {} --record {}/tests/NAME.ron`)",
            dir.display(),
            dir.display(),
            dir.display()
        );
    }
    let (mut passed, mut failed) = (0, broken);
    for (path, t) in &tests {
        let o = story_test::run(&story, t);
        let file = path.file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_default();
        if o.passed() {
            passed += 1;
            say!("  ✓ {} ({file}: {} choices → {})", o.name, o.steps, o.ending.as_deref().unwrap_or("no ending"));
        } else {
            failed += 1;
            say!("  ✗ {} ({file})", o.name);
            for f in &o.failures {
                say!("      {f}");
            }
            say!("      reproduce: quill play {} --seed {}", dir.display(), t.seed);
            if verbose {
                say!("{}", o.transcript);
            }
        }
    }
    say!("{passed} passed, {failed} failed");
    if failed > 0 { ExitCode::FAILURE } else { ExitCode::SUCCESS }
}
