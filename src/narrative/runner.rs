//! The runner: plays a story. It presents the current passages with their text
//! evaluated, lists the choices (with reasons for locked ones), applies a choice, and
//! undoes any number of choices by replaying the log from its base.

use super::flow::{self, MAX_FLOW_STEPS, Observer, Stop};
use super::state::{StateEnv, StateVary, StoryState};
use super::story::{CharacterId, ChoiceIndex, EndingId, ExpectSite, MAX_INPUT_CHARS, Story};
use super::text::{SharedStr, tidy};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use thiserror::Error;

/// A passage as shown: text evaluated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Shown {
    /// The node it came from.
    pub node: u32,
    /// Its index within that node's passages (for its tags).
    pub passage: u32,
    /// The speaker.
    pub speaker: Option<CharacterId>,
    /// The text. Shared with the story when the passage is plain text, so showing
    /// it copies nothing.
    pub text: SharedStr,
}

/// What the reader sees now.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Page {
    /// Passages since the last choice.
    pub passages: Vec<Shown>,
    /// Set when the story flowed into a state with no way on (a writer's bug the
    /// explorer reports as a trap); the message says where.
    pub stuck: Option<String>,
    /// Expectations and invariants that did not hold since the last choice (the
    /// choice's own included): a writer's bug, for tools and writer overlays, never
    /// for the reader.
    pub broken: Vec<ExpectSite>,
}

/// A choice as offered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Offered {
    /// Its index in the node's `choices`: what [`Runner::choose`] takes.
    pub index: ChoiceIndex,
    /// Its text.
    pub text: String,
    /// Whether it can be taken.
    pub enabled: bool,
    /// Why not, when it is shown locked.
    pub reason: Option<String>,
    /// The prompt and default, when it asks for text.
    pub input: Option<(String, String)>,
}

/// One entry of the choice log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogEntry {
    /// The node the choice was made at.
    pub node: u32,
    /// The choice's index in that node.
    pub choice: u32,
    /// Text the reader entered, if the choice asked for it.
    pub input: Option<String>,
}

/// Why a choice was refused.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum ChooseError {
    /// The story has ended; start again or undo.
    #[error("the story has ended")]
    Ended,
    /// The index names no choice of the current node.
    #[error("there is no choice {0} here")]
    NoSuchChoice(u32),
    /// The choice exists but is hidden, taken already, or locked.
    #[error("that choice is not available")]
    NotAvailable,
}

/// Plays one story.
#[derive(Clone, Debug)]
pub struct Runner {
    story: Arc<Story>,
    state: StoryState,
    page: Page,
    /// Shared, so a copy of the runner (the autosave writer's) costs nothing however
    /// long the playthrough; a choice copies it only while such a copy is alive.
    log: Arc<Vec<LogEntry>>,
    /// The state and page undo rebuilds from, and the log length there.
    base: Base,
    base_log: usize,
    seed: u64,
    /// Outcomes a test pinned for the choice being made: a random branch that can go
    /// to one of them goes there, whatever the seed says. Cleared after the choice.
    pinned: Vec<u32>,
    /// Whether a pinned outcome was taken during the last choice.
    pin_hit: bool,
}

/// Where undo starts from.
#[derive(Clone, Debug)]
enum Base {
    /// A new game: rebuilt from the story and the seed when needed, so starting a
    /// game copies no state (the visit counts alone are a word per node).
    Fresh,
    /// A state and page of its own (a restored save, a writer's chosen start).
    Snapshot(Box<(StoryState, Page)>),
}

impl Runner {
    /// Starts the story with a seed.
    pub fn new(story: Arc<Story>, seed: u64) -> Runner {
        let (state, start) = (StoryState::new(&story, seed), story.start);
        Runner::entering(story, seed, state, start, true)
    }

    /// A runner in `state` that arrives at node `n` and flows on; undo starts there.
    /// `fresh`: `state` is a new game's and `n` the story's start.
    fn entering(story: Arc<Story>, seed: u64, state: StoryState, n: u32, fresh: bool) -> Runner {
        let mut r = Runner {
            base: Base::Fresh,
            state,
            page: Page::default(),
            log: Arc::default(),
            base_log: 0,
            seed,
            story,
            pinned: Vec::new(),
            pin_hit: false,
        };
        r.enter(n);
        if !fresh {
            r.base = Base::Snapshot(Box::new((r.state.clone(), r.page.clone())));
        }
        r
    }

    /// The one way to replay a playthrough: a new game of `story` with `seed`, then
    /// each choice (its index in its node, and the text typed) in turn. `before` sees
    /// the runner before each choice is made, with the choice's number (from 0), index
    /// and text. Stops at the first choice that cannot be made: the runner stays where
    /// it was, and the error says which choice and why.
    pub fn replay<'a>(
        story: Arc<Story>,
        seed: u64,
        choices: impl IntoIterator<Item = (u32, Option<&'a str>)>,
        mut before: impl FnMut(&Runner, usize, u32, Option<&str>),
    ) -> (Runner, Result<(), (usize, ChooseError)>) {
        let mut r = Runner::new(story, seed);
        for (k, (choice, input)) in choices.into_iter().enumerate() {
            before(&r, k, choice, input);
            if let Err(e) = r.choose(choice, input) {
                return (r, Err((k, e)));
            }
        }
        (r, Ok(()))
    }

    /// Resumes from a state (a restored save). Undo cannot go back past this point
    /// unless `log` replays it (the save did).
    pub fn resume(story: Arc<Story>, seed: u64, state: StoryState, page: Page, log: Vec<LogEntry>) -> Runner {
        let base_log = log.len();
        Runner {
            base: Base::Snapshot(Box::new((state.clone(), page.clone()))),
            state,
            page,
            log: Arc::new(log),
            base_log,
            seed,
            story,
            pinned: Vec::new(),
            pin_hit: false,
        }
    }

    /// The story.
    pub fn story(&self) -> &Arc<Story> {
        &self.story
    }

    /// The state.
    pub fn state(&self) -> &StoryState {
        &self.state
    }

    /// What the reader sees.
    pub fn page(&self) -> &Page {
        &self.page
    }

    /// The choice log.
    pub fn log(&self) -> &[LogEntry] {
        &self.log
    }

    /// The seed the story started with.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// The ending reached, by index.
    pub fn ended(&self) -> Option<EndingId> {
        self.state.ended.map(EndingId)
    }

    /// How many choices can be undone.
    pub fn undo_depth(&self) -> usize {
        self.log.len() - self.base_log
    }

    /// A character's name, evaluated now.
    pub fn character_name(&self, c: CharacterId) -> String {
        let mut s = String::new();
        if let Some(ch) = self.story.character(c) {
            ch.name.render_pure(&self.state.env(), &mut s);
        }
        s
    }

    /// The choices offered now.
    pub fn choices(&self) -> Vec<Offered> {
        let mut out = Vec::new();
        self.choices_into(&mut out);
        out
    }

    /// The choices offered now, into a reused buffer.
    pub fn choices_into(&self, out: &mut Vec<Offered>) {
        out.clear();
        if self.state.ended.is_some() {
            return;
        }
        let env = self.state.env();
        let node = self.story.node(self.state.node);
        for (i, c) in node.choices.iter().enumerate() {
            if c.fallback() || c.once_slot().is_some_and(|s| self.state.taken(s)) {
                continue;
            }
            let ok = c.when.as_ref().is_none_or(|w| w.test(&env));
            if !ok && c.locked().is_none() {
                continue;
            }
            let mut text = String::new();
            c.text.render_pure(&env, &mut text);
            tidy(&mut text);
            let reason = (!ok).then(|| {
                let mut r = String::new();
                if let Some(l) = c.locked() {
                    l.render_pure(&env, &mut r);
                }
                r
            });
            let input = c.input().map(|inp| {
                let mut p = String::new();
                inp.prompt.render_pure(&env, &mut p);
                (p, inp.default.clone())
            });
            out.push(Offered { index: ChoiceIndex(i as u32), text, enabled: ok, reason, input });
        }
    }

    /// Whether choice `i` of the current node can be taken now.
    pub fn available(&self, i: u32) -> bool {
        flow::available(&self.story, &self.state, i as usize)
    }

    /// Takes choice `i` (its index in the node, as [`Offered::index`]). `input` is the
    /// text for a choice that asks for it: trimmed, cut to 40 characters, and the
    /// default when empty.
    pub fn choose(&mut self, i: impl Into<ChoiceIndex>, input: Option<&str>) -> Result<(), ChooseError> {
        let i = i.into().0;
        if self.state.ended.is_some() {
            return Err(ChooseError::Ended);
        }
        let node = self.story.node(self.state.node);
        if node.choices.get(i as usize).is_none() {
            return Err(ChooseError::NoSuchChoice(i));
        }
        if !self.available(i) {
            return Err(ChooseError::NotAvailable);
        }
        let input = node.choices[i as usize].input().map(|inp| clean_input(input.unwrap_or(""), &inp.default));
        Arc::make_mut(&mut self.log).push(LogEntry { node: self.state.node, choice: i, input: input.clone() });
        self.apply(i, input);
        Ok(())
    }

    fn apply(&mut self, i: u32, input: Option<String>) {
        let story = Arc::clone(&self.story);
        if let (Some(inp), Some(text)) = (story.node(self.state.node).choices[i as usize].input(), input) {
            self.state.vars[inp.var as usize] = super::value::Value::Str(text);
        }
        self.page.passages.clear();
        self.page.stuck = None;
        self.page.broken.clear();
        let to = flow::take(&story, &mut self.state, i as usize, &mut Render { page: &mut self.page, story: &story });
        self.enter(to);
    }

    /// Arrives at `n` and flows on, rendering, until a choice, an ending, or a stop.
    fn enter(&mut self, mut n: u32) {
        let story = Arc::clone(&self.story);
        let mut render = Render { page: &mut self.page, story: &story };
        // Random branches restart the flow; they count against the same bound, so a
        // cycle through a random `next` (refused by the loader, E0124) still ends.
        let mut randoms = 0usize;
        loop {
            match flow::advance(&story, &mut self.state, n, &mut render) {
                Stop::Random(at) if randoms < MAX_FLOW_STEPS => {
                    randoms += 1;
                    let pinned = flow::outcomes(&story, at).iter().map(|w| w.1).find(|t| self.pinned.contains(t));
                    n = match pinned {
                        Some(t) => {
                            self.pin_hit = true;
                            t
                        }
                        None => flow::pick_outcome(&story, &mut self.state, at),
                    };
                }
                Stop::Random(_) => {
                    let id = &story.node(self.state.node).id;
                    render.page.stuck =
                        Some(format!("the story went through {MAX_FLOW_STEPS} random branches without a choice, last at `{id}`"));
                    return;
                }
                Stop::Wait | Stop::Ending(_) => return,
                Stop::Stuck => {
                    let here = story.node(self.state.node);
                    let id = &here.id;
                    render.page.stuck = Some(match here.flow {
                        super::story::Flow::Return => format!("`{id}` returns, but no `call` led here, so there is nowhere to go back to"),
                        _ => format!("no choice is available at `{id}` and it has no fallback"),
                    });
                    return;
                }
                Stop::Loop => {
                    let id = &story.node(self.state.node).id;
                    render.page.stuck = Some(format!("the story flowed through {MAX_FLOW_STEPS} nodes without a choice, last at `{id}`"));
                    return;
                }
            }
        }
    }

    /// Makes choice `i` like [`Runner::choose`], except that a random branch on the way
    /// that can go to one of `outcomes` (node indices) goes there, whatever the seed
    /// says. Returns whether a pinned outcome was taken. For story tests: undoing past
    /// this choice replays it with the seed's own outcome.
    pub fn choose_pinned(&mut self, i: impl Into<ChoiceIndex>, input: Option<&str>, outcomes: &[u32]) -> Result<bool, ChooseError> {
        self.pinned = outcomes.to_vec();
        self.pin_hit = false;
        let r = self.choose(i, input);
        self.pinned.clear();
        r.map(|()| std::mem::take(&mut self.pin_hit))
    }

    /// Undoes up to `steps` choices; returns how many were undone.
    pub fn undo(&mut self, steps: usize) -> usize {
        let steps = steps.min(self.undo_depth());
        if steps == 0 {
            return 0;
        }
        let keep = self.log.len() - steps;
        let log = std::mem::take(&mut self.log);
        match &self.base {
            Base::Fresh => {
                self.state = StoryState::new(&self.story, self.seed);
                self.page = Page::default();
                let start = self.story.start;
                self.enter(start);
            }
            Base::Snapshot(b) => {
                self.state = b.0.clone();
                self.page = b.1.clone();
            }
        }
        self.log = Arc::new(log[..self.base_log].to_vec());
        for e in &log[self.base_log..keep] {
            Arc::make_mut(&mut self.log).push(e.clone());
            self.apply(e.choice, e.input.clone());
        }
        steps
    }

    /// The description of ending `e`, its markup rendered with this playthrough's
    /// variables.
    pub fn ending_description(&self, e: EndingId) -> String {
        let mut out = String::new();
        if let Some(t) = self.story.ending_texts.get(e.0 as usize) {
            t.render_pure(&self.state.env(), &mut out);
        }
        super::text::tidy(&mut out);
        out
    }

    /// Starts again from the beginning with the same seed.
    pub fn restart(&mut self) {
        *self = Runner::new(Arc::clone(&self.story), self.seed);
    }
}

/// Trims reader input, cuts it to [`MAX_INPUT_CHARS`] characters, drops control
/// characters and markup braces, and falls back to the default when nothing is left.
pub fn clean_input(raw: &str, default: &str) -> String {
    let s: String = raw.chars().filter(|c| !c.is_control() && *c != '{' && *c != '}').take(MAX_INPUT_CHARS).collect();
    let s = s.trim();
    if s.is_empty() { default.to_string() } else { s.to_string() }
}

/// Renders passages into the page as the flow arrives at each node.
struct Render<'a> {
    page: &'a mut Page,
    story: &'a Story,
}

impl Observer for Render<'_> {
    fn arrive(&mut self, st: &mut StoryState, n: u32) {
        let node = self.story.node(n);
        for (pi, p) in node.passages.iter().enumerate() {
            let env = StateEnv { vars: &st.vars, visits: &st.visits, turn: st.turn };
            if p.when.as_ref().is_some_and(|w| !w.test(&env)) {
                continue;
            }
            let text: SharedStr = match p.text.as_literal() {
                Some(lit) => lit.clone(),
                None => {
                    let mut text = String::with_capacity(256);
                    let mut vary = StateVary { vary: &mut st.vary, rng: &mut st.rng };
                    p.text.render(&env, &mut vary, &mut text);
                    tidy(&mut text);
                    text.into()
                }
            };
            if text.is_empty() {
                continue;
            }
            self.page.passages.push(Shown { node: n, passage: pi as u32, speaker: p.speaker.map(CharacterId), text });
        }
    }
    fn broken(&mut self, _st: &StoryState, site: ExpectSite) {
        if !self.page.broken.contains(&site) {
            self.page.broken.push(site);
        }
    }
}

/// Why a story could not be started where asked.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum StartError {
    /// No node has that id.
    #[error("there is no node `{node}`{}", suggest(.hint))]
    UnknownNode {
        /// The id asked for.
        node: String,
        /// A likely intended id.
        hint: Option<String>,
    },
    /// No variable has that name.
    #[error("there is no variable `{name}`{}", suggest(.hint))]
    UnknownVariable {
        /// The name asked for.
        name: String,
        /// A likely intended name.
        hint: Option<String>,
    },
    /// The value does not fit the variable's type.
    #[error("`{name}` is {ty}, and `{value}` is not")]
    BadValue {
        /// The variable.
        name: String,
        /// Its type, in words.
        ty: &'static str,
        /// The value given.
        value: String,
    },
    /// A setting is not `name=value`.
    #[error("`{0}` is not `name=value`")]
    NotAssignment(String),
}

fn suggest(h: &Option<String>) -> String {
    h.as_ref().map(|h| format!(" ({h})")).unwrap_or_default()
}

impl Runner {
    /// Starts the story at `node` instead of its start, with variables set from
    /// `name=value` strings (integers, `true`/`false`, or text). For writers: "show me
    /// this scene as if the reader had done that". Undo goes back to this point.
    pub fn start_at(story: Arc<Story>, seed: u64, node: &str, sets: &[String]) -> Result<Runner, StartError> {
        use super::diagnostic::did_you_mean;
        use super::value::{Type, Value};
        let Some(n) = story.node_id(node) else {
            return Err(StartError::UnknownNode { node: node.into(), hint: did_you_mean(node, story.nodes.iter().map(|n| n.id.as_ref())) });
        };
        let mut state = StoryState::new(&story, seed);
        for set in sets {
            let Some((name, value)) = set.split_once('=') else { return Err(StartError::NotAssignment(set.clone())) };
            let (name, value) = (name.trim(), value.trim());
            let Some(v) = story.var_id(name) else {
                return Err(StartError::UnknownVariable {
                    name: name.into(),
                    hint: did_you_mean(name, story.vars.iter().map(|v| v.name.as_str())),
                });
            };
            let decl = &story.vars[v as usize];
            let bad = |ty| StartError::BadValue { name: name.into(), ty, value: value.into() };
            state.vars[v as usize] = match decl.ty {
                Type::Int => Value::Int(decl.clamp(value.parse().map_err(|_| bad("an integer"))?)),
                Type::Bool => Value::Bool(value.parse().map_err(|_| bad("true or false"))?),
                Type::Str => Value::Str(value.trim_matches(['"', '\'']).to_string()),
            };
        }
        Ok(Runner::entering(story, seed, state, n, false))
    }

    /// Carries this playthrough over to an edited version of the story (live editing):
    /// the reader stays at the same node, the state migrates as a save would, and the
    /// page is shown again with the new text. Fails only if the node is gone.
    pub fn migrate_to(&self, story: Arc<Story>) -> Result<(Runner, super::save::Migration), super::save::SaveError> {
        let (mut r, m) = super::save::Save::capture(self).restore(story)?;
        if m.story_changed {
            r.refresh_page();
        }
        Ok((r, m))
    }

    /// Shows the current node's passages again from the current state, without
    /// running anything (variations show their next value but do not advance).
    pub fn refresh_page(&mut self) {
        let story = Arc::clone(&self.story);
        let mut scratch = self.state.clone();
        let mut page = Page::default();
        let mut render = Render { page: &mut page, story: &story };
        render.arrive(&mut scratch, self.state.node);
        self.page.passages = page.passages;
    }
}
