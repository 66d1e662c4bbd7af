//! Every diagnostic code has a fixture story under `tests/fixtures/diagnostics/`,
//! named after the code, beside the exact output `quill check` must print for it.

use crate::support::{expect_file, quill, root};
use epistle::narrative::Code;
use std::path::Path;

const DIR: &str = "tests/fixtures/diagnostics";

fn fixtures() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(root().join(DIR))
        .map(|rd| rd.filter_map(Result::ok).filter(|e| e.path().is_dir()).filter_map(|e| e.file_name().into_string().ok()).collect())
        .unwrap_or_default();
    names.sort();
    names
}

#[test]
fn every_code_has_a_fixture() {
    let names = fixtures();
    for code in Code::ALL {
        let prefix = code.as_str().to_lowercase();
        assert!(names.iter().any(|n| n.starts_with(&prefix)), "no fixture for {} in {DIR}", code.as_str());
    }
}

#[test]
fn fixtures_render_exactly_as_expected() {
    for name in fixtures() {
        let dir = format!("{DIR}/{name}");
        let out = quill(&["check", &dir], None);
        let text = String::from_utf8_lossy(&out.stderr).into_owned();
        expect_file(&Path::new(&dir).join("expected.txt"), &text);
        if let Some(code) = name.split('-').next().filter(|c| *c != "ok") {
            let tag = format!("[{}]", code.to_uppercase());
            assert!(text.contains(&tag), "{name}: expected a {tag} diagnostic in:\n{text}");
            let is_error = code.starts_with('e');
            assert_eq!(out.status.success(), !is_error, "{name}: wrong exit status");
        } else {
            assert!(out.status.success(), "{name} should be clean:\n{text}");
            assert!(!text.contains("error[") && !text.contains("warning["), "{name} should be clean:\n{text}");
        }
    }
}

#[test]
fn json_output_has_file_line_and_column() {
    let out = quill(&["check", "--format", "json", &format!("{DIR}/e0100-unknown-node")], None);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("not JSON: {e}"));
    let d = &json["diagnostics"][0];
    assert_eq!(d["code"], "E0100");
    assert_eq!(d["help"], "did you mean `docks`?");
    let label = &d["labels"][0];
    assert!(label["file"].as_str().is_some_and(|f| f.ends_with("main.ron")));
    assert_eq!((label["start"]["line"].as_u64(), label["start"]["column"].as_u64()), (Some(8), Some(40)));
    assert_eq!(json["errors"], 1);
    assert!(!out.status.success());
}

#[test]
fn deny_warnings_fails_on_a_warning() {
    let dir = format!("{DIR}/w0201-unreachable");
    assert!(quill(&["check", &dir], None).status.success());
    assert!(!quill(&["check", "--deny-warnings", &dir], None).status.success());
}

#[test]
fn a_missing_story_folder_is_reported_not_panicked() {
    let out = quill(&["check", "tests/fixtures/no-such-story"], None);
    let text = String::from_utf8_lossy(&out.stderr);
    assert!(text.contains("[E0004]") && text.contains("story.ron"), "{text}");
    assert!(!out.status.success());
}
