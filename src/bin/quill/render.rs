//! Rendering diagnostics like rustc: a snippet of the file with carets under the
//! exact token, through codespan-reporting.

use codespan_reporting::diagnostic::{Diagnostic as CsDiagnostic, Label, LabelStyle, Severity as CsSeverity};
use codespan_reporting::files::{self, Files};
use codespan_reporting::term::{self, Config};
use epistle::narrative::source::FileId;
use epistle::narrative::{Diagnostic, Loaded, Severity, Sources, Story, load_dir};
use std::io::IsTerminal;
use std::ops::Range;
use std::path::Path;
use std::sync::Arc;

/// Renders every diagnostic of a load to standard error, in colour on a terminal.
pub fn emit_all(loaded: &Loaded) {
    emit(&loaded.sources, &loaded.diagnostics);
}

/// Renders diagnostics that point into `sources`. Each is rendered into a buffer and
/// written at once; only the lines it points at are shown, a long line as a window
/// around its caret, and nothing from a file reaches the terminal raw (control
/// characters and bidirectional marks are replaced).
pub fn emit(sources: &Sources, diagnostics: &[Diagnostic]) {
    let config = Config::default();
    let color = if std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none() {
        term::termcolor::ColorChoice::Auto
    } else {
        term::termcolor::ColorChoice::Never
    };
    let writer = term::termcolor::BufferWriter::stderr(color);
    for d in diagnostics {
        let (files, cs) = excerpt(sources, d);
        let mut buf = writer.buffer();
        if term::emit_to_write_style(&mut buf, &config, &files, &cs).is_err() {
            // The excerpts always hold the spans (built from the same load); print
            // the plain line should rendering ever fail.
            eprintln!("{}", terminal_safe(&d.locate(sources).one_line()));
            continue;
        }
        let _ = writer.print(&buf);
    }
}

/// The longest source line shown whole; longer lines are cut to a window.
const LONG_LINE: usize = 200;
/// Bytes of context kept on each side of a label in a long line.
const CONTEXT: usize = 80;

/// One line of an excerpt: where it sits in the excerpt's text, and what it was.
struct ExLine {
    /// Byte range in the excerpt's text (without the line break).
    range: Range<usize>,
    /// The real, 1-based line number.
    number: usize,
    /// The real 1-based column of the first character after the `…` prefix.
    col_base: usize,
    /// Bytes of `…` put before the window (0 when the line starts there).
    prefix: usize,
    /// The real byte offset the window starts at.
    real_start: usize,
}

/// The lines of one file that a diagnostic points at, windowed and made safe.
struct ExFile {
    name: String,
    text: String,
    lines: Vec<ExLine>,
}

/// What codespan renders from: only the excerpts, with real line and column numbers.
struct Excerpts(Vec<ExFile>);

impl<'a> Files<'a> for Excerpts {
    type FileId = usize;
    type Name = &'a str;
    type Source = &'a str;

    fn name(&'a self, id: usize) -> Result<&'a str, files::Error> {
        self.0.get(id).map(|f| f.name.as_str()).ok_or(files::Error::FileMissing)
    }
    fn source(&'a self, id: usize) -> Result<&'a str, files::Error> {
        self.0.get(id).map(|f| f.text.as_str()).ok_or(files::Error::FileMissing)
    }
    fn line_index(&'a self, id: usize, byte: usize) -> Result<usize, files::Error> {
        let f = self.0.get(id).ok_or(files::Error::FileMissing)?;
        Ok(f.lines.iter().rposition(|l| l.range.start <= byte).unwrap_or(0))
    }
    fn line_number(&'a self, id: usize, line: usize) -> Result<usize, files::Error> {
        let f = self.0.get(id).ok_or(files::Error::FileMissing)?;
        f.lines.get(line).map(|l| l.number).ok_or(files::Error::LineTooLarge { given: line, max: f.lines.len() })
    }
    fn column_number(&'a self, id: usize, line: usize, byte: usize) -> Result<usize, files::Error> {
        let f = self.0.get(id).ok_or(files::Error::FileMissing)?;
        let l = f.lines.get(line).ok_or(files::Error::LineTooLarge { given: line, max: f.lines.len() })?;
        let from = l.range.start + l.prefix;
        let to = byte.clamp(from, l.range.end);
        Ok(l.col_base + f.text.get(from..to).map_or(0, |s| s.chars().count()))
    }
    fn line_range(&'a self, id: usize, line: usize) -> Result<Range<usize>, files::Error> {
        let f = self.0.get(id).ok_or(files::Error::FileMissing)?;
        f.lines.get(line).map(|l| l.range.clone()).ok_or(files::Error::LineTooLarge { given: line, max: f.lines.len() })
    }
}

/// Builds the excerpts a diagnostic needs and the codespan diagnostic pointing into them.
fn excerpt(sources: &Sources, d: &Diagnostic) -> (Excerpts, CsDiagnostic<usize>) {
    let mut files: Vec<ExFile> = Vec::new();
    let mut ids: Vec<FileId> = Vec::new();
    for l in &d.labels {
        if !ids.contains(&l.span.file) && sources.get(l.span.file).is_some() {
            ids.push(l.span.file);
        }
    }
    // Per file: build the excerpt from the lines the labels touch.
    let mut maps: Vec<Vec<(usize, usize, usize)>> = Vec::new(); // per file: (line start in file, window start, excerpt line)
    for &id in &ids {
        let Some(src) = sources.get(id) else { continue };
        let text = src.text.as_str();
        let labels: Vec<(usize, usize)> = d
            .labels
            .iter()
            .filter(|l| l.span.file == id)
            .map(|l| (clamp_char(text, l.span.start as usize), clamp_char(text, l.span.end as usize)))
            .collect();
        // The distinct lines touched (start and end of each label), in order.
        let mut touched: Vec<usize> = labels.iter().flat_map(|&(a, b)| [src.line_start(a), src.line_start(b)]).collect();
        touched.sort_unstable();
        touched.dedup();
        let mut ex = ExFile { name: terminal_safe(&src.path), text: String::new(), lines: Vec::new() };
        let mut map = Vec::new();
        for ls in touched {
            let le = text[ls..].find('\n').map_or(text.len(), |i| ls + i);
            let le_trim = if text[..le].ends_with('\r') { le - 1 } else { le };
            let (ws, we) = if le_trim - ls <= LONG_LINE {
                (ls, le_trim)
            } else {
                let in_line: Vec<usize> = labels.iter().flat_map(|&(a, b)| [a, b]).filter(|&x| x >= ls && x <= le_trim).collect();
                let first = in_line.iter().copied().min().unwrap_or(ls);
                let last = in_line.iter().copied().max().unwrap_or(ls).min(first + 4 * CONTEXT);
                (clamp_char(text, first.saturating_sub(CONTEXT).max(ls)), clamp_char(text, (last + CONTEXT).min(le_trim)))
            };
            let prefix = if ws > ls { "…" } else { "" };
            let suffix = if we < le_trim { "…" } else { "" };
            let start = ex.text.len();
            ex.text.push_str(prefix);
            safe_same_length(&mut ex.text, &text[ws..we]);
            ex.text.push_str(suffix);
            let end = ex.text.len();
            ex.text.push('\n');
            let at = src.line_col(ws as u32);
            map.push((ls, ws, ex.lines.len()));
            ex.lines.push(ExLine {
                range: start..end,
                number: at.line as usize,
                col_base: at.column as usize,
                prefix: prefix.len(),
                real_start: ws,
            });
        }
        files.push(ex);
        maps.push(map);
    }
    let severity = match d.severity {
        Severity::Error => CsSeverity::Error,
        Severity::Warning => CsSeverity::Warning,
    };
    let to_excerpt = |fi: usize, x: usize| -> usize {
        let Some(src) = sources.get(ids[fi]) else { return 0 };
        let text = src.text.as_str();
        let x = clamp_char(text, x);
        let ls = src.line_start(x);
        let Some(&(_, _, li)) = maps[fi].iter().find(|m| m.0 == ls) else { return 0 };
        let l = &files[fi].lines[li];
        let within = x.saturating_sub(l.real_start);
        (l.range.start + l.prefix + within).min(l.range.end)
    };
    let labels = d
        .labels
        .iter()
        .filter_map(|l| {
            let fi = ids.iter().position(|&i| i == l.span.file)?;
            let style = if l.primary { LabelStyle::Primary } else { LabelStyle::Secondary };
            let a = to_excerpt(fi, l.span.start as usize);
            let b = to_excerpt(fi, l.span.end as usize).max(a);
            Some(Label::new(style, fi, a..b).with_message(terminal_safe(&l.message)))
        })
        .collect();
    let mut notes: Vec<String> = d.notes.iter().map(|n| format!("note: {}", terminal_safe(n))).collect();
    if let Some(h) = &d.help {
        notes.insert(0, format!("help: {}", terminal_safe(h)));
    }
    let cs = CsDiagnostic::new(severity)
        .with_code(d.code.as_str())
        .with_message(terminal_safe(&d.message))
        .with_labels(labels)
        .with_notes(notes);
    (Excerpts(files), cs)
}

/// `x` moved back to a character boundary within the text.
fn clamp_char(text: &str, x: usize) -> usize {
    let mut x = x.min(text.len());
    while !text.is_char_boundary(x) {
        x -= 1;
    }
    x
}

/// Whether a character must not reach a terminal raw: control characters (escape
/// sequences start with one) and the invisible marks that reorder or hide text.
fn unsafe_char(c: char) -> bool {
    (c.is_control() && c != '\t')
        || matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{206F}' | '\u{061C}' | '\u{FEFF}')
}

/// Appends `s` with every unsafe character replaced by one of the same length in
/// bytes, so offsets into the text stay valid.
fn safe_same_length(out: &mut String, s: &str) {
    for c in s.chars() {
        if unsafe_char(c) {
            out.push_str(match c.len_utf8() {
                1 => "?",
                2 => "¿",
                3 => "\u{FFFD}",
                _ => "????",
            });
        } else {
            out.push(c);
        }
    }
}

/// The longest message shown whole; a longer one (a 300,000-character id quoted in
/// it) keeps its start and end around a `…`.
const LONG_MESSAGE: usize = 400;

/// Text from a story made safe for a terminal: unsafe characters written as
/// `\u{..}` escapes, and an overlong message shortened in the middle.
pub fn terminal_safe(s: &str) -> String {
    let shortened;
    let s = if s.chars().count() > LONG_MESSAGE {
        let head: String = s.chars().take(LONG_MESSAGE * 3 / 4).collect();
        let tail: String = s.chars().rev().take(LONG_MESSAGE / 4).collect::<Vec<_>>().into_iter().rev().collect();
        shortened = format!("{head}…{tail}");
        shortened.as_str()
    } else {
        s
    };
    if !s.chars().any(unsafe_char) {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if unsafe_char(c) && c != '\n' {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
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
