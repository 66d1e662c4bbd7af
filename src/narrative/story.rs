//! The compiled story: every id resolved to an index, every expression and text
//! compiled, ready to play. Built by the loader; immutable afterwards.

use super::expr::{Effect, Expr};
use super::text::{SharedStr, Text};
use super::value::{Type, Value};
use std::collections::HashMap;
use std::sync::Arc;

/// A declared variable.
#[derive(Clone, Debug)]
pub struct VarDecl {
    /// Its name.
    pub name: String,
    /// Its type.
    pub ty: Type,
    /// The value a new game (or a migrated save) starts with.
    pub default: Value,
    /// Lowest value, for integers.
    pub min: Option<i64>,
    /// Highest value, for integers.
    pub max: Option<i64>,
}

impl VarDecl {
    /// Clamps an integer to the declared range.
    pub fn clamp(&self, n: i64) -> i64 {
        let n = self.min.map_or(n, |m| n.max(m));
        self.max.map_or(n, |m| n.min(m))
    }
}

/// A declared character.
#[derive(Clone, Debug)]
pub struct Character {
    /// Its id, used by `Say` and `Line(speaker: ..)`.
    pub id: String,
    /// The name shown; may interpolate variables (no variations).
    pub name: Text,
    /// A colour hint, `[r, g, b]`.
    pub colour: Option<[u8; 3]>,
    /// Rendered as a voice rather than a person.
    pub voice: bool,
}

/// A choice, by its place in its node's `choices`: what [`super::Offered::index`]
/// gives and [`super::Runner::choose`] takes (and what a front end sends back in its
/// command). A distinct type, so it is never mistaken for the choice's number on
/// screen, a character or an ending.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
pub struct ChoiceIndex(pub u32);

/// A character, by its place in the story's `characters` ([`Story::character`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CharacterId(pub u32);

/// An ending, by its place in the story's `endings` ([`Story::ending`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EndingId(pub u32);

impl From<u32> for ChoiceIndex {
    fn from(i: u32) -> ChoiceIndex {
        ChoiceIndex(i)
    }
}

impl PartialEq<u32> for ChoiceIndex {
    fn eq(&self, other: &u32) -> bool {
        self.0 == *other
    }
}

/// A declared ending.
#[derive(Clone, Debug)]
pub struct EndingDecl {
    /// Its id.
    pub id: String,
    /// Title shown in the gallery.
    pub title: String,
    /// One line shown once reached.
    pub description: String,
    /// Shown while locked.
    pub hint: String,
    /// Hidden entirely (title too) until reached.
    pub secret: bool,
}

/// A chapter: one content file.
#[derive(Clone, Debug)]
pub struct Chapter {
    /// Its title.
    pub title: String,
    /// The file it came from, as listed in the manifest.
    pub file: String,
}

/// One paragraph.
#[derive(Clone, Debug)]
pub struct Passage {
    /// Who speaks, by character index; `None` is narration.
    pub speaker: Option<u32>,
    /// Shown only when this holds (shared by every place the same condition is
    /// written; it reads as its expression).
    pub when: Option<Arc<Condition>>,
    /// The text.
    pub text: Text,
    /// Its tags and expectation, which few passages have.
    pub more: Option<Box<PassageMore>>,
}

/// The parts of a passage that few passages have (see [`Passage::more`]).
#[derive(Clone, Debug, Default)]
pub struct PassageMore {
    /// Free-form tags for the front end.
    pub tags: Box<[String]>,
    /// What must hold whenever this passage is shown.
    pub expect: Option<Expectation>,
}

impl Passage {
    /// Free-form tags for the front end.
    pub fn tags(&self) -> &[String] {
        self.more.as_ref().map_or(&[], |m| &m.tags)
    }

    /// What must hold whenever this passage is shown.
    pub fn expect(&self) -> Option<&Expectation> {
        self.more.as_ref()?.expect.as_ref()
    }
}

/// A condition the writer declares must hold at a place in the story (`expect:` on a
/// node, a passage or a choice) or everywhere (`invariants:` in the manifest). The
/// runner and the tools check it; it never changes what the reader sees.
#[derive(Clone, Debug)]
pub struct Expectation {
    /// The condition.
    pub expr: Expr,
    /// As written.
    pub src: String,
}

/// Where an expectation is declared.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ExpectSite {
    /// A node's `expect`: checked on arrival, before its `do`.
    Node(u32),
    /// The `expect` of passage `passage` of `node`: checked when it is shown.
    Passage {
        /// Node index.
        node: u32,
        /// Passage index within the node.
        passage: u32,
    },
    /// The `expect` of choice `choice` of `node`: checked when it is taken, before its
    /// `do`.
    Choice {
        /// Node index.
        node: u32,
        /// Choice index within the node.
        choice: u32,
    },
    /// The manifest's invariant number `n`: checked on every arrival.
    Invariant(u32),
}

/// A text prompt attached to a choice.
#[derive(Clone, Debug)]
pub struct Input {
    /// The `Str` variable that receives the text.
    pub var: u32,
    /// The question shown.
    pub prompt: Text,
    /// Used when the reader enters nothing.
    pub default: String,
}

/// The longest text a reader may enter at a prompt, in characters.
pub const MAX_INPUT_CHARS: usize = 40;

/// A choice. What most choices have is held in place; what few have (a lock, a text
/// prompt, a call, an expectation, a key that is not its text) is in one box, so a story's
/// tens of thousands of plain choices stay small.
#[derive(Clone, Debug)]
pub struct Choice {
    /// What the reader sees (no variations).
    pub text: Text,
    /// Run when chosen.
    pub effects: Effects,
    /// Available only while this holds (a [`Condition`] reads as its expression;
    /// shared by every place the same condition is written).
    pub when: Option<Arc<Condition>>,
    /// The rarer parts; `None` when the choice has none of them.
    pub more: Option<Box<ChoiceMore>>,
    /// Where it leads, by node index.
    pub to: u32,
    /// Its once-only slot, or [`Choice::STICKY`] or [`Choice::FALLBACK`] (see
    /// [`Choice::once_slot`]).
    pub(crate) slot: u32,
}

/// A list of effects, shared by every place the same list is written (`do:
/// ["trust += 1"]` on a hundred choices is compiled and held once); it reads as a
/// slice of [`Effect`]s. Behind one thin pointer, so a choice holds 8 bytes for it.
#[derive(Clone, Debug, Default)]
pub struct Effects(Option<Arc<Box<[Effect]>>>);

impl Effects {
    /// These effects, in a list of their own.
    pub fn new(effects: Vec<Effect>) -> Effects {
        Effects((!effects.is_empty()).then(|| Arc::new(effects.into_boxed_slice())))
    }
}

impl<'a> IntoIterator for &'a Effects {
    type Item = &'a Effect;
    type IntoIter = std::slice::Iter<'a, Effect>;
    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl std::ops::Deref for Effects {
    type Target = [Effect];
    fn deref(&self) -> &[Effect] {
        self.0.as_deref().map_or(&[], |list| list)
    }
}

/// A choice's condition, and how it was written (for maps and reports). It reads as
/// its expression wherever an [`Expr`] is wanted.
#[derive(Clone, Debug)]
pub struct Condition {
    /// The compiled condition.
    pub expr: Expr,
    /// As written.
    pub src: Box<str>,
}

impl std::ops::Deref for Condition {
    type Target = Expr;
    fn deref(&self) -> &Expr {
        &self.expr
    }
}

/// The parts of a choice that few choices have (see [`Choice::more`]).
#[derive(Clone, Debug, Default)]
pub struct ChoiceMore {
    /// If set, the choice is shown disabled with this reason while `when` is false.
    pub locked: Option<Text>,
    /// Ask the reader for text first.
    pub input: Option<Input>,
    /// For a choice that `call`s a shared node: where the reader goes when that node
    /// (or one after it) ends with `next: Return`. `to` is then the called node.
    pub returns_to: Option<u32>,
    /// What must hold whenever this choice is taken.
    pub expect: Option<Expectation>,
    /// The key saves use when it is not the text itself (see [`Choice::key`]).
    pub(crate) key: Option<SharedStr>,
}

impl Choice {
    /// [`Choice::slot`] of a sticky choice: it stays offered after it is taken.
    pub(crate) const STICKY: u32 = u32::MAX;
    /// [`Choice::slot`] of a fallback: it has no slot either.
    pub(crate) const FALLBACK: u32 = u32::MAX - 1;

    /// The stable key saves use: the `id` field, or the text as written (then its
    /// very bytes, so the key costs nothing).
    pub fn key(&self) -> &str {
        match self.more.as_ref().and_then(|m| m.key.as_ref()) {
            Some(k) => k,
            None => self.text.as_literal().map_or("", |t| t),
        }
    }

    /// Its slot in the state's taken-set when it is once-only; sticky choices and
    /// fallbacks have none.
    pub fn once_slot(&self) -> Option<u32> {
        (self.slot < Choice::FALLBACK).then_some(self.slot)
    }

    /// Whether it is taken automatically when nothing else is available (and never
    /// shown).
    pub fn fallback(&self) -> bool {
        self.slot == Choice::FALLBACK
    }

    /// The condition as written, for maps and reports.
    pub fn when_src(&self) -> Option<&str> {
        self.when.as_ref().map(|w| &*w.src)
    }

    /// The reason shown while the choice is locked (`when` false), if it shows locked.
    pub fn locked(&self) -> Option<&Text> {
        self.more.as_ref()?.locked.as_ref()
    }

    /// The text prompt asked before the choice is taken.
    pub fn input(&self) -> Option<&Input> {
        self.more.as_ref()?.input.as_ref()
    }

    /// For a choice that `call`s a node: where `next: Return` comes back to.
    pub fn returns_to(&self) -> Option<u32> {
        self.more.as_ref()?.returns_to
    }

    /// What must hold whenever this choice is taken.
    pub fn expect(&self) -> Option<&Expectation> {
        self.more.as_ref()?.expect.as_ref()
    }
}

/// How the story moves on from a node.
#[derive(Clone, Debug)]
pub enum Flow {
    /// The reader picks one of the node's choices.
    Choices,
    /// Straight on to a node.
    Goto(u32),
    /// The first branch whose condition holds, else the last target. (The lists sit
    /// behind thin pointers, so a flow is 16 bytes.)
    Branch(Box<Box<[(Expr, u32)]>>, u32),
    /// A weighted random pick: `(weight, node)`.
    Random(Box<Box<[(u32, u32)]>>),
    /// The story ends here with this ending.
    Ending(u32),
    /// Back to where the latest `call` said to return (a tunnel, as in ink).
    Return,
}

/// A node.
#[derive(Clone, Debug)]
pub struct Node {
    /// Its id.
    pub id: SharedStr,
    /// The chapter it belongs to.
    pub chapter: u32,
    /// Effects run on arrival.
    pub effects: Effects,
    /// Paragraphs.
    pub passages: Box<[Passage]>,
    /// Choices (for `Flow::Choices`).
    pub choices: Box<[Choice]>,
    /// How it moves on.
    pub flow: Flow,
    /// Its tags, the written conditions of its `next` and its expectation, which
    /// fewer nodes have.
    pub more: Option<Box<NodeMore>>,
}

/// The parts of a node that fewer nodes have (see [`Node::more`]).
#[derive(Clone, Debug, Default)]
pub struct NodeMore {
    /// Tags for the front end.
    pub tags: Box<[String]>,
    /// The conditions of a conditional `next`, as written (for maps and reports).
    pub branch_src: Box<[String]>,
    /// What must hold whenever the reader arrives here.
    pub expect: Option<Expectation>,
}

impl Node {
    /// Tags for the front end.
    pub fn tags(&self) -> &[String] {
        self.more.as_ref().map_or(&[], |m| &m.tags)
    }

    /// The conditions of a conditional `next`, as written (for maps and reports).
    pub fn branch_src(&self) -> &[String] {
        self.more.as_ref().map_or(&[], |m| &m.branch_src)
    }

    /// What must hold whenever the reader arrives here.
    pub fn expect(&self) -> Option<&Expectation> {
        self.more.as_ref()?.expect.as_ref()
    }

    /// Adds `slots` to every once-only slot and `sites` to every variation site
    /// (nodes compiled in parallel runs are numbered from zero in each run).
    pub(crate) fn shift_numbering(&mut self, slots: u32, sites: u32) {
        for c in &mut self.choices {
            if c.once_slot().is_some() {
                c.slot += slots;
            }
        }
        for p in &mut self.passages {
            p.text.shift_sites(sites);
        }
    }

    /// Every node this one can lead to, directly.
    pub fn successors(&self) -> impl Iterator<Item = u32> + '_ {
        let flow: Vec<u32> = match &self.flow {
            Flow::Choices | Flow::Ending(_) | Flow::Return => Vec::new(),
            Flow::Goto(n) => vec![*n],
            Flow::Branch(bs, e) => bs.iter().map(|b| b.1).chain([*e]).collect(),
            Flow::Random(ws) => ws.iter().map(|w| w.1).collect(),
        };
        self.choices.iter().flat_map(|c| std::iter::once(c.to).chain(c.returns_to())).chain(flow)
    }

    /// Calls `f` on every condition of the node (passage `when`s, choice `when`s, the
    /// `If`s of its `next`) and every expression in its passages' and choices' text.
    pub fn each_condition_and_text_expr(&self, f: &mut impl FnMut(&Expr)) {
        if let Some(e) = self.expect() {
            f(&e.expr);
        }
        for p in &self.passages {
            if let Some(w) = &p.when {
                f(w);
            }
            if let Some(e) = p.expect() {
                f(&e.expr);
            }
            p.text.each_expr(f);
        }
        for c in &self.choices {
            if let Some(w) = &c.when {
                f(w);
            }
            if let Some(e) = c.expect() {
                f(&e.expr);
            }
            c.text.each_expr(f);
        }
        if let Flow::Branch(bs, _) = &self.flow {
            for (c, _) in bs.iter() {
                f(c);
            }
        }
    }

    /// Calls `f` on every expression that decides where the story goes or what is
    /// checked here: choice `when`s, the `If`s of its `next`, and its expectations
    /// (with the `when` of each passage that has one). Text alone is left out.
    pub fn each_flow_expr<'a>(&'a self, f: &mut impl FnMut(&'a Expr)) {
        for c in &self.choices {
            if let Some(w) = &c.when {
                f(w);
            }
            if let Some(e) = c.expect() {
                f(&e.expr);
            }
        }
        if let Flow::Branch(bs, _) = &self.flow {
            for (c, _) in bs.iter() {
                f(c);
            }
        }
        if let Some(e) = self.expect() {
            f(&e.expr);
        }
        for p in &self.passages {
            if let Some(e) = p.expect() {
                f(&e.expr);
                if let Some(w) = &p.when {
                    f(w);
                }
            }
        }
    }

    /// Every effect of the node: on arrival, then its choices'.
    pub fn each_effect(&self) -> impl Iterator<Item = &Effect> {
        self.effects.iter().chain(self.choices.iter().flat_map(|c| c.effects.iter()))
    }

    /// A tag's value: for `mood:warm`, `tag("mood")` is `Some("warm")`.
    pub fn tag(&self, key: &str) -> Option<&str> {
        tag_value(self.tags(), key)
    }
}

/// Finds `key:value` in a list of tags.
pub fn tag_value<'a>(tags: &'a [String], key: &str) -> Option<&'a str> {
    tags.iter().find_map(|t| t.strip_prefix(key).and_then(|r| r.strip_prefix(':')).map(str::trim))
}

/// A playable story.
#[derive(Clone, Debug)]
pub struct Story {
    /// Stable id.
    pub id: String,
    /// Title.
    pub title: String,
    /// Author.
    pub author: String,
    /// Version string.
    pub version: String,
    /// The first node.
    pub start: u32,
    /// Variables.
    pub vars: Vec<VarDecl>,
    /// Characters.
    pub characters: Vec<Character>,
    /// Endings, in gallery order.
    pub endings: Vec<EndingDecl>,
    /// Chapters, in reading order.
    pub chapters: Vec<Chapter>,
    /// Nodes.
    pub nodes: Vec<Node>,
    /// How many once-only choices there are.
    pub once_slots: u32,
    /// How many variation sites there are.
    pub vary_sites: u32,
    /// Hash of the source files, for saves.
    pub content_hash: u64,
    /// Every node's index, sorted by id: [`Story::node_id`] finds an id by binary
    /// search (a tenth of the memory of a hash map of copied ids).
    pub node_order: Box<[u32]>,
    /// Variable name → index.
    pub var_index: HashMap<String, u32>,
    /// Which node each variation site belongs to, so saves can key counters stably.
    pub vary_site_node: Vec<u32>,
    /// Each ending's description, compiled (markup such as `{her_name}` renders).
    pub ending_texts: Vec<super::text::Text>,
    /// Conditions that must hold in every state the reader reaches (the manifest's
    /// `invariants`).
    pub invariants: Vec<Expectation>,
}

impl Story {
    /// A character by id.
    pub fn character(&self, c: CharacterId) -> Option<&Character> {
        self.characters.get(c.0 as usize)
    }

    /// An ending by id.
    pub fn ending(&self, e: EndingId) -> Option<&EndingDecl> {
        self.endings.get(e.0 as usize)
    }

    /// A node's index by id.
    pub fn node_id(&self, id: &str) -> Option<u32> {
        let nodes = &self.nodes;
        let at = self.node_order.binary_search_by(|&n| nodes.get(n as usize).map_or("", |n| n.id.as_ref()).cmp(id)).ok()?;
        self.node_order.get(at).copied()
    }

    /// The description of ending `e` rendered with the variables' defaults (for a
    /// gallery, outside any playthrough; [`super::Runner::ending_description`] renders it
    /// with the playthrough's own values).
    pub fn ending_description_default(&self, e: u32) -> String {
        let st = super::state::StoryState::new(self, 0);
        let mut out = String::new();
        if let Some(t) = self.ending_texts.get(e as usize) {
            t.render_pure(&st.env(), &mut out);
        }
        super::text::tidy(&mut out);
        out
    }

    /// The expectation declared at `site`.
    pub fn expectation(&self, site: ExpectSite) -> Option<&Expectation> {
        match site {
            ExpectSite::Node(n) => self.nodes.get(n as usize)?.expect(),
            ExpectSite::Passage { node, passage } => self.nodes.get(node as usize)?.passages.get(passage as usize)?.expect(),
            ExpectSite::Choice { node, choice } => self.nodes.get(node as usize)?.choices.get(choice as usize)?.expect(),
            ExpectSite::Invariant(i) => self.invariants.get(i as usize),
        }
    }

    /// Where an expectation is, in words a writer can find: "node `x`", "passage 2 of
    /// node `x`", "choice “Ask her” of node `x`", "invariant 1".
    pub fn describe_site(&self, site: ExpectSite) -> String {
        let id = |n: u32| self.nodes.get(n as usize).map_or("?", |n| n.id.as_ref());
        match site {
            ExpectSite::Node(n) => format!("node `{}`", id(n)),
            ExpectSite::Passage { node, passage } => format!("passage {} of node `{}`", passage + 1, id(node)),
            ExpectSite::Choice { node, choice } => {
                let key = self.nodes.get(node as usize).and_then(|n| n.choices.get(choice as usize)).map_or("?", |c| c.key());
                format!("choice “{key}” of node `{}`", id(node))
            }
            ExpectSite::Invariant(i) => format!("invariant {} of the manifest", i + 1),
        }
    }

    /// A failed expectation in words: "the expectation `told_nell` of node `c8_recap`
    /// does not hold".
    pub fn broken_message(&self, site: ExpectSite) -> String {
        let src = self.expectation(site).map_or("?", |e| e.src.as_str());
        match site {
            ExpectSite::Invariant(_) => format!("{} `{src}` does not hold", self.describe_site(site)),
            _ => format!("the expectation `{src}` of {} does not hold", self.describe_site(site)),
        }
    }

    /// Whether the story declares any expectation or invariant.
    pub fn has_expectations(&self) -> bool {
        !self.invariants.is_empty()
            || self.nodes.iter().any(|n| {
                n.expect().is_some() || n.passages.iter().any(|p| p.expect().is_some()) || n.choices.iter().any(|c| c.expect().is_some())
            })
    }

    /// A node by index.
    pub fn node(&self, i: u32) -> &Node {
        &self.nodes[i as usize]
    }

    /// A variable's index by name.
    pub fn var_id(&self, name: &str) -> Option<u32> {
        self.var_index.get(name).copied()
    }

    /// An ending's index by id.
    pub fn ending_id(&self, id: &str) -> Option<u32> {
        self.endings.iter().position(|e| e.id == id).map(|i| i as u32)
    }

    /// A character's index by id.
    pub fn character_id(&self, id: &str) -> Option<u32> {
        self.characters.iter().position(|c| c.id == id).map(|i| i as u32)
    }

    /// The chapter title a node belongs to.
    pub fn chapter_title(&self, node: u32) -> &str {
        self.chapters.get(self.node(node).chapter as usize).map_or("", |c| c.title.as_str())
    }
}
