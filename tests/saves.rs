//! Saves: round trips, migration across story edits, replay, and bad files.

use crate::runtime::inline;
use crate::support::story;
use epistle::narrative::{Runner, Save, SaveError, Value};
use std::sync::Arc;

fn pick(r: &mut Runner, text: &str) {
    let c = r.choices().into_iter().find(|c| c.text.starts_with(text)).unwrap_or_else(|| panic!("no choice `{text}`"));
    r.choose(c.index, None).unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn a_save_round_trips_and_keeps_the_whole_undo_history() {
    let s = story("stories/tutorial");
    let mut r = Runner::new(Arc::clone(&s), 9);
    for c in ["Ask Maren", "Ask for the key", "Walk out"] {
        pick(&mut r, c);
    }
    let text = Save::capture(&r).to_ron();
    let save = Save::from_ron(&text).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(save.chapter, "The Tower");
    assert!(!save.preview.is_empty());
    let (back, m) = save.restore(Arc::clone(&s)).unwrap_or_else(|e| panic!("{e}"));
    assert!(m.is_clean() && m.lines().is_empty());
    assert_eq!(back.state(), r.state());
    assert_eq!(back.page(), r.page());
    assert_eq!(back.undo_depth(), 3, "an unchanged story replays the log, so undo reaches the start");
}

const V1_MANIFEST: &str = r#"Story(id: "m", title: "M", version: "1", start: "a", files: ["main.ron"],
    variables: [Int(name: "n"), Bool(name: "old_flag"), Str(name: "who", default: "x")],
    endings: [Ending(id: "e", title: "E")])"#;
const V1_CHAPTER: &str = r#"Chapter(title: "One", nodes: [
    Node(id: "a", text: ["A {n} {who}{if old_flag: !}"], choices: [
        Choice(text: "To b", to: "b", do: ["n += 1", "old_flag = true", "who = 'y'"]),
        Choice(text: "Gone", to: "gone"),
    ]),
    Node(id: "gone", text: ["G."], next: "b"),
    Node(id: "b", text: ["B {n}."], choices: [Choice(text: "End", to: "end"), Choice(text: "Back", to: "a", sticky: true)]),
    Node(id: "end", text: ["E."], ending: "e"),
])"#;

fn v1_save() -> Save {
    let mut r = Runner::new(inline(V1_MANIFEST, V1_CHAPTER), 5);
    for c in ["Gone", "Back", "To b"] {
        pick(&mut r, c);
    }
    Save::capture(&r)
}

#[test]
fn restoring_against_an_edited_story_migrates_and_reports() {
    let save = v1_save();
    // v2: `old_flag` and the `gone` scene removed, `new_var` added, `who` retyped,
    // `n` given a range its saved value falls outside of.
    let v2 = inline(
        r#"Story(id: "m", title: "M", version: "2", start: "a", files: ["main.ron"],
            variables: [Int(name: "n", max: 0), Int(name: "who"), Int(name: "new_var", default: 5)],
            endings: [Ending(id: "e", title: "E")])"#,
        r#"Chapter(title: "One", nodes: [
            Node(id: "a", text: ["A {n} {who} {new_var}"], choices: [Choice(text: "To b", to: "b", do: ["n += 1", "who = 2", "new_var += 1"])]),
            Node(id: "b", text: ["B {n}."], choices: [Choice(text: "End", to: "end"), Choice(text: "Back", to: "a", sticky: true)]),
            Node(id: "end", text: ["E."], ending: "e"),
        ])"#,
    );
    let (mut r, m) = save.restore(Arc::clone(&v2)).unwrap_or_else(|e| panic!("{e}"));
    assert!(m.story_changed);
    assert_eq!(m.old_version.as_deref(), Some("1"));
    assert_eq!(m.added, ["new_var"]);
    assert_eq!(m.removed, ["old_flag"]);
    assert_eq!(m.retyped, ["who"]);
    assert_eq!(m.clamped, ["n"]);
    assert_eq!(m.lost_nodes, ["gone"]);
    assert_eq!(m.lost_choices, 1, "`a/Gone` was taken and no longer exists");
    assert!(m.lines().iter().any(|l| l.contains("`new_var`")), "{:?}", m.lines());
    let vars: Vec<&Value> = r.state().vars.iter().collect();
    assert_eq!(vars, [&Value::Int(0), &Value::Int(0), &Value::Int(5)]);
    assert_eq!(r.page().passages.first().map(|p| &*p.text), Some("B 1."), "the page as the reader left it");
    pick(&mut r, "End");
    assert_eq!(r.ended(), Some(epistle::narrative::EndingId(0)));
}

#[test]
fn a_removed_current_node_is_reported_and_the_log_can_be_replayed() {
    let save = v1_save();
    // v3: node `b` renamed `b2`; every choice still exists.
    let v3 = inline(V1_MANIFEST, &V1_CHAPTER.replace("\"b\"", "\"b2\""));
    let err = save.restore(Arc::clone(&v3)).err();
    assert_eq!(err, Some(SaveError::NodeGone { node: "b".into(), turns: 3 }));
    let msg = err.map(|e| e.to_string()).unwrap_or_default();
    assert!(msg.contains("replayed"), "{msg}");
    let (r, m) = save.replay(v3).unwrap_or_else(|e| panic!("{e}"));
    assert!(m.replayed);
    assert_eq!(r.story().node(r.state().node).id, "b2");
    assert_eq!(r.state().turn, 3);
    // Without the `Gone` choice, replay cannot follow the log, and says where.
    let v4 = inline(V1_MANIFEST, &V1_CHAPTER.replace("Choice(text: \"Gone\", to: \"gone\"),", "").replace("\"b\"", "\"b2\""));
    let err = save.replay(v4).err().map(|e| e.to_string()).unwrap_or_default();
    assert!(err.contains("choice 1"), "{err}");
}

#[test]
fn bad_save_files_are_reported_never_panicked() {
    let good = v1_save().to_ron();
    let truncated = &good[..good.len() / 2];
    assert!(matches!(Save::from_ron(truncated), Err(SaveError::Corrupt { .. })));
    assert!(matches!(Save::from_ron(""), Err(SaveError::Corrupt { .. })));
    assert!(matches!(Save::from_ron("\u{0}\u{1}garbage"), Err(SaveError::Corrupt { .. })));
    let newer = good.replacen("format: 1", "format: 99", 1);
    assert_eq!(Save::from_ron(&newer), Err(SaveError::TooNew(99)));
    let foreign = Save::from_ron(&good).unwrap_or_else(|e| panic!("{e}"));
    let err = foreign.restore(story("stories/tutorial")).err();
    assert_eq!(err, Some(SaveError::WrongStory { expected: "tutorial".into(), found: "m".into() }));
    let Err(SaveError::Corrupt { line, .. }) = Save::from_ron(&good.replacen("turn:", "turn: \"x\", oops:", 1)) else {
        panic!("a mangled field must be reported as corrupt")
    };
    assert!(line > 1, "the error says where");
}
