//! Story regression tests: RON files beside a story that replay a seed and a list of
//! choices and check the ending, variables and text. `quill test` runs them, and so
//! does `cargo test` for the bundled stories.
//!
//! ```ron
//! StoryTest(
//!     name: "home by lamplight",
//!     seed: 7,
//!     steps: ["Ask Maren", 2, Type("Name the boat", "Tern"), Pin("Roll the dice", "six"), "Wait"],
//!     ending: "home",                 // or "none": the story must not have ended
//!     check: ["courage >= 1", "boat_name == 'Tern'"],
//!     shows: ["lamp turning"],        // must appear somewhere in the transcript
//!     hides: ["You slip"],            // must not appear
//! )
//! ```

use super::chapter::StoryScope;
use super::diagnostic::{Code, Diagnostic};
use super::expr::{Expr, parse_condition};
use super::ron_tree::{self, Kind, Value as Tree};
use super::runner::Runner;
use super::schema::{self, Diags, Fields};
use super::source::{FileId, SourceFile, Sources};
use super::story::Story;
use super::value::Type;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::Arc;

/// One step of a test.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TestStep {
    /// The n-th choice as offered (1-based, as `quill play` numbers them).
    Number(usize),
    /// The enabled choice whose text matches (case-insensitive prefix).
    Text(String),
    /// A choice (by text or number) that asks for text, and what to type.
    Type(Box<TestStep>, String),
    /// A choice whose random branch must land on one of these nodes (by id): the
    /// outcome is pinned, whatever the seed would pick.
    Pin(Box<TestStep>, Vec<String>),
}

/// A parsed test.
#[derive(Clone, Debug)]
pub struct StoryTest {
    /// Its name.
    pub name: String,
    /// The seed.
    pub seed: u64,
    /// The choices.
    pub steps: Vec<TestStep>,
    /// The ending expected: `Some(None)` for "must not have ended".
    pub ending: Option<Option<String>>,
    /// Conditions that must hold at the end, with their source.
    pub check: Vec<(String, Expr)>,
    /// Text that must appear.
    pub shows: Vec<String>,
    /// Text that must not appear.
    pub hides: Vec<String>,
}

/// What running a test found.
#[derive(Clone, Debug)]
pub struct TestOutcome {
    /// The test's name.
    pub name: String,
    /// Empty when it passed.
    pub failures: Vec<String>,
    /// Everything shown, passages and choices made.
    pub transcript: String,
    /// The ending reached, if any.
    pub ending: Option<String>,
    /// Choices made.
    pub steps: usize,
}

impl TestOutcome {
    /// Whether every expectation held.
    pub fn passed(&self) -> bool {
        self.failures.is_empty()
    }
}

fn step(v: &Tree, d: &mut Diags) -> Option<TestStep> {
    match &v.kind {
        Kind::Int(n) if *n >= 1 => Some(TestStep::Number(*n as usize)),
        Kind::Str(s) => Some(TestStep::Text(s.text.to_string())),
        Kind::Tuple { name: Some(n), items } if n.name == "Type" && items.len() == 2 => {
            let inner = step(&items[0], d)?;
            let typed = schema::string(&items[1], d)?.text.to_string();
            Some(TestStep::Type(Box::new(inner), typed))
        }
        Kind::Tuple { name: Some(n), items } if n.name == "Pin" && items.len() == 2 => {
            let inner = step(&items[0], d)?;
            let outcomes = match &items[1].kind {
                Kind::List(_) => schema::strings(&items[1], d).into_iter().map(|s| s.text.to_string()).collect(),
                _ => vec![schema::string(&items[1], d)?.text.to_string()],
            };
            Some(TestStep::Pin(Box::new(inner), outcomes))
        }
        _ => {
            d.expected(
                "a choice number from 1, a choice's text, `Type(\"choice\", \"typed text\")` or `Pin(\"choice\", \"outcome_node\")`",
                v,
            );
            None
        }
    }
}

fn scope_maps(story: &Story) -> (HashMap<String, (u32, Type)>, HashMap<String, u32>) {
    let vars = story.vars.iter().enumerate().map(|(i, v)| (v.name.clone(), (i as u32, v.ty))).collect();
    (vars, story.nodes.iter().enumerate().map(|(i, n)| (n.id.to_string(), i as u32)).collect())
}

/// Parses a test file (one `StoryTest` or a list of them) against `story`. Returns the
/// tests and every problem found, with spans into `sources`.
pub fn parse(story: &Story, file: SourceFile, sources: &mut Sources) -> (Vec<StoryTest>, Vec<Diagnostic>) {
    let text = file.text.clone();
    let id: FileId = sources.add(file);
    let mut d = Diags::default();
    let arena = ron_tree::Arena::new();
    let root = match ron_tree::parse(id, &text, &arena) {
        Ok(r) => r,
        Err(e) => return (Vec::new(), vec![e]),
    };
    let items: Vec<&Tree> = match &root.kind {
        Kind::List(items) => items.iter().collect(),
        _ => vec![&root],
    };
    let (vars, nodes) = scope_maps(story);
    let scope = StoryScope { vars: &vars, nodes: &nodes };
    let mut out = Vec::new();
    for item in items {
        let Some(mut f) = Fields::of(item, "StoryTest", &mut d) else { continue };
        let name = f.req("name", &mut d).and_then(|v| schema::string(v, &mut d)).map(|s| s.text.to_string()).unwrap_or_default();
        let seed = f.opt("seed", &mut d).and_then(|v| schema::integer(v, &mut d)).unwrap_or(0);
        let steps =
            f.opt("steps", &mut d).map(|v| schema::list(v, &mut d).iter().filter_map(|s| step(s, &mut d)).collect()).unwrap_or_default();
        let ending = f.opt("ending", &mut d).and_then(|v| {
            let s = schema::string(v, &mut d)?;
            if s.text == "none" {
                return Some(None);
            }
            if story.ending_id(s.text).is_none() {
                d.push(
                    Diagnostic::new(Code::UnknownEnding, format!("unknown ending `{}`", s.text))
                        .at(v.span, "not declared in the story")
                        .maybe_help(super::diagnostic::did_you_mean(s.text, story.endings.iter().map(|e| e.id.as_str())))
                        .note("write \"none\" to expect that the story has not ended"),
                );
            }
            Some(Some(s.text.to_string()))
        });
        let mut check = Vec::new();
        if let Some(v) = f.opt("check", &mut d) {
            for c in schema::strings(v, &mut d) {
                let span = |a: usize, b: usize| c.span(id, a, b);
                match parse_condition(c.text, &span, &scope) {
                    Ok(e) => check.push((c.text.to_string(), e)),
                    Err(e) => d.push(e),
                }
            }
        }
        let shows = f
            .opt("shows", &mut d)
            .map(|v| schema::strings(v, &mut d).into_iter().map(|s| s.text.to_string()).collect())
            .unwrap_or_default();
        let hides = f
            .opt("hides", &mut d)
            .map(|v| schema::strings(v, &mut d).into_iter().map(|s| s.text.to_string()).collect())
            .unwrap_or_default();
        f.finish(&["name", "seed", "steps", "ending", "check", "shows", "hides"], &mut d);
        out.push(StoryTest { name, seed: seed as u64, steps, ending, check, shows, hides });
    }
    (out, d.list)
}

fn resolve(r: &Runner, s: &TestStep) -> Result<(u32, bool), String> {
    let offered = r.choices();
    let list = || offered.iter().enumerate().map(|(i, c)| format!("{}. {}", i + 1, c.text)).collect::<Vec<_>>().join("; ");
    let found = match s {
        TestStep::Number(n) => offered.get(n - 1),
        TestStep::Text(t) => {
            let low = t.to_lowercase();
            offered
                .iter()
                .find(|c| c.enabled && c.text.to_lowercase() == low)
                .or_else(|| offered.iter().find(|c| c.enabled && c.text.to_lowercase().starts_with(&low)))
        }
        TestStep::Type(inner, _) | TestStep::Pin(inner, _) => return resolve(r, inner),
    };
    match found {
        Some(c) if c.enabled => Ok((c.index.0, c.input.is_some())),
        Some(c) => Err(format!("“{}” is locked ({})", c.text, c.reason.as_deref().unwrap_or("no reason given"))),
        None => {
            let what = match s {
                TestStep::Number(n) => format!("choice {n}"),
                TestStep::Text(t) => format!("“{t}”"),
                TestStep::Type(..) | TestStep::Pin(..) => String::new(),
            };
            Err(format!(
                "no {what} at `{}`; offered: {}",
                r.story().node(r.state().node).id,
                if offered.is_empty() { "nothing".into() } else { list() }
            ))
        }
    }
}

/// Runs one test.
pub fn run(story: &Arc<Story>, t: &StoryTest) -> TestOutcome {
    let mut r = Runner::new(Arc::clone(story), t.seed);
    let mut transcript = String::new();
    let mut failures = Vec::new();
    let mut steps = 0;
    let dump = |r: &Runner, out: &mut String| {
        for p in &r.page().passages {
            let _ = writeln!(out, "{}", p.text);
        }
    };
    dump(&r, &mut transcript);
    // Expectations are checked on every step: a test fails where one breaks.
    let broken = |r: &Runner, step: usize, failures: &mut Vec<String>| {
        for &site in &r.page().broken {
            let at = if step == 0 { "at the start".to_string() } else { format!("after step {step}") };
            failures.push(format!("{at}: {}", story.broken_message(site)));
        }
    };
    broken(&r, 0, &mut failures);
    for (i, s) in t.steps.iter().enumerate() {
        match resolve(&r, s) {
            Ok((index, asks)) => {
                let typed = match s {
                    TestStep::Type(_, typed) => Some(typed.as_str()),
                    _ => None,
                };
                if typed.is_some() && !asks {
                    failures.push(format!("step {}: the choice does not ask for text", i + 1));
                    break;
                }
                let text = r.choices().into_iter().find(|c| c.index == index).map(|c| c.text).unwrap_or_default();
                let _ = writeln!(transcript, "> {text}");
                let pin_ids: &[String] = match s {
                    TestStep::Pin(_, ids) => ids,
                    _ => &[],
                };
                if let Some(bad) = pin_ids.iter().find(|id| story.node_id(id).is_none()) {
                    failures.push(format!("step {}: `Pin` names `{bad}`, which is not a node of the story", i + 1));
                    break;
                }
                let pins: Vec<u32> = pin_ids.iter().filter_map(|id| story.node_id(id)).collect();
                match r.choose_pinned(index, typed, &pins) {
                    Err(e) => {
                        failures.push(format!("step {}: {e}", i + 1));
                        break;
                    }
                    Ok(false) if !pins.is_empty() => {
                        failures.push(format!("step {}: no random branch on the way could go to {}", i + 1, pin_ids.join(" or ")));
                        break;
                    }
                    Ok(_) => {}
                }
                steps += 1;
                dump(&r, &mut transcript);
                broken(&r, i + 1, &mut failures);
            }
            Err(e) => {
                failures.push(format!("step {}: {e}", i + 1));
                break;
            }
        }
    }
    let ending = r.ended().and_then(|e| story.ending(e)).map(|e| e.id.clone());
    if failures.is_empty() {
        if let Some(want) = &t.ending
            && *want != ending
        {
            let show = |e: &Option<String>| e.clone().unwrap_or_else(|| "none (still playing)".into());
            failures.push(format!("expected ending `{}`, reached `{}`", show(want), show(&ending)));
        }
        for (src, e) in &t.check {
            if !e.test(&r.state().env()) {
                let vals: Vec<String> = story
                    .vars
                    .iter()
                    .zip(&r.state().vars)
                    .filter(|(d, _)| src.contains(&d.name))
                    .map(|(d, v)| format!("{} = {v}", d.name))
                    .collect();
                failures.push(format!("check `{src}` failed ({})", vals.join(", ")));
            }
        }
        for s in &t.shows {
            if !transcript.contains(s.as_str()) {
                failures.push(format!("the text never shows “{s}”"));
            }
        }
        for s in &t.hides {
            if transcript.contains(s.as_str()) {
                failures.push(format!("the text shows “{s}”, which it must not"));
            }
        }
    }
    TestOutcome { name: t.name.clone(), failures, transcript, ending, steps }
}

/// Writes a test that replays `runner`'s log: its seed, each choice by its text (with
/// `Type` for text prompts), the ending reached, and the final integer values.
pub fn record(runner: &Runner, name: &str) -> String {
    let story = runner.story();
    let mut replay = Runner::new(Arc::clone(story), runner.seed());
    let mut steps = Vec::new();
    for e in runner.log() {
        let text = replay.choices().into_iter().find(|c| c.index == e.choice).map(|c| c.text).unwrap_or_default();
        let quoted = format!("{text:?}");
        steps.push(match &e.input {
            Some(typed) => format!("Type({quoted}, {typed:?})"),
            None => quoted,
        });
        if replay.choose(e.choice, e.input.as_deref()).is_err() {
            break;
        }
    }
    let ending = runner.ended().and_then(|e| story.ending(e)).map_or("none".to_string(), |e| e.id.clone());
    let checks: Vec<String> = story
        .vars
        .iter()
        .zip(&runner.state().vars)
        .filter_map(|(d, v)| match v {
            super::value::Value::Int(n) => Some(format!("    \"{} == {n}\",", d.name)),
            _ => None,
        })
        .collect();
    let mut out = format!(
        "// A recorded playthrough, replayed by `quill test` and `cargo test`.\nStoryTest(\n    name: {name:?},\n    seed: {},\n    steps: [\n",
        runner.seed()
    );
    for s in steps {
        let _ = writeln!(out, "        {s},");
    }
    let _ = writeln!(out, "    ],\n    ending: {ending:?},\n    check: [");
    for c in checks {
        let _ = writeln!(out, "    {c}");
    }
    out.push_str("    ],\n)\n");
    out
}
