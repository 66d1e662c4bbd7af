//! Entry points for fuzzers: each takes arbitrary bytes, drives one input surface of
//! the core, and panics only if an invariant breaks (a crash is what a fuzzer
//! reports). The cargo-fuzz targets in `fuzz/` and the stable driver in
//! `tests/fuzz.rs` call these same functions, so both find the same bugs.
//!
//! - [`load_story`]: a manifest and chapter files, compiled as a story folder is;
//! - [`expr_and_markup`]: the bytes as a condition, an effect and a passage's markup;
//! - [`save_into_story`]: the bytes as a save file, restored into a story;
//! - [`run_steps`]: the bytes as a reader's choices (and undo, and typed text).

use super::load::{ChapterFile, compile};
use super::runner::Runner;
use super::save::Save;
use super::source::SourceFile;
use super::story::Story;
use super::value::Value;
use std::sync::Arc;

/// Splits fuzz input into a manifest and chapters: parts separated by a line holding
/// only `=====`. The parts after the manifest are handed over under the names the
/// manifest lists, in order (`x1.ron`, `x2.ron`, … past the end of its list).
pub fn load_story(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let mut parts = text.split("\n=====\n");
    let manifest = parts.next().unwrap_or_default().to_string();
    let listed = super::manifest::listed_files(&manifest);
    let chapters: Vec<ChapterFile> = parts
        .take(super::manifest::MAX_FILES)
        .enumerate()
        .map(|(i, body)| {
            let name = listed.get(i).cloned().unwrap_or_else(|| format!("x{i}.ron"));
            ChapterFile { name: name.clone(), path: name, text: Ok(body.to_string()) }
        })
        .collect();
    let loaded = compile(SourceFile::new("story.ron", manifest), chapters);
    for d in &loaded.diagnostics {
        // Every diagnostic resolves to a place in the files read.
        let _ = d.locate(&loaded.sources).one_line();
    }
    // The editor's index: every occurrence covers exactly its id, on character
    // boundaries of its file.
    for o in super::index::occurrences(&loaded.sources) {
        let text = loaded.sources.get(o.span.file).map_or("", |f| f.text.as_str());
        let got = text.get(o.span.start as usize..o.span.end as usize);
        assert!(got.is_some(), "an occurrence of `{}` is not on character boundaries", o.name);
    }
    if let Some(story) = loaded.story {
        drive(&Arc::new(story), data);
    }
}

/// The manifest the expression target compiles against: every type of variable.
const EXPR_MANIFEST: &str = r#"Story(id: "fuzz", title: "Fuzz", start: "start", files: ["a.ron"],
    variables: [Int(name: "n", default: 3, min: -5, max: 50), Int(name: "big", default: 0), Bool(name: "b"), Str(name: "s", default: "x")],
    characters: [Character(id: "ann", name: "Ann {n}")],
    endings: [Ending(id: "end", title: "End", description: "{s}")])"#;

/// The bytes as an expression: a choice's `when`, an effect, and a passage's text.
pub fn expr_and_markup(data: &[u8]) {
    let src = String::from_utf8_lossy(data);
    let lit = ron_string(&src);
    let chapter = format!(
        r#"Chapter(title: "C", nodes: [
    Node(id: "start", text: [{lit}, Say("ann", "hi")], choices: [
        Choice(text: "a", to: "start", when: {lit}),
        Choice(text: "b", to: "start", do: [{lit}]),
        Choice(text: "c {{n}}", to: "done", do: ["n += 1", "b = !b", "s = s + 'y'", "big = big * 3 + n"]),
    ]),
    Node(id: "done", text: ["{{if b: yes | no}}"], ending: "end"),
])"#
    );
    let files = vec![ChapterFile { name: "a.ron".into(), path: "a.ron".into(), text: Ok(chapter) }];
    let loaded = compile(SourceFile::new("story.ron", EXPR_MANIFEST), files);
    for d in &loaded.diagnostics {
        let _ = d.locate(&loaded.sources).one_line();
    }
    if let Some(story) = loaded.story {
        drive(&Arc::new(story), data);
    }
}

/// The bytes as a save file, restored into `story` (and replayed); what comes back
/// must be a consistent playthrough.
pub fn save_into_story(story: &Arc<Story>, data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(save) = Save::from_ron(text) else { return };
    for (mut r, _) in [save.restore(Arc::clone(story)), save.replay(Arc::clone(story))].into_iter().flatten() {
        check_state(&r);
        let choices = r.choices();
        if let Some(c) = choices.iter().find(|c| c.enabled) {
            let _ = r.choose(c.index, Some("typed"));
            check_state(&r);
        }
    }
}

/// The bytes as a reader at `story`: the first eight are the seed, then each byte
/// picks among the offered choices; 255 undoes, 254 restarts, 253 round-trips a save.
pub fn run_steps(story: &Arc<Story>, data: &[u8]) {
    drive(story, data);
}

fn drive(story: &Arc<Story>, data: &[u8]) {
    let mut seed = [0u8; 8];
    for (s, d) in seed.iter_mut().zip(data) {
        *s = *d;
    }
    let mut r = Runner::new(Arc::clone(story), u64::from_le_bytes(seed));
    check_state(&r);
    for (k, &b) in data.iter().skip(8).take(4096).enumerate() {
        match b {
            255 => {
                r.undo(1);
            }
            254 => r.restart(),
            253 => {
                let text = Save::capture(&r).to_ron();
                let back = Save::from_ron(&text).unwrap_or_else(|e| panic!("a save this build wrote does not read back: {e}\n{text}"));
                let (again, _) = back.restore(Arc::clone(story)).unwrap_or_else(|e| panic!("a fresh save does not restore: {e}"));
                assert_eq!(again.state().node, r.state().node, "a save round trip moved the reader");
                assert_eq!(again.state().vars, r.state().vars, "a save round trip changed the variables");
                r = again;
            }
            _ => {
                let offered: Vec<_> = r.choices().into_iter().filter(|c| c.enabled).collect();
                if offered.is_empty() {
                    continue;
                }
                let c = &offered[b as usize % offered.len()];
                let typed = String::from_utf8_lossy(&data[k.min(data.len())..data.len().min(k + 12)]).into_owned();
                let _ = r.choose(c.index, Some(&typed));
            }
        }
        check_state(&r);
    }
}

/// What must hold of every state: integers within their declared range, strings
/// within their cap, the reader at a real node.
fn check_state(r: &Runner) {
    let story = r.story();
    let st = r.state();
    assert!((st.node as usize) < story.nodes.len(), "the reader is at node {} of {}", st.node, story.nodes.len());
    for (d, v) in story.vars.iter().zip(&st.vars) {
        match v {
            Value::Int(n) => assert_eq!(*n, d.clamp(*n), "`{}` = {n} is outside its range", d.name),
            Value::Str(s) => assert!(s.len() <= super::expr::MAX_STR_BYTES, "`{}` grew to {} bytes", d.name, s.len()),
            Value::Bool(_) => {}
        }
    }
}

/// `s` as a RON string literal.
fn ron_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            _ => out.push(c),
        }
    }
    out.push('"');
    out
}
