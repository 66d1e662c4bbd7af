//! The runtime, on the tutorial story and on small stories compiled in memory.

use crate::support::{expect_file, quill, story};
use epistle::narrative::{ChapterFile, ChooseError, Runner, SourceFile, Story, Value, compile};
use std::path::Path;
use std::sync::Arc;

/// Compiles a one-chapter story from strings; panics with the diagnostics if it fails.
pub fn inline(manifest: &str, chapter: &str) -> Arc<Story> {
    let ch = ChapterFile { name: "main.ron".into(), path: "main.ron".into(), text: Ok(chapter.into()) };
    let loaded = compile(SourceFile::new("story.ron", manifest), vec![ch]);
    match loaded.story {
        Some(s) => Arc::new(s),
        None => panic!("{:#?}", loaded.diagnostics.iter().map(|d| d.locate(&loaded.sources).one_line()).collect::<Vec<_>>()),
    }
}

fn texts(r: &Runner) -> Vec<String> {
    r.choices().into_iter().map(|c| c.text).collect()
}

fn pick(r: &mut Runner, text: &str) {
    let c = r.choices().into_iter().find(|c| c.text.starts_with(text)).unwrap_or_else(|| panic!("no choice `{text}` in {:?}", texts(r)));
    r.choose(c.index, None).unwrap_or_else(|e| panic!("cannot choose `{text}`: {e}"));
}

fn var(r: &Runner, name: &str) -> Value {
    let i = r.story().var_id(name).unwrap_or_else(|| panic!("no variable {name}"));
    r.state().vars[i as usize].clone()
}

#[test]
fn locked_choices_show_their_reason_and_hidden_ones_do_not_show() {
    let mut r = Runner::new(story("stories/tutorial"), 1);
    let offered = r.choices();
    let walk = offered.iter().find(|c| c.text.starts_with("Walk out")).map(|c| (c.enabled, c.reason.clone()));
    assert_eq!(walk, Some((false, Some("Maren still has the key.".into()))));
    assert!(!texts(&r).iter().any(|t| t == "Ask for the key"), "hidden until its condition holds");
    assert_eq!(r.choose(1, None), Err(ChooseError::NotAvailable));
    assert_eq!(r.clone().choose(99, None), Err(ChooseError::NoSuchChoice(99)));
}

#[test]
fn once_only_choices_go_and_sticky_ones_stay() {
    let mut r = Runner::new(story("stories/tutorial"), 1);
    pick(&mut r, "Ask Maren");
    let t = texts(&r);
    assert!(!t.iter().any(|t| t.starts_with("Ask Maren")), "{t:?}");
    assert!(t.iter().any(|t| t == "Ask for the key"), "{t:?}");
    pick(&mut r, "Ask for the key");
    let walk = r.choices().into_iter().find(|c| c.text.starts_with("Walk out")).map(|c| c.enabled);
    assert_eq!(walk, Some(true));
    assert_eq!(var(&r, "has_key"), Value::Bool(true));
    assert_eq!(var(&r, "courage"), Value::Int(2));
}

#[test]
fn variations_advance_and_text_reads_state() {
    let mut r = Runner::new(story("stories/tutorial"), 1);
    assert!(r.page().passages.iter().any(|p| &*p.text == "A gull watches you."));
    assert!(r.page().passages.iter().any(|p| &*p.text == "You came back."), "the `if` fragment is empty at courage 0");
    pick(&mut r, "Ask Maren");
    let page: Vec<&str> = r.page().passages.iter().map(|p| &*p.text).collect();
    assert!(page.contains(&"The gull again, unimpressed."), "{page:?}");
    assert!(page.contains(&"You came back. Braver, too, by the look of you."), "{page:?}");
    assert!(page.iter().any(|p| p.starts_with("It wants lighting every night. It has 2 cans")), "{page:?}");
}

#[test]
fn text_input_is_cleaned_and_defaults() {
    let s = story("stories/tutorial");
    let mut r = Runner::new(Arc::clone(&s), 1);
    let name = r.choices().into_iter().find(|c| c.input.is_some()).map(|c| (c.index, c.input));
    let Some((i, Some((prompt, default)))) = name else { panic!("no input choice") };
    assert_eq!((prompt.as_str(), default.as_str()), ("What is the boat called?", "Gull"));
    r.choose(i, Some("  Tern\u{7} {x} ")).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(var(&r, "boat_name"), Value::Str("Tern x".into()));
    let radio = s.character_id("radio").unwrap_or(0);
    assert_eq!(r.character_name(epistle::narrative::CharacterId(radio)), "The Tern x's radio");

    let mut r = Runner::new(Arc::clone(&s), 1);
    r.choose(i, Some("   ")).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(var(&r, "boat_name"), Value::Str("Gull".into()));
    let mut r = Runner::new(s, 1);
    r.choose(i, Some(&"x".repeat(500))).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(var(&r, "boat_name"), Value::Str("x".repeat(40)));
}

#[test]
fn conditional_next_counts_visits_to_an_ending() {
    let mut r = Runner::new(story("stories/tutorial"), 1);
    pick(&mut r, "Wait");
    pick(&mut r, "Wait");
    assert_eq!(r.ended(), None);
    pick(&mut r, "Wait");
    let drift = r.story().ending_id("drift");
    assert_eq!(r.ended(), drift.map(epistle::narrative::EndingId));
    assert_eq!(r.choose(0, None), Err(ChooseError::Ended));
    assert!(r.choices().is_empty());
}

#[test]
fn undo_restores_the_exact_state() {
    let s = story("stories/tutorial");
    let mut r = Runner::new(s, 3);
    pick(&mut r, "Ask Maren");
    let (state, page) = (r.state().clone(), r.page().clone());
    pick(&mut r, "Ask for the key");
    pick(&mut r, "Walk out");
    assert_eq!(r.undo_depth(), 3);
    assert_eq!(r.undo(2), 2);
    assert_eq!((r.state(), r.page()), (&state, &page));
    assert_eq!(r.undo(10), 1, "undo stops at the start");
    assert_eq!(r.state().turn, 0);
}

#[test]
fn same_seed_same_transcript_and_random_branches_cover_both_ways() {
    let s = story("stories/tutorial");
    let play = |seed: u64| {
        let mut r = Runner::new(Arc::clone(&s), seed);
        for c in ["Ask Maren", "Ask for the key", "Walk out"] {
            pick(&mut r, c);
        }
        r.page().passages.iter().map(|p| p.text.to_string()).collect::<Vec<_>>()
    };
    assert_eq!(play(42), play(42));
    let slipped = (0..64).filter(|&seed| play(seed).iter().any(|t| t.starts_with("You slip"))).count();
    assert!(slipped > 4 && slipped < 40, "weight 1 in 4 should slip about 16 times in 64, got {slipped}");
}

#[test]
fn fallback_is_taken_when_nothing_else_is_available_and_ints_clamp() {
    let s = inline(
        r#"Story(id: "t", title: "T", start: "hub", files: ["main.ron"],
            variables: [Int(name: "n", min: 0, max: 2)],
            endings: [Ending(id: "done", title: "Done")])"#,
        r#"Chapter(nodes: [
            Node(id: "hub", text: ["Hub {n}."], choices: [
                Choice(text: "Up", to: "hub", do: ["n += 5"]),
                Choice(text: "Down", to: "hub", do: ["n -= 1"]),
                Choice(fallback: true, to: "out"),
            ]),
            Node(id: "out", text: ["Out at {n}, after {turns()} turns."], ending: "done"),
        ])"#,
    );
    let mut r = Runner::new(s, 0);
    pick(&mut r, "Up");
    assert_eq!(var(&r, "n"), Value::Int(2), "clamped to max");
    pick(&mut r, "Down");
    assert_eq!(r.ended(), Some(epistle::narrative::EndingId(0)), "both once-only choices taken: the fallback ends it");
    assert_eq!(r.page().passages.last().map(|p| &*p.text), Some("Out at 1, after 2 turns."));
}

#[test]
fn a_hub_with_no_way_out_reports_stuck() {
    let s = inline(
        r#"Story(id: "t", title: "T", start: "hub", files: ["main.ron"], endings: [Ending(id: "e", title: "E")])"#,
        r#"Chapter(nodes: [
            Node(id: "hub", text: ["Hub."], choices: [Choice(text: "Once", to: "hub"), Choice(text: "End", to: "end", when: "false")]),
            Node(id: "end", text: ["End."], ending: "e"),
        ])"#,
    );
    let mut r = Runner::new(s, 0);
    pick(&mut r, "Once");
    assert!(r.page().stuck.as_deref().is_some_and(|s| s.contains("`hub`")), "{:?}", r.page().stuck);
}

#[test]
fn runner_is_send_and_sync() {
    fn check<T: Send + Sync + 'static>() {}
    check::<Runner>();
}

#[test]
fn scripted_quill_play_matches_its_transcript() {
    let script = "1\n2\nName\n Tern \nWait\n1\nundo\nWalk\nLight\nCall\nRow\n";
    let out = quill(&["play", "stories/tutorial", "--seed", "7", "--quiet"], Some(script));
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(text.ends_with("ending: home\n"), "{text}");
    expect_file(Path::new("tests/fixtures/transcripts/tutorial-seed7.txt"), &text);
    let again = quill(&["play", "stories/tutorial", "--seed", "7", "--quiet"], Some(script));
    assert_eq!(String::from_utf8_lossy(&again.stdout), text, "same seed and choices, same transcript");
}

#[test]
fn a_writer_can_start_at_any_node_with_any_state() {
    let s = story("stories/tutorial");
    let r = Runner::start_at(Arc::clone(&s), 1, "lamp_room", &["oil=0".into(), "lamp_lit=true".into(), "boat_name=Tern".into()])
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.story().node(r.state().node).id, "lamp_room");
    assert!(r.page().passages.iter().any(|p| &*p.text == "That was the last can."), "{:?}", r.page().passages);
    assert!(texts(&r).iter().any(|t| t == "Row home"));
    let err = Runner::start_at(Arc::clone(&s), 1, "lamp_rom", &[]).err().map(|e| e.to_string());
    assert_eq!(err.as_deref(), Some("there is no node `lamp_rom` (did you mean `lamp_room`?)"));
    let err = Runner::start_at(Arc::clone(&s), 1, "shore", &["oil=lots".into()]).err().map(|e| e.to_string());
    assert_eq!(err.as_deref(), Some("`oil` is an integer, and `lots` is not"));
    let out = quill(&["play", "stories/tutorial", "--start", "lamp_room", "--set", "lamp_lit=true", "--quiet"], Some("Row\n"));
    assert!(String::from_utf8_lossy(&out.stdout).ends_with("ending: home\n"));
}

#[test]
fn an_edited_story_keeps_the_reader_in_place_with_the_new_text() {
    const MANIFEST: &str = r#"Story(id: "live", title: "Live", start: "a", files: ["main.ron"],
        variables: [Int(name: "n")], endings: [Ending(id: "e", title: "E")])"#;
    let v1 = inline(
        MANIFEST,
        r#"Chapter(nodes: [
        Node(id: "a", text: ["First draft."], choices: [Choice(text: "On", to: "b", do: ["n += 2"])]),
        Node(id: "b", text: ["B, with n at {n}."], choices: [Choice(text: "End", to: "end")]),
        Node(id: "end", text: ["End."], ending: "e"),
    ])"#,
    );
    let mut r = Runner::new(v1, 0);
    pick(&mut r, "On");
    let v2 = inline(
        MANIFEST,
        r#"Chapter(nodes: [
        Node(id: "a", text: ["Second draft."], choices: [Choice(text: "On", to: "b", do: ["n += 2"])]),
        Node(id: "b", text: ["B rewritten: n is {n}."], choices: [Choice(text: "End", to: "end"), Choice(text: "New way", to: "end")]),
        Node(id: "end", text: ["End."], ending: "e"),
    ])"#,
    );
    let (r2, m) = r.migrate_to(v2).unwrap_or_else(|e| panic!("{e}"));
    assert!(m.story_changed);
    assert_eq!(r2.story().node(r2.state().node).id, "b");
    assert_eq!(r2.page().passages.iter().map(|p| &*p.text).collect::<Vec<_>>(), ["B rewritten: n is 2."]);
    assert_eq!(texts(&r2), ["End", "New way"]);
}

/// Collects the variation sites of a text in the order they are written.
fn sites(t: &epistle::narrative::text::Text, out: &mut Vec<u32>) {
    use epistle::narrative::text::Seg;
    for seg in t.markup() {
        match seg {
            Seg::Vary(v) => {
                out.push(v.site);
                v.alts.iter().for_each(|a| sites(a, out));
            }
            Seg::If(branch) => {
                sites(&branch.1, out);
                sites(&branch.2, out);
            }
            Seg::Lit(_) | Seg::Expr(_) => {}
        }
    }
}

#[test]
fn a_large_story_compiled_in_parallel_is_numbered_as_if_read_in_order() {
    // Large enough (two files, 3,000 nodes, about 1 MB) for the loader to parse,
    // compile and check it on every core.
    let pad = "The lamp burns low and the sea goes on talking to the rocks below the tower. ".repeat(4);
    let node = |i: usize| {
        format!(
            "Node(id: \"n{i}\", text: [\"{pad}{{cycle: one|two|three}}\", \"{{once: first|}} {pad}\"], choices: [\
             Choice(\"On\", \"n{next}\"), Choice(\"Back\", \"n{back}\"), Choice(text: \"Stay\", to: \"n{i}\", sticky: true)]),\n",
            next = (i + 1) % 3000,
            back = i.saturating_sub(1)
        )
    };
    let file = |range: std::ops::Range<usize>| format!("Chapter(nodes: [\n{}])", range.map(node).collect::<String>());
    let manifest = r#"Story(id: "big", title: "Big", start: "n0", files: ["a.ron", "b.ron"])"#;
    let chapters = vec![
        ChapterFile { name: "a.ron".into(), path: "a.ron".into(), text: Ok(file(0..1500)) },
        ChapterFile { name: "b.ron".into(), path: "b.ron".into(), text: Ok(file(1500..3000)) },
    ];
    let loaded = compile(SourceFile::new("story.ron", manifest), chapters);
    let Some(story) = loaded.story else { panic!("{:?}", loaded.diagnostics.first().map(|d| d.message.clone())) };
    // Once-only slots: 0, 1, 2, … in node order, then choice order.
    let slots: Vec<u32> = story.nodes.iter().flat_map(|n| n.choices.iter().filter_map(|c| c.once_slot())).collect();
    assert_eq!(slots.len(), 6_000);
    assert!(slots.iter().enumerate().all(|(i, s)| *s as usize == i), "slots out of order");
    assert_eq!(story.once_slots, 6_000);
    // Variation sites likewise, each belonging to the node it is written in.
    let mut all = Vec::new();
    for (i, n) in story.nodes.iter().enumerate() {
        let from = all.len();
        n.passages.iter().for_each(|p| sites(&p.text, &mut all));
        assert!(all[from..].iter().all(|s| story.vary_site_node[*s as usize] as usize == i));
    }
    assert_eq!(all.len(), 6_000);
    assert!(all.iter().enumerate().all(|(i, s)| *s as usize == i), "sites out of order");
    // And it plays: each node's cycle turns on its own.
    let mut r = Runner::new(Arc::new(story), 1);
    assert!(r.page().passages[0].text.ends_with("one"));
    pick(&mut r, "On");
    assert!(r.page().passages[0].text.ends_with("one"), "n1 on its first visit");
    pick(&mut r, "Back");
    assert!(r.page().passages[0].text.ends_with("two"), "n0 again: {:?}", r.page().passages[0].text);
}

#[test]
fn repeated_conditions_effects_and_short_texts_are_held_once_and_behave_as_written() {
    let s = inline(
        r#"Story(id: "t", title: "T", start: "a", files: ["main.ron"],
            variables: [Int(name: "trust"), Int(name: "fear")],
            endings: [Ending(id: "done", title: "Done")])"#,
        r#"Chapter(nodes: [
            Node(id: "a", text: [Line(text: "She waits.", when: "trust >= 1"), "The room is quiet."], choices: [
                Choice(text: "Stay", to: "b", do: ["trust += 1", "fear -= 1"], sticky: true),
                Choice(text: "Go", to: "b", when: "trust >= 1", sticky: true),
            ]),
            Node(id: "b", text: [Line(text: "She smiles.", when: "trust >= 1"), "The room is warm."], choices: [
                Choice(text: "Stay", to: "a", do: ["trust += 1", "fear -= 1"], sticky: true),
                Choice(text: "Go", to: "end", when: "trust >= 1", sticky: true),
                Choice(text: "Leave", to: "end", do: ["fear += 1"], sticky: true),
            ]),
            Node(id: "end", text: ["Done."], ending: "done"),
        ])"#,
    );
    let (a, b) = (s.node(0), s.node(1));
    let (wa, wb) = (a.choices[1].when.as_ref(), b.choices[1].when.as_ref());
    assert!(wa.zip(wb).is_some_and(|(x, y)| Arc::ptr_eq(x, y)), "one condition for both choices");
    let (pa, pb) = (a.passages[0].when.as_ref(), b.passages[0].when.as_ref());
    assert!(pa.zip(wa).is_some_and(|(x, y)| Arc::ptr_eq(x, y)), "a passage's condition is the same one");
    assert!(pb.is_some_and(|p| p.src.as_ref() == "trust >= 1"));
    assert_eq!(a.choices[0].effects.as_ptr(), b.choices[0].effects.as_ptr(), "one effect list for both");
    assert_ne!(b.choices[2].effects.as_ptr(), b.choices[0].effects.as_ptr());
    let text = |n: &epistle::narrative::story::Node, c: usize| n.choices[c].text.as_literal().map(|t| t.as_ptr());
    assert_eq!(text(a, 0), text(b, 0), "\"Stay\" is stored once");
    assert_eq!((a.choices[0].key(), b.choices[1].key()), ("Stay", "Go"));

    // Shared, they still behave as written in each place.
    let mut r = Runner::new(s, 1);
    assert_eq!(r.page().passages.iter().map(|p| p.text.as_str()).collect::<Vec<_>>(), ["The room is quiet."]);
    assert_eq!(texts(&r), ["Stay"]);
    pick(&mut r, "Stay");
    assert_eq!((var(&r, "trust"), var(&r, "fear")), (Value::Int(1), Value::Int(-1)));
    assert_eq!(r.page().passages.iter().map(|p| p.text.as_str()).collect::<Vec<_>>(), ["She smiles.", "The room is warm."]);
    assert_eq!(texts(&r), ["Stay", "Go", "Leave"]);
    pick(&mut r, "Stay");
    assert_eq!((var(&r, "trust"), var(&r, "fear")), (Value::Int(2), Value::Int(-2)));
}
