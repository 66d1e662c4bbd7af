//! `quill lsp` over its real transport: JSON-RPC with Content-Length framing on
//! standard input and output. (`.ci/editor-e2e.sh` drives it from Neovim too.)

use crate::support::root;
use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

struct Client {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    next: i64,
    /// Diagnostics published so far, by URI (the latest set).
    diagnostics: std::collections::HashMap<String, Vec<Value>>,
}

impl Client {
    fn start() -> Client {
        let mut child = Command::new(env!("CARGO_BIN_EXE_quill"))
            .arg("lsp")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start quill lsp: {e}"));
        let (Some(stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else { panic!("no pipes") };
        let mut c = Client { child, stdin, stdout: BufReader::new(stdout), next: 0, diagnostics: Default::default() };
        let init = c.request("initialize", json!({ "processId": null, "rootUri": null, "capabilities": {} }));
        assert!(init["capabilities"]["definitionProvider"].as_bool().unwrap_or(false), "{init}");
        c.notify("initialized", json!({}));
        c
    }

    fn send(&mut self, v: Value) {
        let body = v.to_string();
        let _ = write!(self.stdin, "Content-Length: {}\r\n\r\n{body}", body.len());
        let _ = self.stdin.flush();
    }

    fn receive(&mut self) -> Value {
        let mut len = 0;
        loop {
            let mut line = String::new();
            if self.stdout.read_line(&mut line).unwrap_or(0) == 0 {
                panic!("the server closed its output");
            }
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some(n) = line.strip_prefix("Content-Length: ") {
                len = n.parse().unwrap_or(0);
            }
        }
        let mut body = vec![0; len];
        let _ = self.stdout.read_exact(&mut body);
        let v: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        if v["method"] == "textDocument/publishDiagnostics" {
            let uri = v["params"]["uri"].as_str().unwrap_or_default().to_string();
            self.diagnostics.insert(uri, v["params"]["diagnostics"].as_array().cloned().unwrap_or_default());
        }
        v
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(json!({ "jsonrpc": "2.0", "method": method, "params": params }));
    }

    fn request(&mut self, method: &str, params: Value) -> Value {
        self.next += 1;
        let id = self.next;
        self.send(json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params }));
        loop {
            let v = self.receive();
            if v["id"] == id {
                return v["result"].clone();
            }
        }
    }

    fn open(&mut self, path: &Path, text: &str) {
        self.notify(
            "textDocument/didOpen",
            json!({ "textDocument": { "uri": uri(path), "languageId": "epistle", "version": 1, "text": text } }),
        );
    }

    fn change(&mut self, path: &Path, text: &str, version: i64) {
        self.notify(
            "textDocument/didChange",
            json!({ "textDocument": { "uri": uri(path), "version": version }, "contentChanges": [{ "text": text }] }),
        );
    }

    /// Waits until the diagnostics of `path` satisfy `ok` (a round trip flushes them).
    fn diagnostics_of(&mut self, path: &Path) -> Vec<Value> {
        let _ = self.request("workspace/symbol", json!({ "query": "" }));
        self.diagnostics.get(&uri(path)).cloned().unwrap_or_default()
    }

    fn at(&mut self, method: &str, path: &Path, text: &str, needle: &str, extra: Value) -> Value {
        let (line, col) = position(text, needle);
        let mut params = json!({ "textDocument": { "uri": uri(path) }, "position": { "line": line, "character": col + 1 } });
        if let (Some(p), Some(e)) = (params.as_object_mut(), extra.as_object()) {
            p.extend(e.clone());
        }
        self.request(method, params)
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        let _ = self.request("shutdown", Value::Null);
        self.notify("exit", Value::Null);
        let _ = self.child.wait();
    }
}

fn uri(path: &Path) -> String {
    format!("file://{}", path.display())
}

/// Line and UTF-16 column of the first `needle`, just inside it.
fn position(text: &str, needle: &str) -> (usize, usize) {
    let at = text.find(needle).unwrap_or_else(|| panic!("`{needle}` not in the text"));
    let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    (text[..line_start].matches('\n').count(), text[line_start..at].encode_utf16().count())
}

fn copy_of(story: &str, name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("epistle-lsp-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).ok();
    for e in std::fs::read_dir(root().join(story)).into_iter().flatten().flatten() {
        if e.path().is_file() {
            std::fs::copy(e.path(), dir.join(e.file_name())).ok();
        }
    }
    dir
}

#[test]
fn diagnostics_follow_unsaved_edits_and_definitions_cross_files() {
    let dir = copy_of("stories/tutorial", "tutorial");
    let shore = dir.join("01-shore.ron");
    let tower = dir.join("02-tower.ron");
    let text = std::fs::read_to_string(&shore).unwrap_or_default();
    let mut c = Client::start();
    c.open(&shore, &text);
    assert!(c.diagnostics_of(&shore).is_empty(), "the tutorial is clean");
    // An unsaved typo: reported at once, on the file being edited, with the fix.
    let typo = text.replacen(r#"to: "causeway""#, r#"to: "causway""#, 1);
    c.change(&shore, &typo, 2);
    let diags = c.diagnostics_of(&shore);
    assert_eq!(diags.len(), 1, "{diags:?}");
    assert_eq!(diags[0]["code"], "E0100");
    assert_eq!(diags[0]["range"]["start"]["line"].as_u64(), Some(position(&typo, "causway").0 as u64));
    let actions = c.request(
        "textDocument/codeAction",
        json!({ "textDocument": { "uri": uri(&shore) }, "range": diags[0]["range"], "context": { "diagnostics": diags } }),
    );
    assert_eq!(actions[0]["edit"]["changes"][uri(&shore)][0]["newText"], "\"causeway\"");
    c.change(&shore, &text, 3);
    assert!(c.diagnostics_of(&shore).is_empty());
    // Definition across files: `drift_end` in the tower's fallback is defined on the shore.
    let tower_text = std::fs::read_to_string(&tower).unwrap_or_default();
    c.open(&tower, &tower_text);
    let def = c.at("textDocument/definition", &tower, &tower_text, "drift_end", json!({}));
    assert_eq!(def["uri"], uri(&shore));
    // References and rename see every file; hover describes; symbols list the nodes.
    let refs = c.at("textDocument/references", &shore, &text, "drift_end", json!({ "context": { "includeDeclaration": true } }));
    assert_eq!(refs.as_array().map(Vec::len), Some(3), "{refs}");
    let edit = c.at("textDocument/rename", &shore, &text, "drift_end", json!({ "newName": "adrift" }));
    assert!(edit["changes"][uri(&tower)].is_array() && edit["changes"][uri(&shore)].is_array(), "{edit}");
    let bad = c.at("textDocument/rename", &shore, &text, "drift_end", json!({ "newName": "Not An Id" }));
    assert!(bad.is_null(), "an id that is not snake_case is refused: {bad}");
    let hover = c.at("textDocument/hover", &shore, &text, "courage += 1", json!({}));
    let shown = hover["contents"]["value"].as_str().unwrap_or_default();
    assert!(shown.contains("variable") && shown.contains("Int") && shown.contains("0..=5"), "{shown}");
    let symbols = c.request("textDocument/documentSymbol", json!({ "textDocument": { "uri": uri(&shore) } }));
    let names: Vec<&str> = symbols.as_array().into_iter().flatten().filter_map(|s| s["name"].as_str()).collect();
    assert!(names.contains(&"shore") && names.contains(&"causeway"), "{names:?}");
    // Completion of variables inside an expression.
    let items = c.at("textDocument/completion", &shore, &text, "has_key && seen", json!({}));
    let labels: Vec<&str> = items.as_array().into_iter().flatten().filter_map(|i| i["label"].as_str()).collect();
    assert!(labels.contains(&"has_key") && labels.contains(&"courage"), "{labels:?}");
    // Completion right after typographic quotes and other multi-byte text.
    let typing = text.replacen("Ask for the key", "Ask “for” the key", 1);
    c.change(&shore, &typing, 4);
    let (line, col) = position(&typing, "” the key");
    let r = c.request(
        "textDocument/completion",
        json!({ "textDocument": { "uri": uri(&shore) }, "position": { "line": line, "character": col + 1 } }),
    );
    assert!(r.is_null() || r.is_array(), "{r}");
}

#[test]
fn several_stories_in_one_workspace() {
    let a = copy_of("stories/tutorial", "ws-a");
    let b = copy_of("examples/ink-comparison/ferry", "ws-b");
    let mut c = Client::start();
    c.open(&a.join("story.ron"), &std::fs::read_to_string(a.join("story.ron")).unwrap_or_default());
    c.open(&b.join("hold.ron"), &std::fs::read_to_string(b.join("hold.ron")).unwrap_or_default());
    let found = c.request("workspace/symbol", json!({ "query": "" }));
    let names: Vec<&str> = found.as_array().into_iter().flatten().filter_map(|s| s["name"].as_str()).collect();
    assert!(names.contains(&"lamp_room") && names.contains(&"wheelhouse"), "{names:?}");
}
