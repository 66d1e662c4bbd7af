//! `quill lsp`: a language server for story files, over standard input and output,
//! built on rust-analyzer's `lsp-server` (transport) and `lsp-types` (protocol).
//!
//! A story is found from any open file by walking up to the nearest `story.ron`;
//! several stories in one workspace each get their own analysis. Every change
//! re-checks the whole story with the loader (unsaved buffers included) and publishes
//! its diagnostics on every file; definitions, references, renames, completions,
//! hovers and symbols come from `narrative::index`.

use epistle::narrative::index::{self, Occurrence, SymbolKind};
use epistle::narrative::load::MANIFEST;
use epistle::narrative::source::FileId;
use epistle::narrative::{ChapterFile, Diagnostic, Loaded, Severity, SourceFile, compile, fsio, manifest, ron_tree};
use lsp_server::{Connection, Message, Notification, Request, Response};
use lsp_types::notification::Notification as _;
use lsp_types::request::Request as _;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Runs the server until the client shuts it down.
pub fn run() -> ExitCode {
    let (conn, io) = Connection::stdio();
    let caps = json!({
        "textDocumentSync": { "openClose": true, "change": 1, "save": { "includeText": false } },
        "definitionProvider": true,
        "referencesProvider": true,
        "hoverProvider": true,
        "renameProvider": { "prepareProvider": true },
        "completionProvider": { "triggerCharacters": ["\"", "(", "{", " "] },
        "documentSymbolProvider": true,
        "workspaceSymbolProvider": true,
        "codeActionProvider": { "codeActionKinds": ["quickfix"] },
    });
    let init = json!({ "capabilities": caps, "serverInfo": { "name": "quill", "version": env!("CARGO_PKG_VERSION") } });
    let started = conn.initialize_start().and_then(|(id, _params)| conn.initialize_finish(id, init));
    if let Err(e) = started {
        eprintln!("error: the language client did not initialise: {e}");
        return ExitCode::FAILURE;
    }
    let mut server = Server { conn: &conn, docs: HashMap::new(), stories: HashMap::new() };
    for msg in &conn.receiver {
        match msg {
            Message::Request(req) => {
                if conn.handle_shutdown(&req).unwrap_or(true) {
                    break;
                }
                let id = req.id.clone();
                // A bug in one request must not take the writer's server down.
                let answered = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| server.request(req)));
                let resp = match answered {
                    Ok(Ok(v)) => Response::new_ok(id, v),
                    Ok(Err(e)) => Response::new_err(id, lsp_server::ErrorCode::RequestFailed as i32, e),
                    Err(_) => Response::new_err(id, lsp_server::ErrorCode::InternalError as i32, "quill lsp failed on this request".into()),
                };
                let _ = conn.sender.send(Message::Response(resp));
            }
            Message::Notification(n) => {
                let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| server.notification(n)));
            }
            Message::Response(_) => {}
        }
    }
    drop(server);
    drop(conn);
    let _ = io.join();
    ExitCode::SUCCESS
}

/// One story's latest analysis.
struct Analysis {
    loaded: Loaded,
    /// The path of each file, by `FileId`.
    paths: Vec<PathBuf>,
    occ: Vec<Occurrence>,
}

impl Analysis {
    fn file_of(&self, path: &Path) -> Option<FileId> {
        self.paths.iter().position(|p| p == path).map(|i| FileId(i as u32))
    }

    fn text(&self, f: FileId) -> &str {
        self.loaded.sources.get(f).map_or("", |s| s.text.as_str())
    }

    fn definition(&self, o: &Occurrence) -> Option<&Occurrence> {
        self.occ.iter().find(|d| d.def && d.kind == o.kind && d.name == o.name)
    }

    fn names(&self, kind: SymbolKind) -> Vec<&str> {
        let mut v: Vec<&str> = self.occ.iter().filter(|o| o.def && o.kind == kind).map(|o| o.name.as_str()).collect();
        v.sort_unstable();
        v.dedup();
        v
    }
}

struct Server<'c> {
    conn: &'c Connection,
    /// Open documents: path → text as the editor has it.
    docs: HashMap<PathBuf, String>,
    /// Story folder → analysis.
    stories: HashMap<PathBuf, Analysis>,
}

impl Server<'_> {
    fn notification(&mut self, n: Notification) {
        use lsp_types::notification::{DidChangeTextDocument, DidCloseTextDocument, DidOpenTextDocument, DidSaveTextDocument};
        let p = &n.params;
        let path = p.pointer("/textDocument/uri").and_then(Value::as_str).and_then(uri_to_path);
        let Some(path) = path else { return };
        match n.method.as_str() {
            DidOpenTextDocument::METHOD => {
                let text = p.pointer("/textDocument/text").and_then(Value::as_str).unwrap_or_default();
                self.docs.insert(path.clone(), text.to_string());
            }
            DidChangeTextDocument::METHOD => {
                // Full sync: the last change holds the whole text.
                if let Some(text) =
                    p.pointer("/contentChanges").and_then(Value::as_array).and_then(|c| c.last()).and_then(|c| c["text"].as_str())
                {
                    self.docs.insert(path.clone(), text.to_string());
                }
            }
            DidCloseTextDocument::METHOD => {
                self.docs.remove(&path);
            }
            DidSaveTextDocument::METHOD => {}
            _ => return,
        }
        if let Some(dir) = story_dir(&path) {
            self.analyse(&dir);
        }
    }

    /// Re-checks a story and publishes diagnostics on each of its files.
    fn analyse(&mut self, dir: &Path) {
        let read = |name: &str| -> Result<String, String> {
            let path = dir.join(name);
            match self.docs.get(&path) {
                Some(t) => Ok(t.clone()),
                None => fsio::read_inside(dir, name, ron_tree::MAX_FILE_BYTES).map_err(|e| e.to_string()),
            }
        };
        let manifest_path = dir.join(MANIFEST);
        let manifest_text = read(MANIFEST).unwrap_or_default();
        let names = manifest::listed_files(&manifest_text);
        let chapters: Vec<ChapterFile> =
            names.iter().map(|n| ChapterFile { name: n.clone(), path: dir.join(n).display().to_string(), text: read(n) }).collect();
        let loaded = compile(SourceFile::new(manifest_path.display().to_string(), manifest_text), chapters);
        let paths: Vec<PathBuf> = loaded.sources.iter().map(|(_, f)| PathBuf::from(&f.path)).collect();
        let occ = index::occurrences(&loaded.sources);
        let a = Analysis { loaded, paths, occ };
        // Publish per file, clearing files that have none (and files that used to).
        let mut by_file: HashMap<PathBuf, Vec<Value>> = a.paths.iter().map(|p| (p.clone(), Vec::new())).collect();
        if let Some(old) = self.stories.get(dir) {
            for p in &old.paths {
                by_file.entry(p.clone()).or_default();
            }
        }
        for d in &a.loaded.diagnostics {
            let (file, value) = lsp_diagnostic(&a, d);
            by_file.entry(file).or_default().push(value);
        }
        for (path, diags) in by_file {
            let params = json!({ "uri": path_to_uri(&path), "diagnostics": diags });
            let _ = self
                .conn
                .sender
                .send(Message::Notification(Notification::new(lsp_types::notification::PublishDiagnostics::METHOD.to_string(), params)));
        }
        self.stories.insert(dir.to_path_buf(), a);
    }

    /// The analysis for a document, analysing its story first if need be.
    fn analysis_for(&mut self, path: &Path) -> Option<(&Analysis, FileId)> {
        let dir = story_dir(path)?;
        if !self.stories.contains_key(&dir) {
            self.analyse(&dir);
        }
        let a = self.stories.get(&dir)?;
        let f = a.file_of(path)?;
        Some((a, f))
    }

    fn request(&mut self, req: Request) -> Result<Value, String> {
        use lsp_types::request::{
            CodeActionRequest, Completion, DocumentSymbolRequest, GotoDefinition, HoverRequest, PrepareRenameRequest, References, Rename,
            WorkspaceSymbolRequest,
        };
        let p = &req.params;
        if req.method == WorkspaceSymbolRequest::METHOD {
            return Ok(self.workspace_symbols(p["query"].as_str().unwrap_or_default()));
        }
        let Some(path) = p.pointer("/textDocument/uri").and_then(Value::as_str).and_then(uri_to_path) else {
            return Ok(Value::Null);
        };
        let Some((a, file)) = self.analysis_for(&path) else { return Ok(Value::Null) };
        let text = a.text(file);
        let offset = p
            .get("position")
            .map(|pos| to_offset(text, pos["line"].as_u64().unwrap_or(0) as usize, pos["character"].as_u64().unwrap_or(0) as usize) as u32);
        let here = offset.and_then(|o| index::at(&a.occ, file, o));
        Ok(match req.method.as_str() {
            GotoDefinition::METHOD => here.and_then(|o| a.definition(o)).map_or(Value::Null, |d| location(a, d)),
            References::METHOD => {
                let with_decl = p.pointer("/context/includeDeclaration").and_then(Value::as_bool).unwrap_or(true);
                match here {
                    Some(o) => Value::Array(
                        a.occ
                            .iter()
                            .filter(|x| x.kind == o.kind && x.name == o.name && (with_decl || !x.def))
                            .map(|x| location(a, x))
                            .collect(),
                    ),
                    None => Value::Null,
                }
            }
            HoverRequest::METHOD => {
                here.map_or(Value::Null, |o| json!({ "contents": { "kind": "markdown", "value": hover(a, o) }, "range": range(a, o) }))
            }
            PrepareRenameRequest::METHOD => here.map_or(Value::Null, |o| json!({ "range": range(a, o), "placeholder": o.name })),
            Rename::METHOD => {
                let Some(o) = here else { return Err("there is no id here to rename".into()) };
                let new = p["newName"].as_str().unwrap_or_default();
                if !valid_id(new) {
                    return Err(format!("`{new}` is not an id: use snake_case letters, digits and `_`, starting with a letter"));
                }
                let mut changes: HashMap<String, Vec<Value>> = HashMap::new();
                for x in a.occ.iter().filter(|x| x.kind == o.kind && x.name == o.name) {
                    let uri = path_to_uri(&a.paths[x.span.file.0 as usize]);
                    changes.entry(uri).or_default().push(json!({ "range": range(a, x), "newText": new }));
                }
                json!({ "changes": changes })
            }
            Completion::METHOD => completion(a, file, offset.unwrap_or(0) as usize),
            DocumentSymbolRequest::METHOD => Value::Array(
                a.occ
                    .iter()
                    .filter(|o| o.def && o.span.file == file)
                    .map(|o| {
                        json!({ "name": o.name, "detail": o.kind.word(), "kind": symbol_kind(o.kind),
                                "range": range(a, o), "selectionRange": range(a, o) })
                    })
                    .collect(),
            ),
            CodeActionRequest::METHOD => code_actions(&path, text, p),
            _ => Value::Null,
        })
    }

    fn workspace_symbols(&self, query: &str) -> Value {
        let q = query.to_lowercase();
        let mut out = Vec::new();
        for a in self.stories.values() {
            for o in a.occ.iter().filter(|o| o.def && o.name.to_lowercase().contains(&q)) {
                out.push(
                    json!({ "name": o.name, "kind": symbol_kind(o.kind), "location": location(a, o), "containerName": o.kind.word() }),
                );
            }
        }
        Value::Array(out)
    }
}

/// The story folder a file belongs to: the nearest folder upwards holding `story.ron`.
fn story_dir(path: &Path) -> Option<PathBuf> {
    path.ancestors().skip(1).take(12).find(|d| d.join(MANIFEST).is_file()).map(Path::to_path_buf)
}

fn valid_id(s: &str) -> bool {
    s.chars().next().is_some_and(|c| c.is_ascii_alphabetic()) && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn symbol_kind(k: SymbolKind) -> u32 {
    match k {
        SymbolKind::Node => 5,       // Class
        SymbolKind::Variable => 13,  // Variable
        SymbolKind::Character => 14, // Constant
        _ => 20,                     // Key (endings)
    }
}

fn range(a: &Analysis, o: &Occurrence) -> Value {
    span_range(a.text(o.span.file), o.span.start as usize, o.span.end as usize)
}

fn span_range(text: &str, start: usize, end: usize) -> Value {
    let (l1, c1) = to_position(text, start);
    let (l2, c2) = to_position(text, end);
    json!({ "start": { "line": l1, "character": c1 }, "end": { "line": l2, "character": c2 } })
}

fn location(a: &Analysis, o: &Occurrence) -> Value {
    json!({ "uri": path_to_uri(&a.paths[o.span.file.0 as usize]), "range": range(a, o) })
}

/// A diagnostic for the file of its primary label (the manifest when it has none).
fn lsp_diagnostic(a: &Analysis, d: &Diagnostic) -> (PathBuf, Value) {
    let span = d.primary_span();
    let file = span.map_or(FileId(0), |s| s.file);
    let path = a.paths.get(file.0 as usize).cloned().unwrap_or_default();
    let text = a.text(file);
    let r = span.map_or_else(|| span_range(text, 0, 0), |s| span_range(text, s.start as usize, s.end as usize));
    let mut message = d.message.clone();
    if let Some(h) = &d.help {
        message.push_str("\nhelp: ");
        message.push_str(h);
    }
    for n in &d.notes {
        message.push_str("\nnote: ");
        message.push_str(n);
    }
    let related: Vec<Value> = d
        .labels
        .iter()
        .filter(|l| !l.primary)
        .filter_map(|l| {
            let p = a.paths.get(l.span.file.0 as usize)?;
            Some(json!({ "location": { "uri": path_to_uri(p), "range": span_range(a.text(l.span.file), l.span.start as usize, l.span.end as usize) },
                         "message": if l.message.is_empty() { "here".to_string() } else { l.message.clone() } }))
        })
        .collect();
    // "did you mean `x`?" becomes a quick fix.
    let suggest = d.help.as_deref().and_then(|h| h.strip_prefix("did you mean `")).and_then(|h| h.split('`').next());
    let value = json!({
        "range": r,
        "severity": if d.severity == Severity::Error { 1 } else { 2 },
        "code": d.code.as_str(),
        "source": "quill",
        "message": message,
        "relatedInformation": related,
        "data": suggest.map(|s| json!({ "suggest": s })),
    });
    (path, value)
}

/// Quick fixes for the diagnostics the client sends back: "did you mean".
fn code_actions(path: &Path, text: &str, p: &Value) -> Value {
    let uri = path_to_uri(path);
    let mut out = Vec::new();
    for d in p.pointer("/context/diagnostics").and_then(Value::as_array).into_iter().flatten() {
        let Some(s) = d.pointer("/data/suggest").and_then(Value::as_str) else { continue };
        // The range covers either a whole string (keep its quotes) or a bare name.
        let line = d.pointer("/range/start/line").and_then(Value::as_u64).unwrap_or(0) as usize;
        let col = d.pointer("/range/start/character").and_then(Value::as_u64).unwrap_or(0) as usize;
        let quoted = text[to_offset(text, line, col)..].starts_with('"');
        let new_text = if quoted { format!("\"{s}\"") } else { s.to_string() };
        let edit = json!({ "changes": { uri.clone(): [{ "range": d["range"], "newText": new_text }] } });
        out.push(json!({ "title": format!("Change to `{s}`"), "kind": "quickfix", "diagnostics": [d], "edit": edit, "isPreferred": true }));
    }
    Value::Array(out)
}

/// Completion: node ids where a node goes, endings after `ending:`, characters where a
/// speaker goes, variables (and `visits(`/`seen(` nodes) inside expressions.
fn completion(a: &Analysis, file: FileId, offset: usize) -> Value {
    let text = a.text(file);
    let offset = offset.min(text.len());
    let line_start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let before = &text[line_start..offset];
    let in_string = before.matches('"').count() % 2 == 1;
    let last_quote = before.rfind('"').map_or(0, |i| i + 1);
    let ends = |pats: &[&str]| pats.iter().any(|p| before[..last_quote.saturating_sub(1)].trim_end().ends_with(p));
    // Where the word being typed starts (after the last character that cannot be in
    // an id, which may be more than one byte: `“`).
    let word_start = before
        .char_indices()
        .rev()
        .find(|&(_, c)| !(c.is_ascii_alphanumeric() || c == '_' || c == '~'))
        .map_or(0, |(i, c)| i + c.len_utf8());
    let (kind, items) =
        if in_string && ends(&["to:", "call:", "start:", "Else(", "next:"]) || in_string && ends(&[","]) && before.contains("If(") {
            (SymbolKind::Node, a.names(SymbolKind::Node))
        } else if in_string && ends(&["ending:"]) {
            (SymbolKind::Ending, a.names(SymbolKind::Ending))
        } else if in_string && ends(&["Say(", "speaker:"]) {
            (SymbolKind::Character, a.names(SymbolKind::Character))
        } else if in_string && (before[..word_start].ends_with("visits(") || before[..word_start].ends_with("seen(")) {
            (SymbolKind::Node, a.names(SymbolKind::Node))
        } else if in_string {
            (SymbolKind::Variable, a.names(SymbolKind::Variable))
        } else {
            return Value::Null;
        };
    let item_kind = match kind {
        SymbolKind::Node => 7,       // Class
        SymbolKind::Variable => 6,   // Variable
        SymbolKind::Character => 21, // Constant
        _ => 14,                     // Keyword
    };
    Value::Array(items.into_iter().map(|n| json!({ "label": n, "kind": item_kind, "detail": kind.word() })).collect())
}

fn hover(a: &Analysis, o: &Occurrence) -> String {
    let place = a.definition(o).map(|d| {
        let p = &a.paths[d.span.file.0 as usize];
        let (l, _) = to_position(a.text(d.span.file), d.span.start as usize);
        format!("{}:{}", p.file_name().map(|f| f.to_string_lossy()).unwrap_or_default(), l + 1)
    });
    let story = a.loaded.story.as_ref();
    match o.kind {
        SymbolKind::Node => {
            let mut s = format!("**node** `{}`", o.name);
            if let Some((st, n)) = story.and_then(|st| st.node_id(&o.name).map(|n| (st, st.node(n)))) {
                s.push_str(&format!(" — chapter “{}”", st.chapter_title(st.node_id(&o.name).unwrap_or(0))));
                if let Some(p) = n.passages.first() {
                    let mut first = String::new();
                    p.text.each_literal(&mut |l| first.push_str(l));
                    let first: String = first.chars().take(240).collect();
                    s.push_str(&format!("\n\n> {first}"));
                }
            }
            if let Some(p) = place {
                s.push_str(&format!("\n\nDefined at {p}"));
            }
            s
        }
        SymbolKind::Variable => match story.and_then(|st| st.var_id(&o.name).map(|v| &st.vars[v as usize])) {
            Some(d) => {
                let range = match (d.min, d.max) {
                    (None, None) => String::new(),
                    (a, b) => format!(", range {}..={}", a.map_or("".into(), |x| x.to_string()), b.map_or("".into(), |x| x.to_string())),
                };
                format!("**variable** `{}`: {:?}, default `{}`{range}", o.name, d.ty, d.default)
            }
            None => format!("**variable** `{}`", o.name),
        },
        SymbolKind::Ending => match story.and_then(|st| st.ending_id(&o.name).map(|e| &st.endings[e as usize])) {
            Some(e) => format!("**ending** `{}`: “{}”\n\n{}\n\nHint: {}", o.name, e.title, e.description, e.hint),
            None => format!("**ending** `{}`", o.name),
        },
        _ => match story.and_then(|st| st.character_id(&o.name).map(|c| &st.characters[c as usize])) {
            Some(c) => {
                let mut name = String::new();
                c.name.each_literal(&mut |l| name.push_str(l));
                format!("**character** `{}`: {name}", o.name)
            }
            None => format!("**character** `{}`", o.name),
        },
    }
}

/// A byte offset as an LSP position: line, and UTF-16 code units into the line.
fn to_position(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let mut off = offset;
    while !text.is_char_boundary(off) {
        off -= 1;
    }
    let line_start = text[..off].rfind('\n').map_or(0, |i| i + 1);
    let line = text[..line_start].matches('\n').count();
    (line, text[line_start..off].encode_utf16().count())
}

/// An LSP position as a byte offset.
fn to_offset(text: &str, line: usize, character: usize) -> usize {
    let mut start = 0;
    for _ in 0..line {
        match text[start..].find('\n') {
            Some(i) => start += i + 1,
            None => return text.len(),
        }
    }
    let end = text[start..].find('\n').map_or(text.len(), |i| start + i);
    let mut units = 0;
    for (i, c) in text[start..end].char_indices() {
        if units >= character {
            return start + i;
        }
        units += c.len_utf16();
    }
    end
}

/// `file:///a/b%20c` → `/a/b c`.
fn uri_to_path(uri: &str) -> Option<PathBuf> {
    let rest = uri.strip_prefix("file://")?;
    let bytes = rest.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(h) = rest.get(i + 1..i + 3).and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(h);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    let s = String::from_utf8(out).ok()?;
    // `file:///C:/x` on Windows.
    let s = if s.len() > 2 && s.as_bytes()[0] == b'/' && s.as_bytes()[2] == b':' { s[1..].to_string() } else { s };
    Some(PathBuf::from(s))
}

/// `/a/b c` → `file:///a/b%20c`.
fn path_to_uri(path: &Path) -> String {
    let s = path.to_string_lossy().replace('\\', "/");
    let mut out = String::from("file://");
    if !s.starts_with('/') {
        out.push('/');
    }
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"/-_.~:".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
