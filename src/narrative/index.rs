//! Where every id of a story is defined and used, with exact spans: node, variable,
//! character and ending ids in `to:`, `next`, `start`, `call:`, `ending:`, speakers,
//! inputs, and inside expression strings and text markup (`seen(..)`, `{var}`). It
//! reads the files syntactically, so it works on a story with errors, and on unsaved
//! text. The language server's definitions, references, renames and completions come
//! from here.

use super::ron_tree::{self, Kind, StrLit, Value};
use super::source::{FileId, Sources, Span};
use super::text::scan_to;

/// What kind of thing an id names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum SymbolKind {
    /// A node (scene).
    Node,
    /// A variable.
    Variable,
    /// A character.
    Character,
    /// An ending.
    Ending,
}

impl SymbolKind {
    /// "node", "variable", …
    pub fn word(self) -> &'static str {
        match self {
            SymbolKind::Node => "node",
            SymbolKind::Variable => "variable",
            SymbolKind::Character => "character",
            SymbolKind::Ending => "ending",
        }
    }
}

/// One place an id is written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Occurrence {
    /// What it names.
    pub kind: SymbolKind,
    /// The id.
    pub name: String,
    /// Exactly the id's characters (no quotes).
    pub span: Span,
    /// Whether this is where it is declared.
    pub def: bool,
}

/// Every occurrence of every id in `sources`: the manifest is file 0, the rest are
/// chapters. Files that do not parse contribute nothing.
pub fn occurrences(sources: &Sources) -> Vec<Occurrence> {
    let mut out = Vec::new();
    for (id, file) in sources.iter() {
        let arena = ron_tree::Arena::new();
        let Ok(root) = ron_tree::parse(id, &file.text, &arena) else { continue };
        let mut w = Walker { file: id, out: &mut out };
        if id == FileId(0) {
            w.manifest(&root);
        } else {
            w.chapter(&root);
        }
    }
    out
}

/// The occurrence at byte `offset` of `file`, if the offset is inside an id.
pub fn at(occurrences: &[Occurrence], file: FileId, offset: u32) -> Option<&Occurrence> {
    occurrences.iter().find(|o| o.span.file == file && o.span.start <= offset && offset <= o.span.end)
}

fn field<'v>(v: &'v Value<'v>, name: &str) -> Option<&'v Value<'v>> {
    match &v.kind {
        Kind::Struct { fields, .. } => fields.iter().find(|f| f.name.name == name).map(|f| &f.value),
        _ => None,
    }
}

fn items<'v>(v: &'v Value<'v>) -> &'v [Value<'v>] {
    match &v.kind {
        Kind::List(items) => items,
        _ => std::slice::from_ref(v),
    }
}

struct Walker<'o> {
    file: FileId,
    out: &'o mut Vec<Occurrence>,
}

impl Walker<'_> {
    /// A string value that is an id: the whole string.
    fn id(&mut self, v: Option<&Value<'_>>, kind: SymbolKind, def: bool) {
        if let Some(Value { kind: Kind::Str(s), .. }) = v {
            let name = s.text.to_string();
            if !name.is_empty() {
                let span = s.span(self.file, 0, s.text.len());
                self.out.push(Occurrence { kind, name, span, def });
            }
        }
    }

    fn manifest(&mut self, root: &Value<'_>) {
        self.id(field(root, "start"), SymbolKind::Node, false);
        if let Some(vars) = field(root, "variables") {
            for v in items(vars) {
                self.id(field(v, "name"), SymbolKind::Variable, true);
            }
        }
        if let Some(chars) = field(root, "characters") {
            for c in items(chars) {
                self.id(field(c, "id"), SymbolKind::Character, true);
                self.markup(field(c, "name"));
            }
        }
        if let Some(ends) = field(root, "endings") {
            for e in items(ends) {
                self.id(field(e, "id"), SymbolKind::Ending, true);
                self.markup(field(e, "description"));
            }
        }
    }

    fn chapter(&mut self, root: &Value<'_>) {
        let Some(nodes) = field(root, "nodes") else { return };
        for n in items(nodes) {
            self.id(field(n, "id"), SymbolKind::Node, true);
            if let Some(t) = field(n, "text") {
                self.passages(t);
            }
            if let Some(d) = field(n, "do") {
                for e in items(d) {
                    self.expr(Some(e));
                }
            }
            self.id(field(n, "ending"), SymbolKind::Ending, false);
            if let Some(next) = field(n, "next") {
                self.flow(next);
            }
            if let Some(cs) = field(n, "choices") {
                for c in items(cs) {
                    self.choice(c);
                }
            }
        }
    }

    fn flow(&mut self, v: &Value<'_>) {
        match &v.kind {
            Kind::Str(_) => self.id(Some(v), SymbolKind::Node, false),
            Kind::List(list) => list.iter().for_each(|b| self.flow(b)),
            Kind::Tuple { name: Some(n), items } if n.name == "If" && items.len() == 2 => {
                self.expr(items.first());
                self.id(items.get(1), SymbolKind::Node, false);
            }
            Kind::Tuple { name: Some(n), items } if n.name == "Else" => self.id(items.first(), SymbolKind::Node, false),
            Kind::Tuple { name: Some(n), items } if n.name == "Random" => {
                for w in items.iter().flat_map(items_of) {
                    if let Kind::Tuple { items: pair, .. } = &w.kind {
                        self.id(pair.get(1), SymbolKind::Node, false);
                    }
                }
            }
            _ => {}
        }
    }

    fn passages(&mut self, v: &Value<'_>) {
        for p in items(v) {
            match &p.kind {
                Kind::Str(_) => self.markup(Some(p)),
                Kind::Tuple { items, .. } if items.len() == 2 => {
                    self.id(items.first(), SymbolKind::Character, false);
                    self.markup(items.get(1));
                }
                Kind::Struct { .. } => {
                    self.id(field(p, "speaker"), SymbolKind::Character, false);
                    self.expr(field(p, "when"));
                    self.markup(field(p, "text"));
                }
                _ => {}
            }
        }
    }

    fn choice(&mut self, c: &Value<'_>) {
        match &c.kind {
            Kind::Tuple { name: Some(n), items } if n.name == "Reply" => {
                self.markup(items.first());
                if let Some(r) = items.get(1) {
                    self.passages(r);
                }
            }
            Kind::Tuple { items, .. } => {
                self.markup(items.first());
                self.id(items.get(1), SymbolKind::Node, false);
            }
            _ => {
                self.markup(field(c, "text"));
                self.markup(field(c, "locked"));
                self.id(field(c, "to"), SymbolKind::Node, false);
                self.id(field(c, "call"), SymbolKind::Node, false);
                self.expr(field(c, "when"));
                if let Some(d) = field(c, "do") {
                    for e in items(d) {
                        self.expr(Some(e));
                    }
                }
                if let Some(r) = field(c, "reply") {
                    self.passages(r);
                }
                if let Some(i) = field(c, "input") {
                    self.id(field(i, "var"), SymbolKind::Variable, false);
                    self.markup(field(i, "prompt"));
                }
            }
        }
    }

    /// An expression string: every identifier in it.
    fn expr(&mut self, v: Option<&Value<'_>>) {
        if let Some(Value { kind: Kind::Str(s), .. }) = v {
            self.expr_range(s, 0, s.text.len());
        }
    }

    fn expr_range(&mut self, s: &StrLit<'_>, from: usize, to: usize) {
        let text = &s.text[..to];
        let b = text.as_bytes();
        let mut i = from;
        let mut quote: Option<u8> = None;
        while i < b.len() {
            let c = b[i];
            if let Some(q) = quote {
                if c == q {
                    quote = None;
                }
                i += 1;
                continue;
            }
            if c == b'\'' || c == b'"' {
                quote = Some(c);
                i += 1;
                continue;
            }
            if c == b'_' || c.is_ascii_alphabetic() {
                let start = i;
                while i < b.len() && (b[i] == b'_' || b[i] == b'~' || b[i].is_ascii_alphanumeric()) {
                    i += 1;
                }
                let word = &text[start..i];
                let rest = text[i..].trim_start();
                let before = text[..start].trim_end();
                let kind = if rest.starts_with('(') || matches!(word, "true" | "false" | "toggle") {
                    None
                } else if before.ends_with("visits(") || before.ends_with("seen(") {
                    Some(SymbolKind::Node)
                } else {
                    Some(SymbolKind::Variable)
                };
                if let Some(kind) = kind {
                    self.out.push(Occurrence { kind, name: word.to_string(), span: s.span(self.file, start, i), def: false });
                }
                continue;
            }
            i += 1;
        }
    }

    /// Text markup: the expression parts of every `{..}`.
    fn markup(&mut self, v: Option<&Value<'_>>) {
        let Some(Value { kind: Kind::Str(s), .. }) = v else { return };
        for (a, b) in markup_exprs(s.text) {
            self.expr_range(s, a, b);
        }
    }
}

fn items_of<'v>(v: &'v Value<'v>) -> &'v [Value<'v>] {
    match &v.kind {
        Kind::List(items) => items,
        _ => &[],
    }
}

/// The byte ranges of a text that are expressions: `{expr}`, the condition of
/// `{if cond: ..}` and of each `| else if cond:`. Variation keywords and the text of
/// branches are skipped.
pub fn markup_exprs(text: &str) -> Vec<(usize, usize)> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    // Stack of open braces: whether each is an `if` chain (so `|` may start `else if`).
    let mut open: Vec<bool> = Vec::new();
    while i < b.len() {
        match b[i] {
            b'{' => {
                let start = i + 1;
                let inner = text[start..].trim_start();
                let lead = start + (text[start..].len() - inner.len());
                let word: String = inner.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
                let after = inner[word.len()..].trim_start();
                if matches!(word.as_str(), "seq" | "cycle" | "once" | "shuffle") && after.starts_with(':') {
                    open.push(false);
                    i = lead + word.len() + (inner[word.len()..].len() - after.len()) + 1;
                } else if word == "if" {
                    let cond = lead + 2;
                    let colon = scan_to(text, cond, b":}");
                    out.push((cond, colon));
                    open.push(true);
                    i = colon + 1;
                } else {
                    let close = scan_to(text, start, b"}");
                    out.push((start, close));
                    i = close + 1;
                }
            }
            b'}' => {
                open.pop();
                i += 1;
            }
            b'|' if open.last() == Some(&true) => {
                let rest = text[i + 1..].trim_start();
                let at = i + 1 + (text[i + 1..].len() - rest.len());
                if let Some(after) = rest.strip_prefix("else if") {
                    let cond = at + ("else if".len()) + (rest.len() - "else if".len() - after.len());
                    let colon = scan_to(text, cond, b":}");
                    out.push((cond, colon));
                    i = colon + 1;
                } else {
                    i += 1;
                }
            }
            _ => i += 1,
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::narrative::SourceFile;

    #[test]
    fn finds_ids_everywhere_they_are_written() {
        let mut s = Sources::new();
        s.add(SourceFile::new(
            "story.ron",
            r#"Story(id: "s", title: "T", start: "a", files: ["c.ron"], variables: [Int(name: "n")],
               characters: [Character(id: "ann", name: "Ann {n}")], endings: [Ending(id: "end", title: "E")])"#,
        ));
        s.add(SourceFile::new(
            "c.ron",
            r#"Chapter(title: "C", nodes: [
                Node(id: "a", text: ["{if n > 1: x | else if seen(b): y}", Say("ann", "{n * 2}")], choices: [
                    Choice(text: "go", to: "b", when: "visits(a) < n", do: ["n += 1"]),
                    Choice("short", "b"),
                ]),
                Node(id: "b", text: ["b"], next: [If("n > 2", "a"), Else("b")], ),
            ])"#,
        ));
        let occ = occurrences(&s);
        let count = |k: SymbolKind, n: &str| occ.iter().filter(|o| o.kind == k && o.name == n).count();
        assert_eq!(count(SymbolKind::Node, "a"), 4, "{occ:#?}"); // start, def, visits(a), If
        assert_eq!(count(SymbolKind::Node, "b"), 5); // seen(b), to, short, def, Else
        assert_eq!(count(SymbolKind::Variable, "n"), 7);
        assert_eq!(count(SymbolKind::Character, "ann"), 2);
        for o in &occ {
            let text = &s.get(o.span.file).map(|f| f.text.clone()).unwrap_or_default()[o.span.start as usize..o.span.end as usize];
            assert_eq!(text, o.name, "the span covers exactly the id");
        }
    }

    #[test]
    fn markup_expressions_skip_text_and_keywords() {
        let t = "a {x} {if y > 1: t {z} | else if w: u | v} {seq: p | q}";
        let parts: Vec<&str> = markup_exprs(t).iter().map(|&(a, b)| t[a..b].trim()).collect();
        assert_eq!(parts, ["x", "y > 1", "z", "w"]);
    }
}
