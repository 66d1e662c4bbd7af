//! Reading the shape of RON values: expected structs, fields, strings and lists, with
//! a diagnostic at the exact place when the shape is wrong.

use super::diagnostic::{Code, Diagnostic, did_you_mean};
use super::ron_tree::{Field, Kind, StrLit, Value};
use super::source::Span;

/// Collects diagnostics while reading.
#[derive(Default)]
pub struct Diags {
    /// Everything reported so far.
    pub list: Vec<Diagnostic>,
}

impl Diags {
    /// Reports one diagnostic.
    pub fn push(&mut self, d: Diagnostic) {
        self.list.push(d);
    }

    /// Whether any error was reported.
    pub fn has_errors(&self) -> bool {
        self.list.iter().any(|d| d.severity == super::diagnostic::Severity::Error)
    }

    /// Reports a wrong shape.
    pub fn expected(&mut self, what: &str, v: &Value) {
        self.push(
            Diagnostic::new(Code::Shape, format!("expected {what}, found {}", v.kind.describe())).at(v.span, format!("expected {what}")),
        );
    }
}

/// The fields of a struct, taken one by one; what is left over is reported as unknown.
pub struct Fields<'v> {
    kind: &'static str,
    span: Span,
    fields: &'v [Field<'v>],
    /// Which fields were taken: a bit each, for the first 64 (all a story's structs
    /// have fewer; more are only ever mistakes, reported all the same).
    used: u64,
    used_beyond: Vec<bool>,
}

/// Whether a field's name is `name`: the length and the first byte decide almost
/// every comparison without a call to compare memory.
fn is_named(f: &Field<'_>, name: &str) -> bool {
    let n = f.name.name;
    n.len() == name.len() && n.as_bytes().first() == name.as_bytes().first() && n == name
}

impl<'v> Fields<'v> {
    /// Reads `v` as a struct named `kind` (`Name(field: ..)`; the name may be left out
    /// where `allow_anon`). Reports and returns `None` for any other shape.
    pub fn of(v: &'v Value<'v>, kind: &'static str, d: &mut Diags) -> Option<Fields<'v>> {
        match &v.kind {
            Kind::Struct { name, fields } => {
                if let Some(n) = name
                    && n.name != kind
                {
                    d.push(
                        Diagnostic::new(Code::Shape, format!("expected `{kind}(..)`, found `{}(..)`", n.name))
                            .at(n.span, format!("expected `{kind}`"))
                            .maybe_help(did_you_mean(n.name, [kind])),
                    );
                    return None;
                }
                Some(Fields { kind, span: v.span, fields, used: 0, used_beyond: vec![false; fields.len().saturating_sub(64)] })
            }
            // `Name()` parses as an empty tuple: an empty struct.
            Kind::Tuple { name: Some(n), items } if items.is_empty() && n.name == kind => {
                Some(Fields { kind, span: v.span, fields: &[], used: 0, used_beyond: Vec::new() })
            }
            _ => {
                d.expected(&format!("`{kind}(..)`"), v);
                None
            }
        }
    }

    /// Takes an optional field. A duplicate field is reported.
    pub fn opt(&mut self, name: &str, d: &mut Diags) -> Option<&'v Value<'v>> {
        let mut found: Option<&'v Field> = None;
        for (i, f) in self.fields.iter().enumerate() {
            if is_named(f, name) {
                if let Some(first) = found {
                    d.push(
                        Diagnostic::new(Code::Duplicate, format!("field `{name}` is given twice"))
                            .at(f.name.span, "given again here")
                            .also(first.name.span, "first given here"),
                    );
                } else {
                    found = Some(f);
                }
                self.mark(i);
            }
        }
        found.map(|f| &f.value)
    }

    fn mark(&mut self, i: usize) {
        match i.checked_sub(64) {
            None => self.used |= 1 << i,
            Some(beyond) => {
                if let Some(u) = self.used_beyond.get_mut(beyond) {
                    *u = true;
                }
            }
        }
    }

    fn is_used(&self, i: usize) -> bool {
        match i.checked_sub(64) {
            None => self.used & (1 << i) != 0,
            Some(beyond) => self.used_beyond.get(beyond).copied().unwrap_or(false),
        }
    }

    /// Takes a required field; reports it missing.
    pub fn req(&mut self, name: &str, d: &mut Diags) -> Option<&'v Value<'v>> {
        let v = self.opt(name, d);
        if v.is_none() {
            let kind = self.kind;
            d.push(
                Diagnostic::new(Code::MissingField, format!("`{kind}` is missing its `{name}` field"))
                    .at(Span { end: self.span.start + kind.len() as u32, ..self.span }, format!("add `{name}: ...`")),
            );
        }
        v
    }

    /// Reports every field not taken, suggesting the closest known one.
    pub fn finish(self, known: &[&str], d: &mut Diags) {
        for (i, f) in self.fields.iter().enumerate() {
            if !self.is_used(i) {
                d.push(
                    Diagnostic::new(Code::Shape, format!("`{}` has no field `{}`", self.kind, f.name.name))
                        .at(f.name.span, "unknown field")
                        .maybe_help(did_you_mean(f.name.name, known.iter().copied()))
                        .note(format!("`{}` fields: {}", self.kind, known.join(", "))),
                );
            }
        }
    }
}

/// Reads a string.
pub fn string<'v>(v: &'v Value<'v>, d: &mut Diags) -> Option<&'v StrLit<'v>> {
    match &v.kind {
        Kind::Str(s) => Some(s),
        _ => {
            d.expected("a string", v);
            None
        }
    }
}

/// Reads a boolean.
pub fn boolean(v: &Value, d: &mut Diags) -> Option<bool> {
    match v.kind {
        Kind::Bool(b) => Some(b),
        _ => {
            d.expected("`true` or `false`", v);
            None
        }
    }
}

/// Reads an integer.
pub fn integer(v: &Value, d: &mut Diags) -> Option<i64> {
    match v.kind {
        Kind::Int(n) => Some(n),
        _ => {
            d.expected("an integer", v);
            None
        }
    }
}

/// Reads a list.
pub fn list<'v>(v: &'v Value<'v>, d: &mut Diags) -> &'v [Value<'v>] {
    match &v.kind {
        Kind::List(items) => items,
        _ => {
            d.expected("a list `[..]`", v);
            &[]
        }
    }
}

/// Reads a list of strings.
pub fn strings<'v>(v: &'v Value<'v>, d: &mut Diags) -> Vec<&'v StrLit<'v>> {
    list(v, d).iter().filter_map(|i| string(i, d)).collect()
}

/// Whether `s` is a valid id: a letter, then letters, digits or `_`.
pub fn is_id(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic()) && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Reads a string that must be an id; reports a bad one.
pub fn id<'v>(v: &'v Value<'v>, what: &str, d: &mut Diags) -> Option<&'v str> {
    let s = string(v, d)?;
    if !is_id(s.text) {
        let fixed: String = s.text.trim().chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '_' }).collect();
        let mut diag = Diagnostic::new(Code::BadId, format!("`{}` is not a valid {what} id", s.text))
            .at(v.span, "ids are letters, digits and `_`, starting with a letter");
        if is_id(&fixed) {
            diag = diag.help(format!("try `{fixed}`"));
        }
        d.push(diag);
        return None;
    }
    Some(s.text)
}
