//! Rendering diagnostics like rustc: a snippet of the file with carets under the
//! exact token, through codespan-reporting.

use codespan_reporting::diagnostic::{Diagnostic as CsDiagnostic, Label, LabelStyle, Severity as CsSeverity};
use codespan_reporting::files::SimpleFiles;
use codespan_reporting::term::{self, Config};
use epistle::narrative::{Diagnostic, Loaded, Severity, Sources, Story, load_dir};
use std::io::IsTerminal;
use std::path::Path;
use std::sync::Arc;

/// Renders every diagnostic of a load to standard error, in colour on a terminal.
pub fn emit_all(loaded: &Loaded) {
    emit(&loaded.sources, &loaded.diagnostics);
}

/// Renders diagnostics that point into `sources`.
pub fn emit(sources: &Sources, diagnostics: &[Diagnostic]) {
    let mut files = SimpleFiles::new();
    for (_, f) in sources.iter() {
        files.add(f.path.clone(), f.text.clone());
    }
    let config = Config::default();
    let color = if std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none() {
        term::termcolor::ColorChoice::Auto
    } else {
        term::termcolor::ColorChoice::Never
    };
    let stream = term::termcolor::StandardStream::stderr(color);
    let mut lock = stream.lock();
    for d in diagnostics {
        let cs = convert(d);
        if term::emit_to_write_style(&mut lock, &config, &files, &cs).is_err() {
            // The files always hold the spans (they come from the same load); print
            // the plain line should rendering ever fail.
            eprintln!("{}", d.locate(sources).one_line());
        }
    }
}

fn convert(d: &Diagnostic) -> CsDiagnostic<usize> {
    let severity = match d.severity {
        Severity::Error => CsSeverity::Error,
        Severity::Warning => CsSeverity::Warning,
    };
    let labels = d
        .labels
        .iter()
        .map(|l| {
            let style = if l.primary { LabelStyle::Primary } else { LabelStyle::Secondary };
            Label::new(style, l.span.file.0 as usize, l.span.start as usize..l.span.end as usize).with_message(l.message.clone())
        })
        .collect();
    let mut notes: Vec<String> = d.notes.iter().map(|n| format!("note: {n}")).collect();
    if let Some(h) = &d.help {
        notes.insert(0, format!("help: {h}"));
    }
    CsDiagnostic::new(severity).with_code(d.code.as_str()).with_message(d.message.clone()).with_labels(labels).with_notes(notes)
}

/// Loads a story folder for a command that needs a playable story. On errors, renders
/// them and says how to see them alone, and returns `None`.
pub fn load_playable(dir: &Path) -> Option<(Loaded, Arc<Story>)> {
    let loaded = load_dir(dir);
    match loaded.story.clone() {
        Some(story) => Some((loaded, Arc::new(story))),
        None => {
            emit_all(&loaded);
            eprintln!("the story has errors: run `quill check {}`", dir.display());
            None
        }
    }
}
