//! Proving a story: expectations and invariants checked everywhere the story runs,
//! coverage-guided search against random play, and the balance report. Each behaviour
//! on a small story built to show it.

use crate::support::quill;
use epistle::narrative::explore::{Limits, explore};
use epistle::narrative::guided::{Mode, search};
use epistle::narrative::story::ExpectSite;
use epistle::narrative::story_test::{self, StoryTest};
use epistle::narrative::{Runner, SourceFile, Sources, Story, load_dir};
use std::path::{Path, PathBuf};
use std::sync::Arc;

fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("epistle-proofs-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap_or_else(|e| panic!("cannot create {}: {e}", d.display()));
    d
}

fn write(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
}

/// A one-chapter story; `extra` goes into the manifest (e.g. `invariants: [..]`).
fn story_in(dir: &Path, vars: &str, endings: &str, extra: &str, nodes: &str) -> Arc<Story> {
    write(
        &dir.join("story.ron"),
        &format!(r#"Story(id: "p", title: "P", start: "a", files: ["a.ron"], variables: [{vars}], endings: [{endings}], {extra})"#),
    );
    write(&dir.join("a.ron"), &format!("Chapter(title: \"A\", nodes: [{nodes}])"));
    let loaded = load_dir(dir);
    let problems: Vec<String> = loaded.diagnostics.iter().map(|d| d.locate(&loaded.sources).one_line()).collect();
    match loaded.story {
        Some(s) if problems.is_empty() => Arc::new(s),
        _ => panic!("{} does not load cleanly:\n{}", dir.display(), problems.join("\n")),
    }
}

/// The roof: telling is optional, and a later line presumes it. The path that keeps
/// the promise is the shorter one, so a state key that forgot `told` would merge the
/// failing path into the passing one and hide the slip.
const ROOF: &str = r#"
    Node(id: "a", text: "The roof.", choices: [
        Choice("Go straight down", "b"),
        Choice(text: "Tell her everything", to: "a2", do: ["told = true"]),
        Choice("Watch the city", "a3"),
    ]),
    Node(id: "a2", text: "She listens.", next: "b"),
    Node(id: "a3", text: "Lights.", choices: [Choice("Go down at last", "b")]),
    Node(id: "b", text: [
        "Downstairs.",
        Line(expect: "told", text: "She remembers what he told her up there."),
    ], choices: [
        Choice(text: "Leave", to: "c", do: ["left = true"]),
        Choice(text: "Stay", to: "c", do: ["stayed = true"], expect: "!left"),
    ]),
    Node(id: "c", expect: "left || stayed", text: "Later.", choices: [
        Choice(text: "Change his mind", to: "d", do: ["left = true", "stayed = true"]),
        Choice("Let it be", "d"),
    ]),
    Node(id: "d", ending: "end"),
"#;
const ROOF_VARS: &str = r#"Bool(name: "told"), Bool(name: "left"), Bool(name: "stayed")"#;
const END: &str = r#"Ending(id: "end", title: "End")"#;

#[test]
fn explore_finds_each_failed_expectation_on_a_shortest_path() {
    let dir = scratch("roof");
    let story = story_in(&dir, ROOF_VARS, END, r#"invariants: ["!(left && stayed)"]"#, ROOF);
    let ex = explore(&story, Limits::default());
    assert!(ex.complete);
    let b = story.node_id("b").unwrap_or(u32::MAX);
    let sites: Vec<ExpectSite> = ex.broken.iter().map(|(s, _)| *s).collect();
    assert_eq!(sites, [ExpectSite::Passage { node: b, passage: 1 }, ExpectSite::Invariant(0)], "{:?}", ex.broken);
    // Shortest: one choice ("Go straight down") breaks the line's expectation; the
    // invariant needs three.
    let choices = |steps: &[epistle::narrative::explore::Step]| steps.len();
    assert_eq!(choices(&ex.broken[0].1), 1);
    assert_eq!(choices(&ex.broken[1].1), 3);
    // The choice's and the node's expectations hold on every path: not reported.
    assert!(!sites.iter().any(|s| matches!(s, ExpectSite::Choice { .. } | ExpectSite::Node(_))));
    assert_eq!(
        story.broken_message(ExpectSite::Passage { node: b, passage: 1 }),
        "the expectation `told` of passage 2 of node `b` does not hold"
    );
}

#[test]
fn the_runner_reports_failed_expectations_on_the_page_and_tests_fail_there() {
    let dir = scratch("roof-runner");
    let story = story_in(&dir, ROOF_VARS, END, r#"invariants: ["!(left && stayed)"]"#, ROOF);
    let mut r = Runner::new(Arc::clone(&story), 0);
    assert!(r.page().broken.is_empty());
    assert!(r.choose(1, None).is_ok(), "tell her");
    assert!(r.page().broken.is_empty(), "the promise is kept: {:?}", r.page().broken);
    let mut r = Runner::new(Arc::clone(&story), 0);
    assert!(r.choose(0, None).is_ok(), "go straight down");
    assert_eq!(r.page().broken.len(), 1);
    // The reader still sees the text: an expectation never changes the story.
    assert!(r.page().passages.iter().any(|p| p.text.contains("remembers")));
    // A story test fails at the step where one breaks.
    let mut sources = Sources::default();
    let file = SourceFile::new("t.ron", r#"StoryTest(name: "down", steps: ["Go straight down", "Leave", "Let it be"], ending: "end")"#);
    let (tests, diags) = story_test::parse(&story, file, &mut sources);
    assert!(diags.is_empty(), "{diags:?}");
    let t: &StoryTest = &tests[0];
    let out = story_test::run(&story, t);
    assert!(!out.passed());
    assert!(out.failures[0].starts_with("after step 1: the expectation `told`"), "{:?}", out.failures);
}

#[test]
fn quill_explore_random_and_record_report_failed_expectations() {
    let dir = scratch("roof-quill");
    story_in(&dir, ROOF_VARS, END, r#"invariants: ["!(left && stayed)"]"#, ROOF);
    let d = dir.display().to_string();
    let out = quill(&["explore", &d], None);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "a failed expectation fails the run:\n{text}");
    assert!(text.contains("Expectations: 2 of 4 FAIL on some path"), "{text}");
    assert!(text.contains("replay: printf '1\\n' | quill play"), "a replayable command:\n{text}");
    let out = quill(&["random", "40", &d], None);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1));
    assert!(text.contains("2 expectation(s) failed"), "{text}");
    // Recorded as tests, they fail until the story keeps its promise.
    let tests = dir.join("tests");
    let out = quill(&["explore", &d, "--record", &tests.display().to_string()], None);
    assert!(String::from_utf8_lossy(&out.stdout).contains("expectation-1.ron"));
    let out = quill(&["test", &d], None);
    assert!(!out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));
}

#[test]
fn an_expectation_that_holds_everywhere_is_proved() {
    let dir = scratch("kept");
    // Every way down passes through telling her.
    let nodes = ROOF
        .replace(r#"Choice("Go straight down", "b"),"#, "")
        .replace(r#"Choice(text: "Tell her everything", to: "a2", do: ["told = true"]),"#, r#"Choice("Tell her everything", "a2"),"#)
        .replace(r#"Node(id: "a2", text:"#, r#"Node(id: "a2", do: ["told = true"], text:"#)
        .replace(r#"Choice("Go down at last", "b")"#, r#"Choice("Go down at last", "a2")"#)
        .replace(r#"Choice(text: "Change his mind", to: "d", do: ["left = true", "stayed = true"]),"#, "");
    story_in(&dir, ROOF_VARS, END, "", &nodes);
    let out = quill(&["explore", &dir.display().to_string()], None);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("Expectations: all 3 hold on every path (proved by the complete exploration)"), "{text}");
}

#[test]
fn expectations_are_type_checked_and_located() {
    let dir = scratch("typed");
    write(
        &dir.join("story.ron"),
        r#"Story(id: "p", title: "P", start: "a", files: ["a.ron"], variables: [Int(name: "n")], endings: [Ending(id: "end", title: "End")], invariants: ["n"])"#,
    );
    write(&dir.join("a.ron"), r#"Chapter(title: "A", nodes: [Node(id: "a", expect: "seen(nowhere)", text: "x", ending: "end")])"#);
    let loaded = load_dir(&dir);
    let lines: Vec<String> = loaded.diagnostics.iter().map(|d| d.locate(&loaded.sources).one_line()).collect();
    assert!(lines.iter().any(|l| l.contains("story.ron:1:") && l.contains("E01")), "the invariant is not a condition: {lines:?}");
    assert!(lines.iter().any(|l| l.contains("a.ron:1:") && l.contains("nowhere")), "unknown node in an expectation: {lines:?}");
}

/// Eight binary choices; the secret needs all eight "yes": 1 in 256 at random.
fn ladder() -> String {
    let mut nodes = String::new();
    for i in 0..8 {
        let next = if i == 7 { "gate".to_string() } else { format!("s{}", i + 1) };
        nodes.push_str(&format!(
            r#"Node(id: "{}", text: "Step {i}.", choices: [Choice(text: "Yes", to: "{next}", do: ["x += 1"]), Choice("No", "{next}")]),"#,
            if i == 0 { "a".to_string() } else { format!("s{i}") }
        ));
    }
    nodes.push_str(r#"Node(id: "gate", next: [If("x == 8", "top"), If("x >= 4", "mid"), Else("low")]),"#);
    nodes.push_str(r#"Node(id: "top", ending: "top"), Node(id: "mid", ending: "mid"), Node(id: "low", ending: "low"),"#);
    nodes
}

#[test]
fn guided_search_reaches_what_random_play_misses() {
    let dir = scratch("ladder");
    let endings = r#"Ending(id: "top", title: "Top"), Ending(id: "mid", title: "Mid"), Ending(id: "low", title: "Low")"#;
    let story = story_in(&dir, r#"Int(name: "x", default: 0, min: 0, max: 8)"#, endings, "", &ladder());
    let first = |mode: Mode| {
        let mut k = 0u64;
        let mut at = None;
        let cov = search(&story, 0, 60, mode, |run, _| {
            k += 1;
            if run.ending == Some(0) && at.is_none() {
                at = Some(k);
            }
        });
        (at, cov)
    };
    let (random_at, random_cov) = first(Mode::Random);
    let (guided_at, guided_cov) = first(Mode::Guided);
    assert_eq!(random_at, None, "1 in 256: random play misses it in 60 runs");
    assert!(guided_at.is_some_and(|k| k <= 30), "guided search aims at `x == 8`: {guided_at:?}");
    assert!(guided_cov.total(&story).covered > random_cov.total(&story).covered);
    // What was never covered is listed in words.
    assert!(random_cov.missing(&story, 100).iter().any(|m| m == "ending `top` never reached"), "{:?}", random_cov.missing(&story, 100));
    // Deterministic: the same seed gives the same runs.
    assert_eq!(first(Mode::Guided).0, guided_at);
}

#[test]
fn a_guided_run_replays_in_the_game_with_its_seed() {
    let story = crate::support::story("stories/tutorial");
    let mut runs = Vec::new();
    search(&story, 3, 40, Mode::Guided, |run, _| runs.push(run.clone()));
    for run in runs.iter().filter(|r| r.ending.is_some()) {
        let mut r = Runner::new(Arc::clone(&story), run.seed);
        for (ci, typed) in &run.choices {
            assert!(r.choose(*ci, typed.as_deref()).is_ok());
        }
        assert_eq!(r.ended(), run.ending.map(epistle::narrative::EndingId), "seed {}", run.seed);
        assert_eq!(r.state().vars, run.state.vars);
    }
}

#[test]
fn the_balance_report_shows_shares_ranges_idle_choices_and_narrow_endings() {
    let dir = scratch("balance");
    let mut nodes = ladder();
    // A choice point that changes nothing read later: flavour.
    nodes = nodes.replace(
        r#"Node(id: "a", text: "Step 0.""#,
        r#"Node(id: "a", text: "Coat?", choices: [Choice(text: "The red coat", reply: "Red suits the rain.", to: "a0"), Choice(text: "The grey one", reply: "Grey, then.", to: "a0")]),
           Node(id: "a0", text: "Step 0.""#,
    );
    nodes = nodes.replace(r#"start: "a""#, "");
    let endings = r#"Ending(id: "top", title: "Top"), Ending(id: "mid", title: "Mid"), Ending(id: "low", title: "Low")"#;
    story_in(&dir, r#"Int(name: "x", default: 0, min: 0, max: 8)"#, endings, "", &nodes);
    let out = quill(&["stats", "--balance", "--runs", "200", "--format", "json", &dir.display().to_string()], None);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
    assert_eq!(v["exploration_complete"], true);
    let top = &v["endings"][0];
    assert_eq!(top["id"], "top");
    assert_eq!(top["exact_range"]["x"], serde_json::json!([8, 8]), "{top}");
    assert_eq!(v["endings"][1]["exact_range"]["x"], serde_json::json!([4, 7]));
    let idle: Vec<&str> = v["idle_choice_points"].as_array().into_iter().flatten().filter_map(|x| x["node"].as_str()).collect();
    assert_eq!(idle, ["a"], "the coat changes nothing read later; each ladder step does");
    let narrow: Vec<&str> = v["narrow_endings"].as_array().into_iter().flatten().filter_map(|x| x["id"].as_str()).collect();
    assert!(narrow.contains(&"top"), "{narrow:?}");
    assert!(v["endings"][0]["guided_share"].as_f64().unwrap_or(0.0) > v["endings"][0]["random_share"].as_f64().unwrap_or(1.0));
}

/// Counters that make exact exploration large, a flag set only behind a counter
/// condition, and an ending no path can reach.
const BIG: &str = r#"
    Node(id: "a", text: "Start.", choices: [
        Choice(text: "Warm", to: "b", do: ["x += 1", "y -= 1"], sticky: true),
        Choice(text: "Cool", to: "b", do: ["y += 1"], sticky: true),
        Choice(text: "Enough", to: "gate"),
    ]),
    Node(id: "b", text: "Again.", next: "a"),
    Node(id: "gate", next: [If("x >= 3 && y <= 5", "kept"), Else("plain")]),
    Node(id: "kept", do: ["told = true"], text: [Line(expect: "y <= 5 && x >= 3", text: "Told.")], next: "after"),
    Node(id: "plain", text: "Plain.", next: "after"),
    Node(id: "after", text: [
        Line(expect: "seen(gate)", text: "After the gate."),
        Line(when: "told", expect: "seen(kept)", text: "He told her."),
        Line(when: "x >= 3", expect: "told", text: "Warm enough."),
        Line(expect: "x <= y + 9", text: "Within range."),
    ], choices: [
        Choice("Leave", "end_node"),
        Choice(text: "Hidden", to: "secret_node", when: "seen(kept) && seen(plain)"),
    ]),
    Node(id: "end_node", ending: "end"),
    Node(id: "secret_node", ending: "secret"),
"#;

#[test]
fn without_its_counters_a_story_too_big_to_explore_is_still_proved() {
    let dir = scratch("abstract");
    let vars = r#"Int(name: "x", default: 0, min: 0, max: 9), Int(name: "y", default: 0, min: 0, max: 9), Bool(name: "told")"#;
    let endings = r#"Ending(id: "end", title: "End"), Ending(id: "secret", title: "Secret")"#;
    story_in(&dir, vars, endings, "", BIG);
    // Too few states for the exact exploration: the abstraction takes over.
    let out = quill(&["explore", &dir.display().to_string(), "--max-states", "20"], None);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(2), "no exact verdict:\n{text}");
    assert!(text.contains("Without its counters (x, y)"), "{text}");
    assert!(text.contains("1 expectation(s) on a counter are not implied"), "`x <= y + 9` is left to random play:\n{text}");
    // `y <= 5 && x >= 3` at `kept` is implied by the `If` that leads there.
    assert!(text.contains("3 of 5 hold on every path (proved)"), "{text}");
    // `told` when `x >= 3` really fails (x = 3 with y = 6 takes the plain branch), but
    // the abstract path cannot show it: it is reported as possible, never as proved.
    assert!(text.contains("? the expectation `told` of passage 3 of node `after` does not hold"), "{text}");
    assert!(text.contains("✗ secret               unreachable (proved)"), "{text}");
    // Sound: the abstraction never hides a failure. Break the flag: now it fails.
    std::fs::write(dir.join("a.ron"), format!("Chapter(title: \"A\", nodes: [{}])", BIG.replace(r#"do: ["told = true"], "#, ""))).ok();
    let out = quill(&["explore", &dir.display().to_string(), "--max-states", "20"], None);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("1 may fail"), "{text}");
    assert!(!text.contains("all 5 hold"), "{text}");
}

#[test]
fn the_abstraction_proves_no_traps_only_when_there_are_none() {
    let dir = scratch("abstract-traps");
    let vars = r#"Int(name: "x", default: 0, min: 0, max: 9), Int(name: "y", default: 0, min: 0, max: 9)"#;
    let endings = r#"Ending(id: "end", title: "End")"#;
    // A state with x >= 3 and y > 5 is stuck: its only choice needs y <= 5.
    let trap = r#"
        Node(id: "a", text: "Start.", choices: [
            Choice(text: "Warm", to: "b", do: ["x += 1"], sticky: true),
            Choice(text: "Cool", to: "b", do: ["y += 1"], sticky: true),
            Choice(text: "Enough", to: "gate"),
        ]),
        Node(id: "b", text: "Again.", next: "a"),
        Node(id: "gate", next: [If("x >= 3", "cold"), Else("home")]),
        Node(id: "cold", text: "Cold.", choices: [Choice(text: "Go home", to: "home", when: "y <= 5")]),
        Node(id: "home", ending: "end"),
    "#;
    story_in(&dir, vars, endings, "", trap);
    let out = quill(&["explore", &dir.display().to_string(), "--max-states", "20"], None);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("? traps:"), "a real trap is never called absent:\n{text}");
    // The exact exploration finds it.
    let out = quill(&["explore", &dir.display().to_string()], None);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("Traps (states with no way to any ending): "), "{text}");
    assert!(!text.contains("Traps (states with no way to any ending): none"), "{text}");
    // With a way out that needs no counter, there is none, and it is proved.
    let safe = trap.replace(
        r#"Choice(text: "Go home", to: "home", when: "y <= 5")"#,
        r#"Choice(text: "Go home", to: "home", when: "y <= 5"), Choice("Walk home", "home")"#,
    );
    story_in(&dir, vars, endings, "", &safe);
    let out = quill(&["explore", &dir.display().to_string(), "--max-states", "20"], None);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("✓ traps: none"), "{text}");
}

#[test]
fn the_dear_someone_shaped_benchmark_gets_a_verdict_on_every_ending() {
    // 250 nodes, six counters 0..10 moved by nearly every choice, seven endings gated
    // on all of them: far beyond exact exploration, decided without the counters.
    let synthetic = epistle::narrative::synth::counters_story(250);
    // On disk too, for `quill explore` (the closing figures are measured on it).
    let dir = scratch("counters-250");
    write(&dir.join("story.ron"), &synthetic.manifest);
    for (name, text) in &synthetic.chapters {
        write(&dir.join(name), text);
    }
    println!("counters_story(250) written to {}", dir.display());
    let Some(story) = synthetic.compile().story else { panic!("the synthetic story loads") };
    let exact = explore(&story, Limits { max_states: 200_000, ..Limits::default() });
    assert!(!exact.complete);
    let (ab, left_out) = epistle::narrative::explore::explore_abstract(&story, Limits::default());
    assert_eq!(left_out.iter().filter(|x| **x).count(), 6);
    assert!(ab.complete, "stopped by {:?} after {} states", ab.stopped_by, ab.states);
    assert_eq!(ab.traps, 0, "no trap, proved");
    println!(
        "counters_story(250): {} abstract states, {} MiB; endings reachable there: {}, shortest confirmed in the story: {}",
        ab.states,
        ab.peak_memory.div_ceil(1 << 20),
        ab.endings.iter().filter(|e| e.is_some()).count(),
        ab.confirmed.iter().filter(|c| **c).count()
    );
}
