//! Loading a story: from a folder on disk, or from files a front end has fetched.
//! Loading never panics and never stops at the first problem: it returns the story
//! (when it has no errors) together with every diagnostic.

use super::chapter::{self, Compiler, RawNode, StoryScope};
use super::diagnostic::{Code, Diagnostic, Severity};
use super::fsio;
use super::manifest;
use super::ron_tree;
use super::schema::Diags;
use super::source::{FileId, SourceFile, Sources, Span};
use super::story::{Chapter, Character, Expectation, Story};
use super::text::{ProseBuf, Text, TextParser};
use super::validate;
use super::value::Type;
use std::collections::HashMap;
use std::ops::Range;
use std::path::Path;

/// The manifest's file name inside a story folder.
pub const MANIFEST: &str = "story.ron";

/// The result of loading: the story if it has no errors, every diagnostic, and the
/// sources they point into.
#[derive(Debug)]
pub struct Loaded {
    /// The playable story; `None` when there are errors.
    pub story: Option<Story>,
    /// Every problem, errors first, then in file order.
    pub diagnostics: Vec<Diagnostic>,
    /// The files read.
    pub sources: Sources,
    /// Where each node's id is written, by node index (for tools that point at nodes).
    pub node_spans: Vec<Span>,
}

impl Loaded {
    /// How many errors there are.
    pub fn error_count(&self) -> usize {
        self.diagnostics.iter().filter(|d| d.severity == Severity::Error).count()
    }

    /// How many warnings there are.
    pub fn warning_count(&self) -> usize {
        self.diagnostics.iter().filter(|d| d.severity == Severity::Warning).count()
    }

    /// `file:line:column` of a node.
    pub fn node_location(&self, node: u32) -> String {
        let Some(span) = self.node_spans.get(node as usize) else {
            return String::new();
        };
        self.sources.get(span.file).map(|f| format!("{}:{}", f.path, f.line_col(span.start))).unwrap_or_default()
    }
}

/// A chapter file as a front end obtained it.
pub struct ChapterFile {
    /// The name listed in the manifest.
    pub name: String,
    /// The path shown in diagnostics.
    pub path: String,
    /// Its text, or why it could not be read.
    pub text: Result<String, String>,
}

/// Loads a story folder from disk: `dir/story.ron` and the files it lists.
pub fn load_dir(dir: &Path) -> Loaded {
    let manifest_path = dir.join(MANIFEST);
    let shown = manifest_path.display().to_string();
    let manifest_text = match read_text(dir, MANIFEST) {
        Ok(t) => t,
        Err(e) => {
            let mut sources = Sources::new();
            let file = sources.add(SourceFile::new(shown.clone(), ""));
            let d = Diagnostic::new(Code::FileUnreadable, format!("cannot read `{shown}`: {e}"))
                .at(Span::new(file, 0, 0), "expected the story's manifest here")
                .help("a story is a folder holding `story.ron` and the chapter files it lists");
            return Loaded { story: None, diagnostics: vec![d], sources, node_spans: Vec::new() };
        }
    };
    let names = manifest::listed_files(&manifest_text);
    let chapters = read_all(dir, &names);
    let mut loaded = compile(SourceFile::new(shown, manifest_text), chapters);
    // Files in the folder that the manifest does not list are most likely forgotten.
    if let Ok(entries) = std::fs::read_dir(dir) {
        let mut unlisted: Vec<String> = entries
            .filter_map(Result::ok)
            .filter_map(|e| e.file_name().into_string().ok())
            .filter(|n| n.ends_with(".ron") && n != MANIFEST && !names.contains(n))
            .collect();
        unlisted.sort();
        // Point at the manifest's `files:` list, where the fix goes.
        let files_at = loaded.sources.get(FileId(0)).and_then(|m| files_field(&m.text)).unwrap_or((0, 0));
        for n in unlisted {
            let d = Diagnostic::new(Code::UnlistedFile, format!("`{n}` is in the story folder but not in `files`"))
                .at(Span::new(FileId(0), files_at.0, files_at.1), "the manifest's list of files")
                .help(format!("add \"{n}\" to `files`, or move it out of the folder"));
            loaded.diagnostics.push(d);
        }
    }
    loaded
}

/// Reads the chapter files, in order; a story of many files is read on two threads
/// (off the web), half each.
fn read_all(dir: &Path, names: &[String]) -> Vec<ChapterFile> {
    let read = |name: &String| ChapterFile { name: name.clone(), path: dir.join(name).display().to_string(), text: read_text(dir, name) };
    let cut = if threads_for(names.len() / 4) < 2 { names.len() } else { names.len() / 2 };
    let runs: Vec<Range<usize>> = [0..cut, cut..names.len()].into_iter().filter(|r| !r.is_empty()).collect();
    in_parallel(names, &runs, |_, run| run.iter().map(read).collect::<Vec<_>>()).into_iter().flatten().collect()
}

/// The `description` string of the ending `id` in a parsed manifest.
fn ending_description<'v>(root: &'v ron_tree::Value<'v>, id: &str) -> Option<&'v ron_tree::StrLit<'v>> {
    let field = |v: &'v ron_tree::Value<'v>, name: &str| match &v.kind {
        ron_tree::Kind::Struct { fields, .. } => fields.iter().find(|f| f.name.name == name).map(|f| &f.value),
        _ => None,
    };
    let ron_tree::Kind::List(items) = &field(root, "endings")?.kind else { return None };
    items
        .iter()
        .find(|e| matches!(field(e, "id").map(|v| &v.kind), Some(ron_tree::Kind::Str(s)) if s.text == id))
        .and_then(|e| field(e, "description"))
        .and_then(|v| match &v.kind {
            ron_tree::Kind::Str(s) => Some(s),
            _ => None,
        })
}

/// The byte range of the manifest's `files` field name, if it has one.
fn files_field(manifest: &str) -> Option<(usize, usize)> {
    let arena = ron_tree::Arena::new();
    let root = ron_tree::parse(FileId(0), manifest, &arena).ok()?;
    let ron_tree::Kind::Struct { fields, .. } = &root.kind else { return None };
    let f = fields.iter().find(|f| f.name.name == "files")?;
    Some((f.name.span.start as usize, f.name.span.end as usize))
}

/// Reads a file of the story: a regular file, inside the story folder once links are
/// followed, at most [`ron_tree::MAX_FILE_BYTES`], UTF-8 (a byte-order mark is fine).
fn read_text(dir: &Path, name: &str) -> Result<String, String> {
    let path = fsio::inside(dir, name).map_err(|e| e.to_string())?;
    let bytes = fsio::read_capped(&path, ron_tree::MAX_FILE_BYTES).map_err(|e| match e {
        fsio::ReadError::TooBig { limit } => format!("the file is larger than the limit of {limit} bytes"),
        other => other.to_string(),
    })?;
    decode_utf8(bytes)
}

/// Decodes a story file, dropping a UTF-8 byte-order mark; a bad byte is reported by
/// line and column.
pub fn decode_utf8(bytes: Vec<u8>) -> Result<String, String> {
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").map(<[u8]>::to_vec).unwrap_or(bytes);
    String::from_utf8(body).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        let good = &e.as_bytes()[..at];
        let line = good.iter().filter(|&&b| b == b'\n').count() + 1;
        let line_start = good.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
        let column = std::str::from_utf8(&good[line_start..]).map_or(1, |s| s.chars().count() + 1);
        format!("not UTF-8 text: a bad byte (0x{:02X}) at line {line}, column {column}; re-save the file as UTF-8", e.as_bytes()[at])
    })
}

/// Compiles a story from its manifest and chapter files. Pure: no file system, so the
/// game's asset loader and the browser build use it as is.
pub fn compile(manifest_file: SourceFile, chapters: Vec<ChapterFile>) -> Loaded {
    let mut sources = Sources::new();
    let mut d = Diags::default();
    let mfile = sources.add(manifest_file);
    let manifest_src = sources.get(mfile).map(|f| f.text.clone()).unwrap_or_default();
    let manifest_arena = ron_tree::Arena::new();
    let root = match ron_tree::parse(mfile, &manifest_src, &manifest_arena) {
        Ok(r) => r,
        Err(e) => {
            d.push(e);
            return finish(None, d, sources, Vec::new());
        }
    };
    let Some(m) = manifest::read(&root, mfile, &mut d) else {
        return finish(None, d, sources, Vec::new());
    };

    // Parse every chapter file; keep going past broken ones.
    let mut trees = Vec::new();
    for ch in chapters {
        let listed = m.files.iter().find(|(n, _)| *n == ch.name).map(|(_, s)| *s);
        match ch.text {
            Ok(text) => {
                let file = sources.add(SourceFile::new(ch.path, text));
                trees.push((file, ch.name));
            }
            Err(e) => {
                let span = listed.unwrap_or(Span::new(mfile, 0, 0));
                d.push(Diagnostic::new(Code::FileUnreadable, format!("cannot read `{}`: {e}", ch.path)).at(span, "listed here"));
            }
        }
    }
    let mut parsed = Vec::new();
    let mut missing_files: Vec<String> = Vec::new();
    // Files that did not parse, with the index of their (root) error.
    let mut unparsed: Vec<(FileId, usize)> = Vec::new();
    let texts: Vec<(FileId, &str)> =
        trees.iter().map(|(file, _)| (*file, sources.get(*file).map(|f| f.text.as_str()).unwrap_or(""))).collect();
    // One arena per file holds its tree: a little under half the file's bytes for
    // prose-heavy chapters (it grows when a file needs more).
    let mut arenas: Vec<ron_tree::Arena> = texts.iter().map(|(_, t)| ron_tree::Arena::with_capacity(t.len() / 2)).collect();
    for ((file, name), tree) in trees.iter().zip(parse_all(&texts, &mut arenas)) {
        match tree {
            Ok(v) => parsed.push((*file, name.clone(), v)),
            Err(e) => {
                unparsed.push((*file, d.list.len()));
                d.push(e);
                missing_files.push(name.clone());
            }
        }
    }
    missing_files.extend(m.files.iter().filter(|(n, _)| !trees.iter().any(|(_, t)| t == n)).map(|(n, _)| n.clone()));
    let mut raw: Vec<RawNode<'_>> = Vec::new();
    let mut chapters_out = Vec::new();
    let mut collect = |d: &mut Diags| {
        for (file, name, tree) in &parsed {
            let index = chapters_out.len() as u32;
            let title = chapter::collect(tree, *file, index, d, &mut raw).unwrap_or_default();
            chapters_out.push(Chapter { title, file: name.clone() });
        }
    };
    // The saves' hash of the sources (a serial pass over every byte) runs on the
    // other core while the nodes are collected, off the web.
    let content_hash = if threads_for(2) > 1 {
        std::thread::scope(|scope| {
            let h = scope.spawn(|| sources.content_hash());
            collect(&mut d);
            h.join().unwrap_or_else(|_| sources.content_hash())
        })
    } else {
        collect(&mut d);
        sources.content_hash()
    };
    manifest::check_unique(raw.iter().map(|n| (n.id.as_str(), n.id_span)), "node", &mut d);

    // Indices.
    let mut nodes_index: HashMap<String, u32> = HashMap::with_capacity(raw.len());
    for (i, n) in raw.iter().enumerate() {
        nodes_index.entry(n.id.clone()).or_insert(i as u32);
    }
    let vars_index: HashMap<String, (u32, Type)> =
        m.vars.iter().enumerate().map(|(i, v)| (v.decl.name.clone(), (i as u32, v.decl.ty))).collect();
    let chars_index: HashMap<String, u32> = m.characters.iter().enumerate().map(|(i, c)| (c.decl.id.clone(), i as u32)).collect();
    let endings_index: HashMap<String, u32> = m.endings.iter().enumerate().map(|(i, e)| (e.decl.id.clone(), i as u32)).collect();

    let scope = || StoryScope { vars: &vars_index, nodes: &nodes_index };
    let compiler = || Compiler {
        scope: scope(),
        characters: &chars_index,
        endings: &endings_index,
        once_slots: 0,
        vary_sites: 0,
        vary_site_node: Vec::new(),
        writes: Vec::new(),
        prose: ProseBuf::default(),
        conditions: HashMap::new(),
        effect_lists: HashMap::new(),
    };
    let mut c = compiler();
    let mut nodes = Vec::with_capacity(raw.len());
    let mut complete = true;
    for (part, mut nodes_part, part_d) in compile_nodes(&compiler, &raw) {
        // Each run numbered its once-only slots and variation sites from zero.
        for n in &mut nodes_part {
            n.shift_numbering(c.once_slots, c.vary_sites);
        }
        complete &= nodes_part.len() == part.len;
        c.once_slots += part.compiler.once_slots;
        c.vary_sites += part.compiler.vary_sites;
        c.vary_site_node.extend(part.compiler.vary_site_node);
        c.writes.extend(part.compiler.writes);
        d.list.extend(part_d.list);
        nodes.extend(nodes_part);
    }
    // The manifest's texts share one buffer, frozen once they are all compiled.
    let mut prose = ProseBuf::default();
    let characters: Vec<Character> = m
        .characters
        .iter()
        .map(|ch| {
            let name = match ch.decl.name {
                Some(lit) => {
                    let mut sites = 0;
                    TextParser::new(lit, mfile, &c.scope, &mut sites, &mut prose, false).parse().unwrap_or_else(|e| {
                        d.push(e);
                        Text::plain(lit.text)
                    })
                }
                None => Text::plain(&ch.decl.id),
            };
            Character { id: ch.decl.id.clone(), name, colour: ch.decl.colour, voice: ch.decl.voice }
        })
        .collect();
    // Ending descriptions are text like any other: their markup is checked here and
    // rendered wherever an ending is shown.
    let ending_texts: Vec<Text> = m
        .endings
        .iter()
        .map(|e| match ending_description(&root, &e.decl.id) {
            Some(lit) => {
                let mut sites = 0;
                TextParser::new(lit, mfile, &c.scope, &mut sites, &mut prose, false).parse().unwrap_or_else(|err| {
                    d.push(err);
                    Text::plain(&e.decl.description)
                })
            }
            None => Text::plain(&e.decl.description),
        })
        .collect();
    prose.freeze();
    let invariants: Vec<Expectation> = m.invariants.iter().filter_map(|v| c.expectation(v, mfile, &mut d).map(|e| *e)).collect();
    let start = match &m.start {
        Some((id, span)) => match nodes_index.get(id) {
            Some(&n) => Some(n),
            // The start node may be in a file that did not parse; that error says enough.
            None if !missing_files.is_empty() => None,
            None => {
                d.push(
                    Diagnostic::new(Code::UnknownNode, format!("the start node `{id}` does not exist"))
                        .at(*span, "no node has this id")
                        .maybe_help(super::diagnostic::did_you_mean(id, nodes_index.keys().map(String::as_str))),
                );
                None
            }
        },
        None => None,
    };
    if !missing_files.is_empty() {
        fold_into_root_errors(&mut d, &unparsed, &sources);
        let note = format!("nodes in {} are unknown until it can be read", missing_files.join(", "));
        for diag in d.list.iter_mut().filter(|x| x.code == Code::UnknownNode) {
            diag.notes.push(note.clone());
        }
    }
    let (once_slots, vary_sites, vary_site_node, writes) = (c.once_slots, c.vary_sites, c.vary_site_node, c.writes);
    let node_spans: Vec<Span> = raw.iter().map(|r| r.id_span).collect();
    drop(raw);

    let story = match start {
        Some(start) if complete && !d.has_errors() => {
            let mut node_order: Vec<u32> = (0..nodes.len() as u32).collect();
            node_order.sort_unstable_by(|&a, &b| nodes[a as usize].id.cmp(&nodes[b as usize].id));
            let node_order = node_order.into_boxed_slice();
            let story = Story {
                id: m.id.clone(),
                title: m.title.clone(),
                author: m.author.clone(),
                version: m.version.clone(),
                start,
                vars: m.vars.iter().map(|v| v.decl.clone()).collect(),
                characters,
                endings: m.endings.iter().map(|e| e.decl.clone()).collect(),
                chapters: chapters_out,
                nodes,
                once_slots,
                vary_sites,
                content_hash,
                node_order,
                var_index: vars_index.iter().map(|(k, v)| (k.clone(), v.0)).collect(),
                vary_site_node,
                ending_texts,
                invariants,
            };
            let spans = validate::Spans {
                nodes: &node_spans,
                vars: m.vars.iter().map(|v| v.span).collect(),
                characters: m.characters.iter().map(|c| c.span).collect(),
                endings: m.endings.iter().map(|e| e.span).collect(),
                writes: &writes,
            };
            validate::check(&story, &spans, &mut d);
            Some(story).filter(|_| !d.has_errors())
        }
        _ => None,
    };
    finish(story, d, sources, node_spans)
}

/// A run of nodes compiled together, and the compiler that numbered them.
struct Run<'a> {
    compiler: Compiler<'a>,
    len: usize,
}

/// Compiles the nodes in runs, one per core off the web (each run numbers its own
/// slots and sites from zero; the caller shifts them). Returns, per run in order, the
/// nodes that compiled and the diagnostics.
fn compile_nodes<'a>(compiler: &(impl Fn() -> Compiler<'a> + Sync), raw: &[RawNode<'_>]) -> Vec<(Run<'a>, Vec<super::story::Node>, Diags)> {
    let threads = threads_for(raw.len() / 1_000);
    let per = raw.len().div_ceil(threads).max(1);
    let runs: Vec<Range<usize>> = (0..threads).map(|k| (k * per).min(raw.len())..((k + 1) * per).min(raw.len())).collect();
    in_parallel(raw, &runs, |start, run| {
        let (mut c, mut d) = (compiler(), Diags::default());
        // The literals are a part of the source: its size bounds them (up to tidied
        // copies, rare).
        c.prose.reserve(run.iter().map(|r| r.value.span.end.saturating_sub(r.value.span.start) as usize).sum());
        let nodes: Vec<_> = run.iter().enumerate().filter_map(|(i, r)| c.node(r, (start + i) as u32, &mut d)).collect();
        c.prose.freeze();
        (Run { compiler: c, len: run.len() }, nodes, d)
    })
}

/// How many threads to use for `work` units: one per core, never more than units of
/// work, and always one in the browser.
pub(crate) fn threads_for(work: usize) -> usize {
    if cfg!(target_arch = "wasm32") {
        return 1;
    }
    std::thread::available_parallelism().map_or(1, |n| n.get()).min(work).max(1)
}

/// Runs `f` on each run of `items` (ranges, in order; `f` gets the run's start and
/// its items): the first on this thread, each other on its own. Results come back in
/// order, so they do not depend on the number of threads. A run whose thread
/// panicked (a bug) runs again here, so the panic surfaces on the caller's thread.
fn in_parallel<T: Sync, R: Send>(items: &[T], runs: &[Range<usize>], f: impl Fn(usize, &[T]) -> R + Sync) -> Vec<R> {
    let one = |r: &Range<usize>| f(r.start, &items[r.clone()]);
    let Some((first, rest)) = runs.split_first() else { return Vec::new() };
    if rest.is_empty() {
        return vec![one(first)];
    }
    std::thread::scope(|scope| {
        let handles: Vec<_> = rest.iter().map(|r| scope.spawn(|| one(r))).collect();
        let mut out = vec![one(first)];
        for (h, r) in handles.into_iter().zip(rest) {
            out.push(h.join().unwrap_or_else(|_| one(r)));
        }
        out
    })
}

/// Parses every chapter file, in file order. Off the web, the files are shared among
/// the machine's cores (contiguous runs of about equal size); the browser build has
/// one thread.
fn parse_all<'s>(texts: &'s [(FileId, &'s str)], arenas: &'s mut [ron_tree::Arena]) -> Vec<Result<ron_tree::Value<'s>, Diagnostic>> {
    let total: usize = texts.iter().map(|(_, t)| t.len()).sum();
    // Small stories are not worth a thread (a unit is 256 KiB of source).
    let threads = threads_for(texts.len().min(total / (256 * 1024)));
    // Cut into `threads` runs of roughly equal bytes, each with its files' arenas.
    let mut runs = Vec::with_capacity(threads);
    let (mut from, mut acc) = (0, 0);
    let mut arenas = arenas;
    for (i, (_, t)) in texts.iter().enumerate() {
        acc += t.len();
        if acc * threads >= total * (runs.len() + 1) && runs.len() + 1 < threads {
            let (mine, rest) = std::mem::take(&mut arenas).split_at_mut(i + 1 - from);
            runs.push((&texts[from..i + 1], mine));
            arenas = rest;
            from = i + 1;
        }
    }
    runs.push((&texts[from..], arenas));
    let parse_run = |(texts, arenas): (&'s [(FileId, &'s str)], &'s mut [ron_tree::Arena])| {
        texts.iter().zip(arenas).map(|((f, t), a)| ron_tree::parse(*f, t, a)).collect::<Vec<_>>()
    };
    let mut runs = runs.into_iter();
    let Some(first) = runs.next() else { return Vec::new() };
    if runs.len() == 0 {
        return parse_run(first);
    }
    std::thread::scope(|scope| {
        let handles: Vec<_> = runs.map(|r| scope.spawn(move || parse_run(r))).collect();
        let mut out = parse_run(first);
        for h in handles {
            // A parse that panicked (a bug) panics here, on the caller's thread.
            out.extend(h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)));
        }
        out
    })
}

/// Root cause first: an "unknown node" error whose id is defined in a file that did
/// not parse follows only from that file's error. Such errors are folded into one
/// note under the root error instead of being listed one by one.
fn fold_into_root_errors(d: &mut Diags, unparsed: &[(FileId, usize)], sources: &Sources) {
    let mut folded: Vec<Vec<String>> = vec![Vec::new(); unparsed.len()];
    let mut keep = Vec::with_capacity(d.list.len());
    // Where each root error lands once others are folded away.
    let mut moved: Vec<usize> = unparsed.iter().map(|u| u.1).collect();
    for (old, diag) in std::mem::take(&mut d.list).into_iter().enumerate() {
        for (m, u) in moved.iter_mut().zip(unparsed) {
            if u.1 == old {
                *m = keep.len();
            }
        }
        let owner = (diag.code == Code::UnknownNode)
            .then(|| diag.primary_span())
            .flatten()
            .and_then(|s| sources.get(s.file).and_then(|f| f.text.get(s.start as usize..s.end as usize)))
            .map(|t| t.trim_matches('"').to_string())
            .and_then(|id| {
                let quoted = format!("\"{id}\"");
                unparsed.iter().position(|(f, _)| sources.get(*f).is_some_and(|src| src.text.contains(&quoted))).map(|i| (i, id))
            });
        match owner {
            Some((i, id)) => folded[i].push(id),
            None => keep.push(diag),
        }
    }
    d.list = keep;
    for (at, mut ids) in moved.iter().zip(folded) {
        if ids.is_empty() {
            continue;
        }
        let n = ids.len();
        ids.sort();
        ids.dedup();
        let shown: Vec<String> = ids.iter().take(5).map(|i| format!("`{i}`")).collect();
        let more = if ids.len() > 5 { format!(" and {} more", ids.len() - 5) } else { String::new() };
        if let Some(root) = d.list.get_mut(*at) {
            root.notes.push(format!(
                "{n} other error{} follow from this one and are not shown: links to {}{more}, which this file defines",
                if n == 1 { "" } else { "s" },
                shown.join(", ")
            ));
        }
    }
}

fn finish(story: Option<Story>, d: Diags, sources: Sources, node_spans: Vec<Span>) -> Loaded {
    let mut diagnostics = d.list;
    // Errors first; then by file and position, so output reads top to bottom.
    // Root causes first (a file that cannot be read or parsed explains what follows).
    diagnostics.sort_by_key(|d| {
        let s = d.primary_span();
        let root = matches!(d.code, Code::Syntax | Code::FileUnreadable);
        (std::cmp::Reverse(d.severity), !root, s.map(|s| (s.file, s.start)))
    });
    Loaded { story, diagnostics, sources, node_spans }
}
