//! `quill graph`: the story as a map, in Graphviz `dot` or Mermaid: nodes clustered by
//! chapter, endings marked, conditional edges labelled with their condition.

use crate::render;
use clap::ValueEnum;
use epistle::narrative::Story;
use epistle::narrative::story::Flow;
use std::fmt::Write as _;
use std::path::Path;
use std::process::ExitCode;

/// Map formats.
#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum GraphFormat {
    /// Graphviz (`dot -Tsvg map.dot > map.svg`).
    Dot,
    /// Mermaid flowchart (renders on GitHub and in many editors).
    Mermaid,
}

/// An edge: from, to, label, dashed (conditional or automatic).
struct Edge {
    from: u32,
    to: u32,
    label: String,
    dashed: bool,
}

fn edges(story: &Story) -> Vec<Edge> {
    let mut out = Vec::new();
    for (i, n) in story.nodes.iter().enumerate() {
        let from = i as u32;
        for c in &n.choices {
            let mut text = String::new();
            c.text.each_literal(&mut |s| text.push_str(s));
            let label = match (c.when_src(), c.fallback()) {
                (_, true) => "(fallback)".to_string(),
                (Some(w), _) => format!("{} [{w}]", short(&text)),
                (None, _) => short(&text),
            };
            out.push(Edge { from, to: c.to, label, dashed: c.when_src().is_some() || c.fallback() });
            if let Some(back) = c.returns_to() {
                out.push(Edge { from: c.to, to: back, label: "returns".into(), dashed: true });
            }
        }
        match &n.flow {
            Flow::Goto(t) => out.push(Edge { from, to: *t, label: String::new(), dashed: false }),
            Flow::Branch(bs, otherwise) => {
                for (k, (_, t)) in bs.iter().enumerate() {
                    out.push(Edge { from, to: *t, label: n.branch_src().get(k).cloned().unwrap_or_default(), dashed: true });
                }
                out.push(Edge { from, to: *otherwise, label: "else".into(), dashed: true });
            }
            Flow::Random(ws) => {
                let total: u32 = ws.iter().map(|w| w.0).sum();
                for (w, t) in ws.iter() {
                    out.push(Edge { from, to: *t, label: format!("{w}/{total}"), dashed: true });
                }
            }
            Flow::Choices | Flow::Ending(_) | Flow::Return => {}
        }
    }
    out
}

fn short(s: &str) -> String {
    let s = s.trim();
    if s.chars().count() <= 28 { s.to_string() } else { format!("{}…", s.chars().take(27).collect::<String>().trim_end()) }
}

fn esc(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}

/// Renders dot text to an image file through Graphviz, whose output format follows the
/// file's extension (`.svg`, `.png`, `.pdf`).
fn render_with_graphviz(dot_text: &str, out: &Path) -> Result<(), String> {
    use std::io::Write as _;
    let format = out.extension().and_then(|e| e.to_str()).unwrap_or("svg");
    let mut child = std::process::Command::new("dot")
        .arg(format!("-T{format}"))
        .arg("-o")
        .arg(out)
        .stdin(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run Graphviz's `dot` ({e}); install Graphviz, or print the map with `--format dot`"))?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin.write_all(dot_text.as_bytes()).map_err(|e| format!("cannot send the map to `dot`: {e}"))?;
    }
    let status = child.wait().map_err(|e| e.to_string())?;
    if status.success() { Ok(()) } else { Err(format!("`dot` failed ({status})")) }
}

/// Prints the map, or renders it to `render` through Graphviz.
pub fn run(dir: &Path, format: GraphFormat, render: Option<&Path>) -> ExitCode {
    let Some((_, story)) = render::load_playable(dir) else {
        return ExitCode::FAILURE;
    };
    if let Some(file) = render {
        return match render_with_graphviz(&dot(&story), file) {
            Ok(()) => {
                eprintln!("wrote {}", file.display());
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::FAILURE
            }
        };
    }
    let out = match format {
        GraphFormat::Dot => dot(&story),
        GraphFormat::Mermaid => mermaid(&story),
    };
    let _ = std::io::Write::write_all(&mut std::io::stdout(), out.as_bytes());
    ExitCode::SUCCESS
}

fn dot(story: &Story) -> String {
    let mut s = format!("digraph \"{}\" {{\n  rankdir=LR;\n  node [shape=box, style=rounded, fontname=\"Helvetica\"];\n", esc(&story.id));
    for (ci, ch) in story.chapters.iter().enumerate() {
        let _ = writeln!(s, "  subgraph cluster_{ci} {{\n    label=\"{}\";", esc(&ch.title));
        for n in story.nodes.iter().filter(|n| n.chapter as usize == ci) {
            match n.flow {
                Flow::Ending(e) => {
                    let _ = writeln!(
                        s,
                        "    \"{}\" [shape=doubleoctagon, label=\"{}\\n★ {}\"];",
                        esc(&n.id),
                        esc(&n.id),
                        esc(&story.endings[e as usize].title)
                    );
                }
                _ if story.node_id(&n.id) == Some(story.start) => {
                    let _ = writeln!(s, "    \"{}\" [penwidth=2, label=\"▶ {}\"];", esc(&n.id), esc(&n.id));
                }
                _ => {
                    let _ = writeln!(s, "    \"{}\";", esc(&n.id));
                }
            }
        }
        s.push_str("  }\n");
    }
    for e in edges(story) {
        let style = if e.dashed { ", style=dashed" } else { "" };
        let _ =
            writeln!(s, "  \"{}\" -> \"{}\" [label=\"{}\"{style}];", esc(&story.node(e.from).id), esc(&story.node(e.to).id), esc(&e.label));
    }
    s.push_str("}\n");
    s
}

fn mermaid(story: &Story) -> String {
    let mut s = String::from("flowchart LR\n");
    let m = |t: &str| t.replace('"', "#quot;").replace('[', "(").replace(']', ")").replace('|', "/");
    for (ci, ch) in story.chapters.iter().enumerate() {
        let _ = writeln!(s, "  subgraph ch{ci}[\"{}\"]", m(&ch.title));
        for n in story.nodes.iter().filter(|n| n.chapter as usize == ci) {
            match n.flow {
                Flow::Ending(e) => {
                    let _ = writeln!(s, "    {}{{{{\"★ {}\"}}}}", mid(story, n), m(&story.endings[e as usize].title));
                }
                _ => {
                    let _ = writeln!(s, "    {}[\"{}\"]", mid(story, n), m(&n.id));
                }
            }
        }
        s.push_str("  end\n");
    }
    for e in edges(story) {
        let arrow = if e.dashed { "-.->" } else { "-->" };
        if e.label.is_empty() {
            let _ = writeln!(s, "  {} {arrow} {}", mid(story, story.node(e.from)), mid(story, story.node(e.to)));
        } else {
            let _ = writeln!(s, "  {} {arrow}|\"{}\"| {}", mid(story, story.node(e.from)), m(&e.label), mid(story, story.node(e.to)));
        }
    }
    s
}

/// A node's Mermaid id: its own id when Mermaid accepts it, else `n<index>` (inline
/// replies are named `node~choice text`, with spaces).
fn mid(story: &Story, n: &epistle::narrative::story::Node) -> String {
    if n.id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        n.id.to_string()
    } else {
        format!("n{}", story.node_id(&n.id).unwrap_or(0))
    }
}
