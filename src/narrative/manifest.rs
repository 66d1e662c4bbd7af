//! Reading the manifest, `story.ron`: the story's id and title, its files, and the
//! declared variables, characters and endings.

use super::diagnostic::{Code, Diagnostic};
use super::ron_tree::{Kind, StrLit, Value};
use super::schema::{self, Diags, Fields};
use super::source::{FileId, Span};
use super::story::{EndingDecl, VarDecl};
use super::value::{Type, Value as Val};

/// The most files one story may list.
pub const MAX_FILES: usize = 512;

/// A declared name and where it was declared.
pub struct Declared<T> {
    /// The declaration.
    pub decl: T,
    /// The span of its id.
    pub span: Span,
}

/// A character as declared, before its name is compiled.
pub struct RawCharacter<'v> {
    /// Its id.
    pub id: String,
    /// Its name, uncompiled.
    pub name: Option<&'v StrLit<'v>>,
    /// Colour hint.
    pub colour: Option<[u8; 3]>,
    /// Rendered as a voice.
    pub voice: bool,
}

/// The manifest, read but not yet resolved against the chapters.
pub struct Manifest<'v> {
    /// The manifest's file.
    pub file: FileId,
    /// Story id.
    pub id: String,
    /// Title.
    pub title: String,
    /// Author.
    pub author: String,
    /// Version.
    pub version: String,
    /// Start node id and its span.
    pub start: Option<(String, Span)>,
    /// Chapter files and their spans.
    pub files: Vec<(String, Span)>,
    /// Variables.
    pub vars: Vec<Declared<VarDecl>>,
    /// Characters.
    pub characters: Vec<Declared<RawCharacter<'v>>>,
    /// Endings.
    pub endings: Vec<Declared<EndingDecl>>,
    /// Invariants, as written (compiled with the chapters, since they may name nodes).
    pub invariants: Vec<&'v Value<'v>>,
}

const STORY_FIELDS: [&str; 10] = ["id", "title", "author", "version", "start", "files", "variables", "characters", "endings", "invariants"];

/// Reads a parsed manifest. Returns what could be read; problems go to `d`.
pub fn read<'v>(root: &'v Value<'v>, file: FileId, d: &mut Diags) -> Option<Manifest<'v>> {
    let mut f = Fields::of(root, "Story", d)?;
    let text = |v: Option<&Value>, d: &mut Diags| v.and_then(|v| schema::string(v, d)).map(|s| s.text.to_string()).unwrap_or_default();
    let id = f.req("id", d).and_then(|v| schema::id(v, "story", d)).unwrap_or_default().to_string();
    let title = text(f.req("title", d), d);
    let author = text(f.opt("author", d), d);
    let version = text(f.opt("version", d), d);
    let start = f.req("start", d).and_then(|v| schema::string(v, d).map(|s| (s.text.to_string(), v.span)));
    let mut files = Vec::new();
    if let Some(v) = f.req("files", d) {
        let items = schema::list(v, d);
        // The cap first: nothing below looks at more than MAX_FILES entries.
        if items.len() > MAX_FILES {
            d.push(
                Diagnostic::new(Code::TooLarge, format!("{} files listed; the limit is {MAX_FILES}", items.len()))
                    .at(v.span, "here")
                    .help("merge small chapters into larger files"),
            );
        }
        let mut listed: std::collections::HashMap<&str, Span> = std::collections::HashMap::new();
        for item in items.iter().take(MAX_FILES) {
            if let Some(s) = schema::string(item, d) {
                if let Some(problem) = bad_path(s.text) {
                    d.push(
                        Diagnostic::new(Code::FileUnreadable, format!("`{}` cannot be a chapter file: {problem}", s.text))
                            .at(item.span, "here")
                            .help("name files relative to the manifest, e.g. \"01-start.ron\""),
                    );
                    continue;
                }
                if let Some(first) = listed.get(s.text) {
                    d.push(
                        Diagnostic::new(Code::Duplicate, format!("file `{}` is listed twice", s.text))
                            .at(item.span, "listed again here")
                            .also(*first, "first listed here"),
                    );
                    continue;
                }
                listed.insert(s.text.as_ref(), item.span);
                files.push((s.text.to_string(), item.span));
            }
        }
    }
    let vars = f.opt("variables", d).map(|v| read_vars(v, d)).unwrap_or_default();
    let characters = f.opt("characters", d).map(|v| read_characters(v, d)).unwrap_or_default();
    let endings = f.opt("endings", d).map(|v| read_endings(v, d)).unwrap_or_default();
    let invariants = f.opt("invariants", d).map(|v| schema::list(v, d).iter().collect()).unwrap_or_default();
    f.finish(&STORY_FIELDS, d);
    check_unique(vars.iter().map(|v| (v.decl.name.as_str(), v.span)), "variable", d);
    check_unique(characters.iter().map(|c| (c.decl.id.as_str(), c.span)), "character", d);
    check_unique(endings.iter().map(|e| (e.decl.id.as_str(), e.span)), "ending", d);
    Some(Manifest { file, id, title, author, version, start, files, vars, characters, endings, invariants })
}

/// Why a listed path is refused: absolute, or climbing out of the story folder.
fn bad_path(p: &str) -> Option<&'static str> {
    if p.is_empty() {
        Some("the name is empty")
    } else if p.starts_with('/') || p.starts_with('\\') || p.contains(':') {
        Some("paths must be relative to the story folder")
    } else if p.split(['/', '\\']).any(|part| part == "..") {
        Some("paths may not leave the story folder")
    } else {
        None
    }
}

/// Reports the second and later uses of each id.
pub fn check_unique<'a>(items: impl Iterator<Item = (&'a str, Span)>, what: &str, d: &mut Diags) {
    let mut seen: std::collections::HashMap<&str, Span> = std::collections::HashMap::new();
    for (id, span) in items {
        if id.is_empty() {
            continue;
        }
        if let Some(first) = seen.get(id) {
            d.push(
                Diagnostic::new(Code::Duplicate, format!("{what} `{id}` is declared twice"))
                    .at(span, "declared again here")
                    .also(*first, "first declared here")
                    .help(format!("rename one of the two {what}s")),
            );
        } else {
            seen.insert(id, span);
        }
    }
}

fn read_vars(v: &Value, d: &mut Diags) -> Vec<Declared<VarDecl>> {
    let mut out = Vec::new();
    for item in schema::list(v, d) {
        let (kind, ty) = match &item.kind {
            Kind::Struct { name: Some(n), .. } | Kind::Tuple { name: Some(n), .. } => match n.name {
                "Int" => ("Int", Type::Int),
                "Bool" => ("Bool", Type::Bool),
                "Str" => ("Str", Type::Str),
                other => {
                    d.push(
                        Diagnostic::new(Code::Shape, format!("`{other}` is not a variable type"))
                            .at(n.span, "expected `Int`, `Bool` or `Str`")
                            .maybe_help(super::diagnostic::did_you_mean(other, ["Int", "Bool", "Str"])),
                    );
                    continue;
                }
            },
            _ => {
                d.expected("`Int(..)`, `Bool(..)` or `Str(..)`", item);
                continue;
            }
        };
        let Some(mut f) = Fields::of(item, kind, d) else {
            continue;
        };
        let Some(name_v) = f.req("name", d) else {
            continue;
        };
        let Some(name) = schema::id(name_v, "variable", d) else {
            continue;
        };
        let default_v = f.opt("default", d);
        let (min, max) = if ty == Type::Int {
            (f.opt("min", d).and_then(|v| schema::integer(v, d)), f.opt("max", d).and_then(|v| schema::integer(v, d)))
        } else {
            (None, None)
        };
        let default = match (ty, default_v) {
            (Type::Int, Some(v)) => schema::integer(v, d).map(Val::Int),
            (Type::Bool, Some(v)) => schema::boolean(v, d).map(Val::Bool),
            (Type::Str, Some(v)) => schema::string(v, d).map(|s| Val::Str(s.text.to_string())),
            (Type::Int, None) => Some(Val::Int(min.unwrap_or(0).max(0).min(max.unwrap_or(i64::MAX)))),
            (Type::Bool, None) => Some(Val::Bool(false)),
            (Type::Str, None) => Some(Val::Str(String::new())),
        };
        if let (Some(lo), Some(hi)) = (min, max)
            && lo > hi
        {
            d.push(Diagnostic::new(Code::BadDefault, format!("`{name}` has `min: {lo}` above `max: {hi}`")).at(item.span, "empty range"));
        }
        if let (Some(Val::Int(n)), Some(v)) = (&default, default_v)
            && (min.is_some_and(|m| *n < m) || max.is_some_and(|m| *n > m))
        {
            d.push(
                Diagnostic::new(Code::BadDefault, format!("the default of `{name}` is outside its range"))
                    .at(v.span, "outside min..=max")
                    .help("move the default into the range, or widen the range"),
            );
        }
        let known: &[&str] = if ty == Type::Int { &["name", "default", "min", "max"] } else { &["name", "default"] };
        f.finish(known, d);
        if let Some(default) = default {
            out.push(Declared { decl: VarDecl { name: name.to_string(), ty, default, min, max }, span: name_v.span });
        }
    }
    out
}

fn read_characters<'v>(v: &'v Value<'v>, d: &mut Diags) -> Vec<Declared<RawCharacter<'v>>> {
    let mut out = Vec::new();
    for item in schema::list(v, d) {
        let Some(mut f) = Fields::of(item, "Character", d) else {
            continue;
        };
        let id_v = f.req("id", d);
        let id = id_v.and_then(|v| schema::id(v, "character", d));
        let name = f.opt("name", d).and_then(|v| schema::string(v, d));
        let colour = f.opt("colour", d).and_then(|v| {
            let s = schema::string(v, d)?;
            let c = parse_colour(s.text);
            if c.is_none() {
                d.push(
                    Diagnostic::new(Code::Shape, format!("`{}` is not a colour", s.text))
                        .at(v.span, "expected `#rrggbb`")
                        .help("write a colour as `#e0a060`"),
                );
            }
            c
        });
        let voice = f.opt("voice", d).and_then(|v| schema::boolean(v, d)).unwrap_or(false);
        f.finish(&["id", "name", "colour", "voice"], d);
        if let (Some(id), Some(idv)) = (id, id_v) {
            out.push(Declared { decl: RawCharacter { id: id.to_string(), name, colour, voice }, span: idv.span });
        }
    }
    out
}

/// Parses `#rrggbb`.
pub fn parse_colour(s: &str) -> Option<[u8; 3]> {
    let h = s.strip_prefix('#')?;
    if h.len() != 6 || !h.is_ascii() {
        return None;
    }
    let c = |i: usize| u8::from_str_radix(&h[i..i + 2], 16).ok();
    Some([c(0)?, c(2)?, c(4)?])
}

fn read_endings(v: &Value, d: &mut Diags) -> Vec<Declared<EndingDecl>> {
    let mut out = Vec::new();
    for item in schema::list(v, d) {
        let Some(mut f) = Fields::of(item, "Ending", d) else {
            continue;
        };
        let id_v = f.req("id", d);
        let id = id_v.and_then(|v| schema::id(v, "ending", d));
        let mut text = |name: &str, required: bool, d: &mut Diags| {
            let v = if required { f.req(name, d) } else { f.opt(name, d) };
            v.and_then(|v| schema::string(v, d)).map(|s| s.text.to_string()).unwrap_or_default()
        };
        let title = text("title", true, d);
        let description = text("description", false, d);
        let hint = text("hint", false, d);
        let secret = f.opt("secret", d).and_then(|v| schema::boolean(v, d)).unwrap_or(false);
        f.finish(&["id", "title", "description", "hint", "secret"], d);
        if let (Some(id), Some(idv)) = (id, id_v) {
            out.push(Declared { decl: EndingDecl { id: id.to_string(), title, description, hint, secret }, span: idv.span });
        }
    }
    out
}

/// The chapter files a manifest lists, read without checking anything else: what a
/// loader needs to know before it can fetch them (the browser cannot list folders).
pub fn listed_files(manifest_text: &str) -> Vec<String> {
    let arena = super::ron_tree::Arena::new();
    let Ok(root) = super::ron_tree::parse(FileId(0), manifest_text, &arena) else {
        return Vec::new();
    };
    let mut d = Diags::default();
    read(&root, FileId(0), &mut d).map(|m| m.files.into_iter().map(|(p, _)| p).collect()).unwrap_or_default()
}
