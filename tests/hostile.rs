//! Hostile input: each bug an outside attack found, as a regression test. The rule
//! they hold: bad input gets a clear error, in bounded time and memory, and loses
//! nothing; nothing that passes `check` crashes later.

use crate::support::root;
use epistle::narrative::explore::{Bound, Limits, explore};
use epistle::narrative::story::Flow;
use epistle::narrative::{Code, Runner, Value, load_dir};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::Arc;
use std::time::Duration;

/// A fresh folder for one test.
fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("epistle-hostile-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap_or_else(|e| panic!("cannot create {}: {e}", d.display()));
    d
}

/// Writes a one-chapter story: `vars` go into `variables: [..]`, `nodes` into the
/// chapter's `nodes: [..]`; the start node is `start` and the one ending `end`.
fn story_in(dir: &Path, vars: &str, nodes: &str) {
    let manifest = format!(
        r#"Story(id: "hostile", title: "Hostile", start: "start", files: ["main.ron"],
    variables: [{vars}],
    endings: [Ending(id: "end", title: "The End", description: "Done.")])"#
    );
    write(&dir.join("story.ron"), &manifest);
    write(&dir.join("main.ron"), &format!("Chapter(title: \"Main\", nodes: [{nodes}])"));
}

fn write(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
}

/// Runs quill with a time limit: a hang is a failure, not a stuck test run.
fn quill_within(args: &[&str], stdin: &[u8], secs: u64) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_quill"))
        .args(args)
        .current_dir(root())
        .env("NO_COLOR", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run quill: {e}"));
    if let Some(mut pipe) = child.stdin.take() {
        let data = stdin.to_vec();
        std::thread::spawn(move || {
            let _ = pipe.write_all(&data);
        });
    }
    let deadline = std::time::Instant::now() + Duration::from_secs(secs);
    loop {
        match child.try_wait() {
            Ok(Some(_)) => break,
            Ok(None) if std::time::Instant::now() < deadline => std::thread::sleep(Duration::from_millis(20)),
            _ => {
                let _ = child.kill();
                panic!("quill {args:?} did not finish within {secs} s");
            }
        }
    }
    child.wait_with_output().unwrap_or_else(|e| panic!("quill failed: {e}"))
}

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

fn codes(dir: &Path) -> Vec<Code> {
    load_dir(dir).diagnostics.iter().map(|d| d.code).collect()
}

const PLAIN_END: &str = r#"Node(id: "done", text: ["Done."], ending: "end")"#;

// 1. Bundling never harms the story.

fn bundle_fixture(name: &str) -> (PathBuf, PathBuf) {
    let base = scratch(name);
    let story = base.join("story");
    std::fs::create_dir_all(&story).ok();
    story_in(&story, "", &format!(r#"Node(id: "start", text: ["Hello."], choices: [Choice(text: "Go", to: "done")]), {PLAIN_END}"#));
    (base, story)
}

#[test]
fn bundle_refuses_an_output_that_is_inside_or_contains_the_story() {
    let (base, story) = bundle_fixture("bundle-self");
    let before = std::fs::read(story.join("main.ron")).unwrap_or_default();
    let s = story.display().to_string();
    for out in [s.clone(), format!("{s}/."), format!("{s}/sub"), base.display().to_string(), format!("{s}/../story")] {
        let o = quill_within(&["bundle", &s, &out], b"", 30);
        assert!(!o.status.success(), "bundling into {out} was allowed:\n{}", text(&o));
        assert!(text(&o).contains("story folder"), "{}", text(&o));
    }
    assert_eq!(std::fs::read(story.join("main.ron")).unwrap_or_default(), before, "the story was changed");
    assert!(!story.join("sub").exists());
    let ok = base.join("out");
    let o = quill_within(&["bundle", &s, &ok.display().to_string()], b"", 30);
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(std::fs::read(ok.join("main.ron")).unwrap_or_default(), before);
}

#[cfg(unix)]
#[test]
fn bundle_never_follows_links_out_of_the_story_or_writes_through_them() {
    use std::os::unix::fs::symlink;
    let (base, story) = bundle_fixture("bundle-links");
    let s = story.display().to_string();
    // An output that is a link to the story is the story.
    symlink(&story, base.join("alias")).ok();
    let o = quill_within(&["bundle", &s, &base.join("alias").display().to_string()], b"", 30);
    assert!(!o.status.success(), "{}", text(&o));
    // A chapter that is a link out of the story is refused (check and bundle).
    write(&base.join("secret.ron"), &format!("Chapter(title: \"S\", nodes: [{PLAIN_END}])"));
    std::fs::remove_file(story.join("main.ron")).ok();
    symlink(base.join("secret.ron"), story.join("main.ron")).ok();
    assert!(codes(&story).contains(&Code::FileUnreadable));
    let o = quill_within(&["bundle", &s, &base.join("out2").display().to_string()], b"", 30);
    assert!(!o.status.success());
    assert!(!base.join("out2/main.ron").exists());
    // An output whose file is a link elsewhere is not written through.
    let (base, story) = bundle_fixture("bundle-out-link");
    let out = base.join("out");
    std::fs::create_dir_all(&out).ok();
    write(&base.join("victim"), "keep me");
    symlink(base.join("victim"), out.join("main.ron")).ok();
    let o = quill_within(&["bundle", &story.display().to_string(), &out.display().to_string()], b"", 30);
    assert!(!o.status.success(), "{}", text(&o));
    assert_eq!(std::fs::read_to_string(base.join("victim")).unwrap_or_default(), "keep me");
}

// 2. Nothing that passes `check` can exhaust the stack.

#[test]
fn long_expression_chains_are_refused_at_load_not_crashed_on() {
    let dir = scratch("chain");
    for terms in [50_000usize, 1_000_000] {
        let chain = vec!["n"; terms].join("+");
        story_in(
            &dir,
            r#"Int(name: "n", default: 1)"#,
            &format!(r#"Node(id: "start", text: ["Hi."], choices: [Choice(text: "Go", to: "done", when: "{chain} > 0")]), {PLAIN_END}"#),
        );
        let loaded = load_dir(&dir);
        assert!(loaded.story.is_none());
        assert!(loaded.diagnostics.iter().any(|d| d.code == Code::TooLarge && d.message.contains("operators")), "{terms} terms");
    }
    // Within the limit, the chain loads and evaluates.
    let chain = vec!["n"; 200].join("+");
    story_in(
        &dir,
        r#"Int(name: "n", default: 1)"#,
        &format!(r#"Node(id: "start", text: ["Hi."], choices: [Choice(text: "Go", to: "done", when: "{chain} == 200")]), {PLAIN_END}"#),
    );
    let Some(story) = load_dir(&dir).story else { panic!("200 terms should load") };
    let r = Runner::new(Arc::new(story), 0);
    assert!(r.choices()[0].enabled);
}

#[test]
fn deep_markup_is_refused_before_the_parser_recurses() {
    let dir = scratch("markup");
    let deep = format!("{}x{}", "{if b: ".repeat(10_000), "}".repeat(10_000));
    story_in(
        &dir,
        r#"Bool(name: "b", default: true)"#,
        &format!(r#"Node(id: "start", text: ["{deep}"], choices: [Choice(text: "Go", to: "done", do: ["toggle b"])]), {PLAIN_END}"#),
    );
    let loaded = load_dir(&dir);
    assert!(loaded.diagnostics.iter().any(|d| d.code == Code::TooLarge && d.message.contains("nested")));
}

// 3. Random branches that come back round.

#[test]
fn a_cycle_through_a_random_next_is_an_error_and_the_runner_is_bounded() {
    let dir = scratch("random-cycle");
    story_in(&dir, "", &format!(r#"Node(id: "start", text: ["Hi."], next: Random([(1, "start"), (1, "done")])), {PLAIN_END}"#));
    assert!(codes(&dir).contains(&Code::RandomCycle));
    // Should such a story ever be built, the runner and the explorer still stop.
    story_in(&dir, "", &format!(r#"Node(id: "start", text: ["Hi."], next: Random([(1, "done")])), {PLAIN_END}"#));
    let Some(mut story) = load_dir(&dir).story else { panic!("the acyclic story should load") };
    let start = story.start;
    story.nodes[start as usize].flow = Flow::Random(Box::new(vec![(1, start)].into()));
    let story = Arc::new(story);
    let r = Runner::new(Arc::clone(&story), 0);
    assert!(r.page().stuck.as_deref().is_some_and(|s| s.contains("random")), "{:?}", r.page().stuck);
    let ex = explore(&story, Limits::default());
    assert!(ex.endings[0].is_none() && ex.stuck > 0);
}

#[test]
fn random_needs_outcomes_and_weights_that_fit() {
    let dir = scratch("random-weights");
    let heavy: Vec<String> = (0..4_400).map(|_| r#"(1000000, "done")"#.to_string()).collect();
    story_in(&dir, "", &format!(r#"Node(id: "start", text: ["Hi."], next: Random([{}])), {PLAIN_END}"#, heavy.join(", ")));
    assert!(codes(&dir).contains(&Code::BadRandom));
    story_in(&dir, "", &format!(r#"Node(id: "start", text: ["Hi."], next: Random([])), {PLAIN_END}"#));
    assert!(codes(&dir).contains(&Code::BadRandom));
}

// 4. Reads are bounded and stay in the story.

#[cfg(unix)]
#[test]
fn devices_fifos_and_links_out_of_the_story_are_refused_quickly() {
    use std::os::unix::fs::symlink;
    let base = scratch("reads");
    let dir = base.join("story");
    std::fs::create_dir_all(&dir).ok();
    story_in(&dir, "", &format!(r#"Node(id: "start", text: ["Hi."], next: "done"), {PLAIN_END}"#));
    let manifest = std::fs::read_to_string(dir.join("story.ron")).unwrap_or_default();
    write(
        &dir.join("story.ron"),
        &manifest.replace(r#"files: ["main.ron"]"#, r#"files: ["main.ron", "zero.ron", "fifo.ron", "sub/passwd"]"#),
    );
    symlink("/dev/zero", dir.join("zero.ron")).ok();
    let made = Command::new("mkfifo").arg(dir.join("fifo.ron")).status().is_ok_and(|s| s.success());
    symlink("/etc", dir.join("sub")).ok();
    let o = quill_within(&["check", &dir.display().to_string()], b"", 30);
    let out = text(&o);
    assert!(!o.status.success());
    assert!(out.contains("zero.ron") && out.contains("not a regular file"), "{out}");
    if made {
        assert!(out.contains("fifo.ron"), "{out}");
    }
    assert!(out.contains("sub/passwd") && out.contains("outside"), "{out}");
    assert!(!out.contains("root:"), "system files were printed:\n{out}");
    // `quill play`'s load, and a test file, are capped the same way.
    story_in(&dir, "", &format!(r#"Node(id: "start", text: ["Hi."], choices: [Choice(text: "Go", to: "done")]), {PLAIN_END}"#));
    let o = quill_within(&["play", &dir.display().to_string()], b"load /dev/zero\nquit\n", 30);
    assert!(text(&o).contains("cannot load /dev/zero"), "{}", text(&o));
    std::fs::create_dir_all(dir.join("tests")).ok();
    symlink("/dev/zero", dir.join("tests/zero.ron")).ok();
    let o = quill_within(&["test", &dir.display().to_string()], b"", 30);
    assert!(!o.status.success() && text(&o).contains("zero.ron"), "{}", text(&o));
    assert!(text(&o).contains("not a regular file") || text(&o).contains("outside"), "{}", text(&o));
}

// 5. Exploration is bounded in memory and work, and says which bound stopped it.

#[test]
fn explore_stops_at_its_memory_bound_and_says_so() {
    let dir = scratch("counters");
    let vars: Vec<String> = (0..300).map(|i| format!(r#"Int(name: "c{i}", default: 0)"#)).collect();
    let bumps: Vec<String> = (0..300).map(|i| format!(r#""c{i} += {}""#, i % 7 + 1)).collect();
    // Every counter is read (so each is in the state), 100 to a condition (the
    // operator limit is 256 per expression).
    let ends: Vec<String> = (0..3)
        .map(|k| {
            let reads: Vec<String> = (k * 100..k * 100 + 100).map(|i| format!("c{i} > 1000")).collect();
            format!(r#"Choice(text: "End {k}", to: "done", when: "{}")"#, reads.join(" || "))
        })
        .collect();
    story_in(
        &dir,
        &vars.join(", "),
        &format!(
            r#"Node(id: "start", text: ["Hi."], choices: [
                Choice(text: "More", to: "start", sticky: true, do: [{}]),
                Choice(text: "Less", to: "start", sticky: true, do: ["c0 += 1"]),
                {}]), {PLAIN_END}"#,
            bumps.join(", "),
            ends.join(", ")
        ),
    );
    let Some(story) = load_dir(&dir).story else { panic!("counters story should load") };
    let ex = explore(&story, Limits { max_memory: 32 << 20, ..Limits::default() });
    assert!(!ex.complete);
    assert_eq!(ex.stopped_by, Some(Bound::Memory));
    assert!(ex.peak_memory < 48 << 20, "peak {} bytes", ex.peak_memory);
    let o = quill_within(&["explore", &dir.display().to_string(), "--max-memory", "32M"], b"", 120);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("memory limit"), "{}", text(&o));
}

#[test]
fn many_random_outcomes_do_not_keep_spent_states() {
    let dir = scratch("outcomes");
    let mut nodes = vec![r#"Node(id: "start", text: ["Hi."], choices: [Choice(text: "Roll", to: "r0")])"#.to_string()];
    for r in 0..3 {
        let next = if r == 2 { "done".to_string() } else { format!("r{}", r + 1) };
        let outs: Vec<String> = (0..60).map(|i| format!(r#"(1, "r{r}_{i}")"#)).collect();
        nodes.push(format!(r#"Node(id: "r{r}", text: ["Roll."], next: Random([{}]))"#, outs.join(", ")));
        for i in 0..60 {
            nodes.push(format!(r#"Node(id: "r{r}_{i}", text: ["{i}."], next: "{next}")"#));
        }
    }
    nodes.push(PLAIN_END.to_string());
    story_in(&dir, "", &nodes.join(",\n"));
    let Some(story) = load_dir(&dir).story else { panic!("outcomes story should load") };
    let ex = explore(&story, Limits::default());
    assert!(ex.complete, "{:?}", ex.stopped_by);
    assert!(ex.endings[0].is_some());
    assert!(ex.peak_memory < 256 << 20, "peak {} bytes", ex.peak_memory);
    // A work bound stops it plainly.
    let ex = explore(&story, Limits { max_steps: 1000, ..Limits::default() });
    assert_eq!(ex.stopped_by, Some(Bound::Steps));
}

// 6. Integer arithmetic saturates, everywhere.

#[test]
fn arithmetic_saturates_at_the_edges_of_i64() {
    let dir = scratch("overflow");
    story_in(
        &dir,
        r#"Int(name: "x", default: 9223372036854775000), Int(name: "y", default: -9223372036854775000), Int(name: "full", default: 0, min: -9223372036854775808, max: 9223372036854775807)"#,
        &format!(
            r#"Node(id: "start", text: ["{{x}}"], choices: [
                Choice(text: "Up", to: "start", do: ["x = x + 9223372036854775000", "y = y - 9223372036854775000", "full = full * 2 + 1"]),
                Choice(text: "Mul", to: "start", do: ["x = x * x", "y = -y * 3", "full -= 9223372036854775807"]),
                Choice(text: "End", to: "done", when: "x == 9223372036854775807 && full != 0")]), {PLAIN_END}"#
        ),
    );
    let Some(story) = load_dir(&dir).story else { panic!("overflow story should load") };
    let story = Arc::new(story);
    let mut r = Runner::new(Arc::clone(&story), 0);
    assert!(r.choose(0, None).is_ok());
    assert_eq!(r.state().vars[0], Value::Int(i64::MAX));
    assert_eq!(r.state().vars[1], Value::Int(i64::MIN));
    assert!(r.choose(1, None).is_ok());
    assert_eq!(r.state().vars[0], Value::Int(i64::MAX));
    assert_eq!(r.state().vars[1], Value::Int(i64::MAX), "-(MIN) saturates to MAX, times 3 stays there");
    // A full-range variable does not panic the explorer (debug builds check overflow).
    let ex = explore(&story, Limits { max_states: 10_000, ..Limits::default() });
    assert!(ex.endings[0].is_some());
}

// 7. `check` stays near-linear on huge inputs.

#[test]
fn check_is_near_linear_on_many_choices_and_huge_ids() {
    let dir = scratch("linear");
    let choices: Vec<String> = (0..20_000).map(|i| format!(r#"Choice(text: "c{i}", to: "done", do: ["n += {i}"])"#)).collect();
    story_in(
        &dir,
        r#"Int(name: "n", default: 0)"#,
        &format!(r#"Node(id: "start", text: ["{{n}}"], choices: [{}]), {PLAIN_END}"#, choices.join(", ")),
    );
    let loaded = load_dir(&dir);
    assert!(loaded.story.is_some());
    assert!(!loaded.diagnostics.iter().any(|d| d.code == Code::SameChoices));
    // 20,000 choices that all do the same: one warning for the group, not one per pair.
    let same: Vec<String> = (0..20_000).map(|i| format!(r#"Choice(text: "c{i}", to: "done")"#)).collect();
    story_in(&dir, "", &format!(r#"Node(id: "start", text: ["x"], choices: [{}]), {PLAIN_END}"#, same.join(", ")));
    let loaded = load_dir(&dir);
    let groups: Vec<&String> = loaded.diagnostics.iter().filter(|d| d.code == Code::SameChoices).map(|d| &d.message).collect();
    assert_eq!(groups.len(), 1, "{:?}", groups.iter().take(3).collect::<Vec<_>>());
    assert!(groups[0].contains("19998 others"), "{}", groups[0]);
    // A 300,000-character unknown id gets no suggestion, quickly.
    let huge = "a".repeat(300_000);
    story_in(&dir, "", &format!(r#"Node(id: "start", text: ["Hi."], choices: [Choice(text: "Go", to: "{huge}")]), {PLAIN_END}"#));
    let loaded = load_dir(&dir);
    assert!(loaded.diagnostics.iter().any(|d| d.code == Code::UnknownNode && d.help.is_none()));
    // ... and is not printed whole.
    let o = quill_within(&["check", &dir.display().to_string()], b"", 60);
    assert!(o.stderr.len() < 5_000, "{} bytes of output", o.stderr.len());
}

#[test]
fn an_error_on_a_huge_line_is_shown_as_a_window_around_the_caret() {
    let dir = scratch("long-line");
    let filler = "x".repeat(4_000_000);
    story_in(&dir, "", &format!(r#"Node(id: "start", text: ["{filler}"], choices: [Choice(text: "Go", to: "nowhere")]), {PLAIN_END}"#));
    let o = quill_within(&["check", &dir.display().to_string()], b"", 60);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("E0100") && err.contains("nowhere"), "{}", &err[..err.len().min(2000)]);
    assert!(err.len() < 5_000, "{} bytes of output for one error", err.len());
    // The column is the real one (past the four million `x`s).
    assert!(err.contains("main.ron:1:400"), "{err}");
}

// 8. Smaller things.

#[test]
fn strings_stop_growing_at_their_cap() {
    let dir = scratch("strings");
    story_in(
        &dir,
        r#"Str(name: "s", default: "ab")"#,
        &format!(
            r#"Node(id: "start", text: ["x"], choices: [Choice(text: "Double", to: "start", sticky: true, do: ["s = s + s"]), Choice(text: "End", to: "done", when: "s == 'x'")]), {PLAIN_END}"#
        ),
    );
    let Some(story) = load_dir(&dir).story else { panic!("strings story should load") };
    let mut r = Runner::new(Arc::new(story), 0);
    for _ in 0..40 {
        assert!(r.choose(0, None).is_ok());
    }
    let Value::Str(s) = &r.state().vars[0] else { panic!("s is a string") };
    assert_eq!(s.len(), epistle::narrative::expr::MAX_STR_BYTES);
}

#[test]
fn play_saves_atomically_and_survives_bad_input_lines() {
    let dir = scratch("play");
    story_in(&dir, "", &format!(r#"Node(id: "start", text: ["Hi."], choices: [Choice(text: "Go", to: "done")]), {PLAIN_END}"#));
    write(&dir.join("notes.tmp"), "my notes");
    let notes = dir.join("notes").display().to_string();
    let mut input = format!("save {notes}\n").into_bytes();
    input.extend_from_slice(b"\xff\xfe\n");
    input.extend(std::iter::repeat_n(b'9', 1 << 20));
    input.extend_from_slice(b"\n1\n");
    let o = quill_within(&["play", &dir.display().to_string()], &input, 30);
    let out = text(&o);
    assert!(o.status.success(), "{out}");
    assert!(out.contains("not UTF-8") && out.contains("longer than"), "{out}");
    assert!(out.contains("ending: end"), "the session went on after the bad lines:\n{out}");
    assert_eq!(std::fs::read_to_string(dir.join("notes.tmp")).unwrap_or_default(), "my notes");
    assert!(std::fs::read_to_string(dir.join("notes")).unwrap_or_default().contains("Save("));
}

#[test]
fn diagnostics_never_send_escape_sequences_or_bidi_marks_to_the_terminal() {
    let dir = scratch("escapes");
    story_in(
        &dir,
        "",
        &format!(
            "Node(id: \"start\", text: [\"Hi \u{1b}[2J \u{202e}evil\"], choices: [Choice(text: \"Go\", to: \"no\u{1b}[31mwhere\")]), {PLAIN_END}"
        ),
    );
    let o = quill_within(&["check", &dir.display().to_string()], b"", 30);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("error["), "{err}");
    assert!(!err.contains('\u{1b}') && !err.contains('\u{202e}'), "{err:?}");
}
