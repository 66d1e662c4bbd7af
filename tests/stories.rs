//! Every shipped story loads with no errors and no warnings, its regression tests pass,
//! and every declared ending has a test that reaches it.

use crate::support::root;
use epistle::narrative::story_test::{self, StoryTest};
use epistle::narrative::{SourceFile, Sources, load_dir};
use std::sync::Arc;

fn story_dirs() -> Vec<std::path::PathBuf> {
    let mut dirs: Vec<_> = std::fs::read_dir(root().join("stories"))
        .map(|rd| rd.filter_map(Result::ok).map(|e| e.path()).filter(|p| p.join("story.ron").is_file()).collect())
        .unwrap_or_default();
    dirs.sort();
    dirs
}

#[test]
fn shipped_stories_are_clean_and_their_tests_pass() {
    let dirs = story_dirs();
    assert!(dirs.len() >= 2, "expected the tutorial and Dear Someone, found {dirs:?}");
    for dir in dirs {
        let loaded = load_dir(&dir);
        let problems: Vec<String> = loaded.diagnostics.iter().map(|d| d.locate(&loaded.sources).one_line()).collect();
        assert!(problems.is_empty(), "{}:\n{}", dir.display(), problems.join("\n"));
        let Some(story) = loaded.story else { panic!("{} did not load", dir.display()) };
        let story = Arc::new(story);
        let mut tests: Vec<StoryTest> = Vec::new();
        let mut files: Vec<_> =
            std::fs::read_dir(dir.join("tests")).map(|rd| rd.filter_map(Result::ok).map(|e| e.path()).collect()).unwrap_or_default();
        files.sort();
        for f in files {
            let text = std::fs::read_to_string(&f).unwrap_or_default();
            let mut sources = Sources::new();
            let (ts, diags) = story_test::parse(&story, SourceFile::new(f.display().to_string(), text), &mut sources);
            let problems: Vec<String> = diags.iter().map(|d| d.locate(&sources).one_line()).collect();
            assert!(problems.is_empty(), "{}", problems.join("\n"));
            tests.extend(ts);
        }
        let mut reached = vec![false; story.endings.len()];
        for t in &tests {
            let o = story_test::run(&story, t);
            assert!(o.passed(), "{}: test `{}` failed:\n{}", dir.display(), o.name, o.failures.join("\n"));
            if let Some(e) = o.ending.as_deref().and_then(|e| story.ending_id(e)) {
                reached[e as usize] = true;
            }
        }
        for (e, r) in story.endings.iter().zip(&reached) {
            assert!(r, "{}: no test reaches the ending `{}`", dir.display(), e.id);
        }
    }
}

#[test]
fn a_failing_story_test_says_why() {
    let dir = root().join("stories/tutorial");
    let Some(story) = load_dir(&dir).story.map(Arc::new) else { panic!("tutorial did not load") };
    let mut sources = Sources::new();
    let src =
        r#"StoryTest(name: "wrong", seed: 1, steps: ["Wait", "Wait", "Wait"], ending: "home", check: ["courage > 3"], shows: ["nowhere"])"#;
    let (tests, diags) = story_test::parse(&story, SourceFile::new("t.ron", src), &mut sources);
    assert!(diags.is_empty());
    let o = story_test::run(&story, &tests[0]);
    assert_eq!(o.ending.as_deref(), Some("drift"));
    assert_eq!(o.failures.len(), 3, "{:?}", o.failures);
    assert!(o.failures[0].contains("expected ending `home`, reached `drift`"));
    assert!(o.failures[1].contains("courage = 0"));
    let bad = r#"StoryTest(name: "typo", steps: ["Wait"], ending: "hme", check: ["couage > 1"])"#;
    let (_, diags) = story_test::parse(&story, SourceFile::new("t.ron", bad), &mut Sources::new());
    let codes: Vec<&str> = diags.iter().map(|d| d.code.as_str()).collect();
    assert_eq!(codes, ["E0104", "E0102"]);
}

#[test]
fn quill_test_and_record_round_trip() {
    let dir = std::env::temp_dir().join(format!("epistle-record-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    let file = dir.join("lamp.ron");
    let file_s = file.display().to_string();
    let out = crate::support::quill(
        &["play", "stories/tutorial", "--seed", "3", "--quiet", "--record", &file_s],
        Some("Ask Maren\nAsk for\nName\nTern\nWalk\n"),
    );
    assert!(out.status.success());
    let recorded = std::fs::read_to_string(&file).unwrap_or_default();
    assert!(recorded.contains("Type(\"Name the boat\", \"Tern\")"), "{recorded}");
    let Some(story) = load_dir(&root().join("stories/tutorial")).story.map(Arc::new) else { panic!() };
    let (tests, diags) = story_test::parse(&story, SourceFile::new(file_s, recorded), &mut Sources::new());
    assert!(diags.is_empty());
    assert!(story_test::run(&story, &tests[0]).passed());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn quill_does_not_panic_when_its_reader_stops_early() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};
    // A map far larger than a pipe's buffer, so quill is still writing when it closes.
    let dir = std::env::temp_dir().join(format!("epistle-pipe-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    let synth = epistle::narrative::synth::story(3_000);
    let _ = std::fs::write(dir.join("story.ron"), &synth.manifest);
    for (name, text) in &synth.chapters {
        let _ = std::fs::write(dir.join(name), text);
    }
    let mut child = Command::new(env!("CARGO_BIN_EXE_quill"))
        .arg("graph")
        .arg(&dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run quill: {e}"));
    let Some(stdout) = child.stdout.take() else { panic!("no stdout") };
    let mut first = String::new();
    let _ = BufReader::new(stdout).read_line(&mut first);
    // The pipe is closed here, as `quill graph | head -1` would.
    let out = child.wait_with_output().unwrap_or_else(|e| panic!("{e}"));
    assert!(first.starts_with("digraph"), "{first}");
    let err = String::from_utf8_lossy(&out.stderr);
    let _ = std::fs::remove_dir_all(&dir);
    assert!(!err.contains("panicked"), "{err}");
    assert!(out.status.success());
}

#[test]
fn explore_proves_each_ending_with_a_witness_that_replays() {
    let out = crate::support::quill(&["explore", "stories/tutorial"], None);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "{text}");
    assert!(text.contains("Endings: 3 of 3 reachable"), "{text}");
    assert!(text.contains("Traps (states with no way to any ending): none"), "{text}");
    let mut replays = 0;
    for (ending, line) in text.lines().zip(text.lines().skip(1)) {
        let Some(id) = ending.trim().strip_prefix("✓ ").and_then(|r| r.split_whitespace().next()) else { continue };
        let Some(rest) = line.trim().strip_prefix("replay: printf '") else { continue };
        let (script, tail) = rest.split_once("' | quill play stories/tutorial --seed ").unwrap_or_else(|| panic!("{line}"));
        let seed = tail.trim();
        let input = script.replace("\\n", "\n");
        let played = crate::support::quill(&["play", "stories/tutorial", "--seed", seed, "--quiet"], Some(&input));
        let transcript = String::from_utf8_lossy(&played.stdout);
        assert!(transcript.ends_with(&format!("ending: {id}\n")), "the witness for `{id}` does not reach it:\n{transcript}");
        replays += 1;
    }
    assert_eq!(replays, 3);
}

#[test]
fn explore_finds_traps_and_unreachable_endings() {
    let dir = std::env::temp_dir().join(format!("epistle-trap-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    let _ = std::fs::write(
        dir.join("story.ron"),
        r#"Story(id: "trap", title: "Trap", start: "a", files: ["main.ron"],
            variables: [Int(name: "n", min: 0, max: 3)],
            endings: [Ending(id: "out", title: "Out"), Ending(id: "never", title: "Never")])"#,
    );
    let _ = std::fs::write(
        dir.join("main.ron"),
        r#"Chapter(nodes: [
            Node(id: "a", text: ["A."], choices: [
                Choice(text: "Leave", to: "out"),
                Choice(text: "Into the pit", to: "pit"),
                Choice(text: "Impossible", to: "never", when: "n > 5"),
            ]),
            Node(id: "pit", text: ["Round and round."], choices: [Choice(text: "Again", to: "pit", sticky: true, do: ["n += 1"])]),
            Node(id: "out", text: ["Out."], ending: "out"),
            Node(id: "never", text: ["Never."], ending: "never"),
        ])"#,
    );
    let d = dir.display().to_string();
    let out = crate::support::quill(&["explore", &d], None);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("✗ never"), "{text}");
    assert!(text.contains("e.g. at `pit`"), "{text}");
    assert!(text.contains("the `when` of choice 3 “Impossible” is always false"), "{text}");
}

#[test]
fn bundle_copies_what_the_manifest_lists_and_refuses_a_broken_story() {
    let out = std::env::temp_dir().join(format!("epistle-bundle-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    let done = crate::support::quill(&["bundle", "stories/tutorial", &out.display().to_string()], None);
    assert!(done.status.success(), "{}", String::from_utf8_lossy(&done.stderr));
    let mut files: Vec<String> = std::fs::read_dir(&out).expect("bundled").filter_map(|e| e.ok()?.file_name().into_string().ok()).collect();
    files.sort();
    // The story's tests are not part of what is published.
    assert_eq!(files, ["01-shore.ron", "02-tower.ron", "story.ron"]);
    let loaded = epistle::narrative::load_dir(&out);
    assert!(loaded.story.is_some(), "the copy plays");

    let broken = crate::support::quill(&["bundle", "tests/fixtures/game/broken", &out.join("broken").display().to_string()], None);
    assert!(!broken.status.success());
    assert!(!out.join("broken").exists(), "nothing is written for a broken story");
    let _ = std::fs::remove_dir_all(&out);
}
