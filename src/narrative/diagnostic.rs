//! Diagnostics: what loading and validation report, with stable codes and spans.
//!
//! The model follows codespan-reporting: a severity, a code, a one-line message that
//! quotes names in backticks, labelled spans, and notes. The command-line tool and
//! the game's error screen render the same data.

use super::source::{LineCol, Sources, Span};
use serde::Serialize;

/// How bad a diagnostic is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth fixing; the story still plays.
    Warning,
    /// The story cannot be played as written.
    Error,
}

/// Stable diagnostic codes. Each names one kind of problem; the code never changes
/// meaning, so writers and tools can search for it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Code {
    /// A file is not valid RON (unbalanced brackets, a missing comma, a bad string).
    Syntax,
    /// A value has the wrong shape: a string where a list was expected, an unknown field.
    Shape,
    /// A required field is missing.
    MissingField,
    /// A file listed in the manifest could not be read.
    FileUnreadable,
    /// A file, a string, a list or a nesting level is larger than the loader accepts.
    TooLarge,
    /// An id is not `snake_case`.
    BadId,
    /// Two nodes, variables, characters, endings or choices share an id.
    Duplicate,
    /// A choice, `next` or function names a node that does not exist.
    UnknownNode,
    /// An expression or effect names an undeclared variable.
    UnknownVariable,
    /// A passage names an undeclared speaker.
    UnknownCharacter,
    /// A node names an undeclared ending.
    UnknownEnding,
    /// An expression or text markup does not parse.
    ExprSyntax,
    /// An expression or effect has the wrong type.
    Type,
    /// A node has no choices, no `next` and no `ending`.
    DeadEnd,
    /// A node mixes `choices`, `next` and `ending`.
    ConflictingFlow,
    /// A conditional `next` lacks its closing `Else`.
    MissingElse,
    /// `next` chains loop forever without a choice.
    FlowCycle,
    /// A random `next` can come back to itself without a choice.
    RandomCycle,
    /// A `Random` with no outcomes, or weights whose total is too large.
    BadRandom,
    /// A text input targets a variable that is not a `Str`.
    BadInput,
    /// A variable's default or range does not fit its type.
    BadDefault,
    /// No node can lead to this one.
    Unreachable,
    /// An ending is declared but no node ends with it.
    UnusedEnding,
    /// A variable is written but never read.
    NeverRead,
    /// A variable is read but never written, so it always holds its default.
    NeverWritten,
    /// A character is declared but never speaks.
    UnusedCharacter,
    /// A file exists in the story folder but the manifest does not list it.
    UnlistedFile,
    /// Two choices of a node lead to the same place with the same effects.
    SameChoices,
    /// A condition that compares a ranged variable with a number outside its range.
    ConstantCondition,
    /// A fallback that can never fire.
    DeadFallback,
    /// An effect that pushes a constant outside the variable's range.
    EffectOutOfRange,
}

impl Code {
    /// The stable code, e.g. `E0100`.
    pub fn as_str(self) -> &'static str {
        match self {
            Code::Syntax => "E0001",
            Code::Shape => "E0002",
            Code::MissingField => "E0003",
            Code::FileUnreadable => "E0004",
            Code::TooLarge => "E0005",
            Code::BadId => "E0006",
            Code::Duplicate => "E0101",
            Code::UnknownNode => "E0100",
            Code::UnknownVariable => "E0102",
            Code::UnknownCharacter => "E0103",
            Code::UnknownEnding => "E0104",
            Code::ExprSyntax => "E0110",
            Code::Type => "E0111",
            Code::BadInput => "E0112",
            Code::BadDefault => "E0113",
            Code::DeadEnd => "E0120",
            Code::ConflictingFlow => "E0121",
            Code::MissingElse => "E0122",
            Code::FlowCycle => "E0123",
            Code::RandomCycle => "E0124",
            Code::BadRandom => "E0125",
            Code::Unreachable => "W0201",
            Code::UnusedEnding => "W0202",
            Code::NeverRead => "W0203",
            Code::NeverWritten => "W0204",
            Code::UnusedCharacter => "W0205",
            Code::UnlistedFile => "W0206",
            Code::SameChoices => "W0207",
            Code::ConstantCondition => "W0208",
            Code::DeadFallback => "W0209",
            Code::EffectOutOfRange => "W0210",
        }
    }

    /// Every code, for documentation and tests.
    pub const ALL: [Code; 31] = [
        Code::Syntax,
        Code::Shape,
        Code::MissingField,
        Code::FileUnreadable,
        Code::TooLarge,
        Code::BadId,
        Code::Duplicate,
        Code::UnknownNode,
        Code::UnknownVariable,
        Code::UnknownCharacter,
        Code::UnknownEnding,
        Code::ExprSyntax,
        Code::Type,
        Code::BadInput,
        Code::BadDefault,
        Code::DeadEnd,
        Code::ConflictingFlow,
        Code::MissingElse,
        Code::FlowCycle,
        Code::RandomCycle,
        Code::BadRandom,
        Code::Unreachable,
        Code::UnusedEnding,
        Code::NeverRead,
        Code::NeverWritten,
        Code::UnusedCharacter,
        Code::UnlistedFile,
        Code::SameChoices,
        Code::ConstantCondition,
        Code::DeadFallback,
        Code::EffectOutOfRange,
    ];

    /// The severity this code is reported with.
    pub fn severity(self) -> Severity {
        if self.as_str().starts_with('W') { Severity::Warning } else { Severity::Error }
    }
}

/// A labelled span: "here, because ...".
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Label {
    /// Where.
    pub span: Span,
    /// Why; may be empty.
    pub message: String,
    /// The primary label is the place the diagnostic is about; secondary ones add context.
    pub primary: bool,
}

/// One problem found in a story.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// The stable code.
    pub code: Code,
    /// One line, no trailing period; names in backticks.
    pub message: String,
    /// Places in the files; the first primary one is the main location.
    pub labels: Vec<Label>,
    /// The likely fix, e.g. "did you mean `docks`?".
    pub help: Option<String>,
    /// Further notes.
    pub notes: Vec<String>,
}

impl Diagnostic {
    /// A diagnostic of `code` with its default severity.
    pub fn new(code: Code, message: impl Into<String>) -> Diagnostic {
        Diagnostic { severity: code.severity(), code, message: message.into(), labels: Vec::new(), help: None, notes: Vec::new() }
    }

    /// Adds the primary label.
    #[must_use]
    pub fn at(mut self, span: Span, message: impl Into<String>) -> Diagnostic {
        self.labels.push(Label { span, message: message.into(), primary: true });
        self
    }

    /// Adds a secondary label.
    #[must_use]
    pub fn also(mut self, span: Span, message: impl Into<String>) -> Diagnostic {
        self.labels.push(Label { span, message: message.into(), primary: false });
        self
    }

    /// Sets the help line.
    #[must_use]
    pub fn help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    /// Sets the help line if there is one.
    #[must_use]
    pub fn maybe_help(mut self, help: Option<String>) -> Diagnostic {
        if help.is_some() {
            self.help = help;
        }
        self
    }

    /// Adds a note.
    #[must_use]
    pub fn note(mut self, note: impl Into<String>) -> Diagnostic {
        self.notes.push(note.into());
        self
    }

    /// The primary span, if any.
    pub fn primary_span(&self) -> Option<Span> {
        self.labels.iter().find(|l| l.primary).or(self.labels.first()).map(|l| l.span)
    }

    /// Resolves spans to file paths, lines and columns, for JSON and the game.
    pub fn locate(&self, sources: &Sources) -> LocatedDiagnostic {
        let labels = self
            .labels
            .iter()
            .filter_map(|l| {
                let file = sources.get(l.span.file)?;
                Some(LocatedLabel {
                    file: file.path.clone(),
                    start: file.line_col(l.span.start),
                    end: file.line_col(l.span.end),
                    message: l.message.clone(),
                    primary: l.primary,
                })
            })
            .collect();
        LocatedDiagnostic {
            severity: self.severity,
            code: self.code.as_str(),
            message: self.message.clone(),
            labels,
            help: self.help.clone(),
            notes: self.notes.clone(),
        }
    }
}

/// A label with its position resolved.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LocatedLabel {
    /// The file's path.
    pub file: String,
    /// Where the span starts.
    pub start: LineCol,
    /// Where it ends.
    pub end: LineCol,
    /// Why.
    pub message: String,
    /// Whether this is the main location.
    pub primary: bool,
}

/// A diagnostic with every position resolved: what `--format json` prints and what
/// the game's error screen lists.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LocatedDiagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// The stable code.
    pub code: &'static str,
    /// The message.
    pub message: String,
    /// The places.
    pub labels: Vec<LocatedLabel>,
    /// The likely fix.
    pub help: Option<String>,
    /// Further notes.
    pub notes: Vec<String>,
}

impl LocatedDiagnostic {
    /// `file:line:column` of the main location, or "" when there is none.
    pub fn location(&self) -> String {
        self.labels.iter().find(|l| l.primary).or(self.labels.first()).map(|l| format!("{}:{}", l.file, l.start)).unwrap_or_default()
    }

    /// One line: `error[E0100] file:3:5: message (help)`.
    pub fn one_line(&self) -> String {
        let sev = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let mut s = format!("{sev}[{}] {}: {}", self.code, self.location(), self.message);
        if let Some(h) = &self.help {
            s.push_str(" (");
            s.push_str(h);
            s.push(')');
        }
        s
    }
}

/// The closest of `candidates` to `name`, if it is close enough to be a likely typo.
pub fn did_you_mean<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<String> {
    // Ids are short; a name this long is not a typo of one (and comparing it with
    // every id would cost its length times theirs).
    const LONGEST: usize = 64;
    let len = name.chars().count();
    if len > LONGEST {
        return None;
    }
    let limit = (len / 3).max(1);
    candidates
        .into_iter()
        // A cheap test first: ids whose lengths differ by more than the limit
        // cannot be within it.
        .filter(|c| c.len() <= 4 * (LONGEST + limit) && c.chars().count().abs_diff(len) <= limit)
        .filter_map(|c| edit_distance(name, c, limit).map(|d| (d, c)))
        .min_by_key(|&(d, c)| (d, c.len()))
        .map(|(_, c)| format!("did you mean `{c}`?"))
}

/// Levenshtein distance over characters, if it is at most `limit` (rows stop as soon
/// as every entry passes it).
fn edit_distance(a: &str, b: &str, limit: usize) -> Option<usize> {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.chars().enumerate() {
        cur[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let cost = usize::from(ca != cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        if cur.iter().all(|&x| x > limit) {
            return None;
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    Some(prev[b.len()]).filter(|&d| d <= limit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_names_only() {
        assert_eq!(did_you_mean("dock", ["docks", "harbour"]), Some("did you mean `docks`?".into()));
        assert_eq!(did_you_mean("tower", ["docks", "harbour"]), None);
    }

    #[test]
    fn codes_are_unique() {
        let mut seen = std::collections::HashSet::new();
        for c in Code::ALL {
            assert!(seen.insert(c.as_str()), "{} twice", c.as_str());
        }
    }
}
