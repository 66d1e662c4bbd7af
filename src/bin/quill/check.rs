//! `quill check`: every diagnostic, rendered for people or as JSON.

use crate::{Format, render};
use epistle::narrative::{LocatedDiagnostic, load_dir};
use serde::Serialize;
use std::path::Path;
use std::process::ExitCode;

#[derive(Serialize)]
struct Report<'a> {
    story: Option<&'a str>,
    errors: usize,
    warnings: usize,
    diagnostics: Vec<LocatedDiagnostic>,
}

/// Runs the check; exit 0 when clean (warnings allowed unless denied), 1 otherwise.
pub fn run(dir: &Path, format: Format, deny_warnings: bool) -> ExitCode {
    let loaded = load_dir(dir);
    let (errors, warnings) = (loaded.error_count(), loaded.warning_count());
    match format {
        Format::Json => {
            let report = Report {
                story: loaded.story.as_ref().map(|s| s.id.as_str()),
                errors,
                warnings,
                diagnostics: loaded.diagnostics.iter().map(|d| d.locate(&loaded.sources)).collect(),
            };
            match serde_json::to_string_pretty(&report) {
                Ok(s) => say!("{s}"),
                Err(e) => eprintln!("error: cannot write JSON: {e}"),
            }
        }
        Format::Text => {
            render::emit_all(&loaded);
            let name = loaded.story.as_ref().map_or_else(|| dir.display().to_string(), |s| format!("`{}`", s.id));
            let size =
                loaded.story.as_ref().map(|s| format!(" ({} nodes in {} files)", s.nodes.len(), s.chapters.len())).unwrap_or_default();
            let verdict = if errors == 0 { "ok" } else { "failed" };
            eprintln!("{name}: {verdict}: {errors} error(s), {warnings} warning(s){size}");
        }
    }
    if errors > 0 || (deny_warnings && warnings > 0) { ExitCode::FAILURE } else { ExitCode::SUCCESS }
}
