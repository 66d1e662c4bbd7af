//! Compiling chapter files: nodes, passages, choices and flow, with every name
//! resolved and every expression type-checked.

use super::diagnostic::{Code, Diagnostic, did_you_mean};
use super::expr::{Effect, Expr, Scope, parse_condition, parse_effect};
use super::ron_tree::{Kind, StrLit, Value};
use super::schema::{self, Diags, Fields};
use super::source::{FileId, Span};
use super::story::{Choice, ChoiceMore, Condition, Effects, Expectation, Flow, Input, Node, NodeMore, Passage, PassageMore};
use super::text::{ProseBuf, SharedStr, Text, TextParser};
use super::value::Type;
use std::collections::HashMap;
use std::sync::Arc;

/// The most nodes one story may hold.
pub const MAX_NODES: usize = 1_000_000;

/// A node found in a chapter file, before compilation.
pub struct RawNode<'v> {
    /// Its id.
    pub id: String,
    /// The span of its id string.
    pub id_span: Span,
    /// Its file.
    pub file: FileId,
    /// Its chapter index.
    pub chapter: u32,
    /// The `Node(..)` value; for an inline reply, the `Choice(..)` that holds it.
    pub value: &'v Value<'v>,
    /// For an inline reply: the index (in the raw list) of the node offering the
    /// choice. Its id is `<that node's id>~<the choice's key>`.
    pub reply_of: Option<u32>,
}

/// The field of a struct value named `name`.
fn field<'v>(v: &'v Value<'v>, name: &str) -> Option<&'v Value<'v>> {
    match &v.kind {
        Kind::Struct { fields, .. } => fields.iter().find(|f| f.name.name == name).map(|f| &f.value),
        _ => None,
    }
}

/// The key a choice is known by before compiling: its `id`, else its text.
fn raw_choice_key<'v>(v: &'v Value<'v>) -> Option<&'v str> {
    let text = |v: &'v Value<'v>| match &v.kind {
        Kind::Str(s) => Some(s.text),
        _ => None,
    };
    if let Some([t, _]) = reply_tuple(v) {
        return text(t);
    }
    field(v, "id").and_then(text).or_else(|| field(v, "text").and_then(text))
}

/// The items of the short form `Reply("choice text", "reply")`.
fn reply_tuple<'v>(v: &'v Value<'v>) -> Option<&'v [Value<'v>; 2]> {
    match &v.kind {
        Kind::Tuple { name: Some(n), items } if n.name == "Reply" => (*items).try_into().ok(),
        _ => None,
    }
}

/// A choice's inline reply: its `reply` field, or the second item of `Reply(..)`.
fn raw_reply<'v>(v: &'v Value<'v>) -> Option<&'v Value<'v>> {
    reply_tuple(v).map(|[_, r]| r).or_else(|| field(v, "reply"))
}

/// The id of the node an inline reply compiles to: stable while the offering node's
/// id and the choice's key (its `id`, else its text) stay the same.
pub fn reply_id(parent: &str, key: &str) -> String {
    format!("{parent}~{key}")
}

/// Reads `Chapter(title: .., nodes: [..])` and collects its nodes.
pub fn collect<'v>(root: &'v Value<'v>, file: FileId, chapter: u32, d: &mut Diags, out: &mut Vec<RawNode<'v>>) -> Option<String> {
    let mut f = Fields::of(root, "Chapter", d)?;
    let title = f.opt("title", d).and_then(|v| schema::string(v, d)).map(|s| s.text.to_string()).unwrap_or_default();
    if let Some(nodes) = f.req("nodes", d) {
        for n in schema::list(nodes, d) {
            if out.len() >= MAX_NODES {
                d.push(Diagnostic::new(Code::TooLarge, format!("more than {MAX_NODES} nodes")).at(n.span, "here"));
                break;
            }
            let Kind::Struct { fields, .. } = &n.kind else {
                d.expected("`Node(..)`", n);
                continue;
            };
            let Some(idf) = fields.iter().find(|f| f.name.name == "id") else {
                d.push(
                    Diagnostic::new(Code::MissingField, "`Node` is missing its `id` field")
                        .at(Span { end: n.span.start + 4, ..n.span }, "add `id: \"...\"`"),
                );
                continue;
            };
            // A badly formed id is reported once and still registered, so links to it
            // don't cascade into "unknown node" errors.
            let id = match schema::id(&idf.value, "node", d) {
                Some(id) => id.to_string(),
                None => match &idf.value.kind {
                    Kind::Str(s) => s.text.to_string(),
                    _ => continue,
                },
            };
            let parent = out.len() as u32;
            out.push(RawNode { id: id.clone(), id_span: idf.value.span, file, chapter, value: n, reply_of: None });
            // Choices with an inline `reply` each become a node of their own.
            if let Some(Kind::List(choices)) = fields.iter().find(|f| f.name.name == "choices").map(|f| &f.value.kind) {
                for c in choices.iter().filter(|c| raw_reply(c).is_some()) {
                    if let Some(key) = raw_choice_key(c) {
                        out.push(RawNode { id: reply_id(&id, key), id_span: c.span, file, chapter, value: c, reply_of: Some(parent) });
                    }
                }
            }
        }
    }
    f.finish(&["title", "nodes"], d);
    Some(title)
}

/// Names visible to expressions: the manifest's variables and every node.
pub struct StoryScope<'a> {
    /// Variable name → (index, type).
    pub vars: &'a HashMap<String, (u32, Type)>,
    /// Node id → index.
    pub nodes: &'a HashMap<String, u32>,
}

impl Scope for StoryScope<'_> {
    fn var(&self, name: &str) -> Option<(u32, Type)> {
        self.vars.get(name).copied()
    }
    fn node(&self, name: &str) -> Option<u32> {
        self.nodes.get(name).copied()
    }
    fn var_names(&self) -> Vec<&str> {
        self.vars.keys().map(String::as_str).collect()
    }
    fn node_names(&self) -> Vec<&str> {
        self.nodes.keys().map(String::as_str).collect()
    }
}

/// Shared state while compiling nodes.
pub struct Compiler<'a> {
    /// Names.
    pub scope: StoryScope<'a>,
    /// Character id → index.
    pub characters: &'a HashMap<String, u32>,
    /// Ending id → index.
    pub endings: &'a HashMap<String, u32>,
    /// Next once-only slot.
    pub once_slots: u32,
    /// Next variation site.
    pub vary_sites: u32,
    /// The node each variation site belongs to.
    pub vary_site_node: Vec<u32>,
    /// Where each effect writes, for the "never read" check: (variable, span).
    pub writes: Vec<(u32, Span)>,
    /// The buffer this run's literals and choice keys are written into; frozen when
    /// the run ends.
    pub prose: ProseBuf,
    /// The conditions compiled in this run, by source: the same condition written
    /// again is shared, not compiled again.
    pub conditions: HashMap<Box<str>, Arc<Condition>>,
    /// The effect lists compiled in this run, by their sources joined with NUL.
    pub effect_lists: HashMap<Box<str>, Effects>,
}

const NODE_FIELDS: [&str; 8] = ["id", "text", "choices", "next", "ending", "do", "tags", "expect"];
const CHOICE_FIELDS: [&str; 12] = ["text", "to", "when", "locked", "do", "sticky", "fallback", "id", "input", "reply", "call", "expect"];

impl Compiler<'_> {
    /// A choice's key when it is its text as written: none of its own when the
    /// compiled text is that same literal (most are), so the key costs nothing.
    fn key_of(&mut self, text: &Text, written: &str) -> Option<SharedStr> {
        match text.as_literal() {
            Some(lit) if self.prose.read(lit) == written => None,
            _ => Some(self.prose.push(written)),
        }
    }

    /// A choice's key while this run's buffer is still open (see [`Choice::key`]).
    fn key_text<'s>(&'s self, c: &'s Choice) -> &'s str {
        match (c.more.as_ref().and_then(|m| m.key.as_ref()), c.text.as_literal()) {
            (Some(k), _) => self.prose.read(k),
            (None, Some(lit)) => self.prose.read(lit),
            (None, None) => "",
        }
    }

    /// An `expect: "condition"` (or a manifest invariant): compiled like a condition,
    /// kept with its source.
    pub fn expectation(&self, v: &Value, file: FileId, d: &mut Diags) -> Option<Box<Expectation>> {
        let src = match &v.kind {
            Kind::Str(s) => s.text.to_string(),
            _ => String::new(),
        };
        let expr = self.cond(v, file, d)?;
        Some(Box::new(Expectation { expr, src }))
    }

    /// A `when:` condition, shared with every earlier one of this run written the
    /// same way (it compiles to the same thing: names resolve story-wide).
    fn condition(&mut self, v: &Value, file: FileId, d: &mut Diags) -> Option<Arc<Condition>> {
        let s = schema::string(v, d)?;
        if let Some(c) = self.conditions.get(s.text) {
            return Some(Arc::clone(c));
        }
        let expr = self.cond(v, file, d)?;
        let c = Arc::new(Condition { expr, src: s.text.into() });
        self.conditions.insert(s.text.into(), Arc::clone(&c));
        Some(c)
    }

    fn cond(&self, v: &Value, file: FileId, d: &mut Diags) -> Option<Expr> {
        let s = schema::string(v, d)?;
        let span = |a: usize, b: usize| s.span(file, a, b);
        parse_condition(s.text, &span, &self.scope).map_err(|e| d.push(e)).ok()
    }

    fn text(&mut self, s: &StrLit, file: FileId, node: u32, vary: bool, d: &mut Diags) -> Option<Text> {
        let before = self.vary_sites;
        let t = TextParser::new(s, file, &self.scope, &mut self.vary_sites, &mut self.prose, vary).parse();
        for _ in before..self.vary_sites {
            self.vary_site_node.push(node);
        }
        t.map_err(|e| d.push(e)).ok()
    }

    /// A `do:` list, shared with every earlier one of this run written the same way.
    /// Each write is still recorded where it is written.
    fn effects(&mut self, v: &Value, file: FileId, d: &mut Diags) -> Effects {
        let items = schema::list(v, d);
        let mut key = String::new();
        for item in items {
            match &item.kind {
                Kind::Str(s) if !s.text.contains('\0') => {
                    key.push_str(s.text);
                    key.push('\0');
                }
                // Not a list of plain strings: compiled on its own, errors and all.
                _ => return Effects::new(self.effect_list(items, file, d)),
            }
        }
        if let Some(known) = self.effect_lists.get(key.as_str()) {
            let known = known.clone();
            self.writes.extend(known.iter().zip(items).map(|(e, item)| (e.var, item.span)));
            return known;
        }
        let list = self.effect_list(items, file, d);
        let complete = list.len() == items.len();
        let effects = Effects::new(list);
        if complete {
            self.effect_lists.insert(key.into(), effects.clone());
        }
        effects
    }

    fn effect_list(&mut self, items: &[Value], file: FileId, d: &mut Diags) -> Vec<Effect> {
        let mut out = Vec::new();
        for item in items {
            let Some(s) = schema::string(item, d) else {
                continue;
            };
            let span = |a: usize, b: usize| s.span(file, a, b);
            match parse_effect(s.text, &span, &self.scope) {
                Ok(e) => {
                    self.writes.push((e.var, item.span));
                    out.push(e);
                }
                Err(e) => d.push(e),
            }
        }
        out
    }

    fn target(&self, v: &Value, d: &mut Diags) -> Option<u32> {
        let s = schema::string(v, d)?;
        match self.scope.nodes.get(s.text) {
            Some(&n) => Some(n),
            None => {
                d.push(
                    Diagnostic::new(Code::UnknownNode, format!("unknown node `{}`", s.text))
                        .at(v.span, "no node has this id")
                        .maybe_help(did_you_mean(s.text, self.scope.nodes.keys().map(String::as_str))),
                );
                None
            }
        }
    }

    fn tags(&self, v: Option<&Value>, d: &mut Diags) -> Vec<String> {
        v.map(|v| schema::strings(v, d).into_iter().map(|s| s.text.to_string()).collect()).unwrap_or_default()
    }

    /// Compiles an inline reply: the choice's `reply` passages, then on to its `to`
    /// (or back to the node that offered it).
    fn reply(&mut self, raw: &RawNode<'_>, parent: u32, index: u32, d: &mut Diags) -> Option<Node> {
        let file = raw.file;
        let mut passages = Vec::new();
        if let Some(v) = raw_reply(raw.value) {
            let items: &[Value] = match &v.kind {
                Kind::Str(_) | Kind::Tuple { .. } | Kind::Struct { .. } => std::slice::from_ref(v),
                _ => schema::list(v, d),
            };
            for item in items {
                if let Some(p) = self.passage(item, file, index, d) {
                    passages.push(p);
                }
            }
        }
        let to = match field(raw.value, "to") {
            Some(t) => self.target(t, d)?,
            None => parent,
        };
        Some(Node {
            id: self.prose.push(&raw.id),
            chapter: raw.chapter,
            effects: Effects::default(),
            passages: passages.into_boxed_slice(),
            choices: Box::default(),
            flow: Flow::Goto(to),
            more: None,
        })
    }

    /// Compiles one node. `index` is its position in the story.
    pub fn node(&mut self, raw: &RawNode<'_>, index: u32, d: &mut Diags) -> Option<Node> {
        if let Some(parent) = raw.reply_of {
            return self.reply(raw, parent, index, d);
        }
        let file = raw.file;
        let mut f = Fields::of(raw.value, "Node", d)?;
        f.opt("id", d);
        let tags = self.tags(f.opt("tags", d), d);
        let expect = f.opt("expect", d).map(|v| self.expectation(v, file, d));
        let effects = f.opt("do", d).map(|v| self.effects(v, file, d)).unwrap_or_default();
        let mut passages = Vec::new();
        if let Some(v) = f.opt("text", d) {
            // One passage may stand alone: `text: "..."`, `text: Say(..)`.
            let items: &[Value] = match &v.kind {
                Kind::Str(_) | Kind::Tuple { .. } | Kind::Struct { .. } => std::slice::from_ref(v),
                _ => schema::list(v, d),
            };
            for item in items {
                if let Some(p) = self.passage(item, file, index, d) {
                    passages.push(p);
                }
            }
        }
        let choices_v = f.opt("choices", d);
        let next_v = f.opt("next", d);
        let ending_v = f.opt("ending", d);
        f.finish(&NODE_FIELDS, d);
        let mut choices = Vec::new();
        if let Some(v) = choices_v {
            let mut spans = Vec::new();
            for item in schema::list(v, d) {
                if let Some(c) = self.choice(item, file, index, &raw.id, d) {
                    spans.push(item.span);
                    choices.push(c);
                }
            }
            let mut keys: HashMap<&str, Span> = HashMap::with_capacity(choices.len());
            for (c, &span) in choices.iter().zip(&spans) {
                let key = self.key_text(c);
                if let Some(first) = keys.get(key) {
                    d.push(
                        Diagnostic::new(Code::Duplicate, format!("two choices of `{}` share the key `{key}`", raw.id))
                            .at(span, "this choice")
                            .also(*first, "has the same text or id as this one")
                            .help("give one of them an `id: \"...\"`, so saves can tell them apart"),
                    );
                }
                keys.insert(key, span);
            }
        }
        let given: Vec<(&str, Span)> = [("choices", choices_v), ("next", next_v), ("ending", ending_v)]
            .into_iter()
            .filter_map(|(n, v)| v.map(|v| (n, v.span)))
            .collect();
        if given.len() > 1 {
            d.push(
                Diagnostic::new(Code::ConflictingFlow, format!("node `{}` has both `{}` and `{}`", raw.id, given[0].0, given[1].0))
                    .at(given[1].1, "this")
                    .also(given[0].1, "conflicts with this")
                    .help("a node either offers choices, flows on with `next`, or ends with `ending`"),
            );
        }
        let flow = if let Some(v) = ending_v {
            let s = schema::string(v, d)?;
            match self.endings.get(s.text) {
                Some(&e) => Flow::Ending(e),
                None => {
                    d.push(
                        Diagnostic::new(Code::UnknownEnding, format!("unknown ending `{}`", s.text))
                            .at(v.span, "not declared in the manifest's `endings`")
                            .maybe_help(did_you_mean(s.text, self.endings.keys().map(String::as_str))),
                    );
                    return None;
                }
            }
        } else if let Some(v) = next_v {
            self.flow(v, file, d)?
        } else if choices_v.is_some() {
            if choices.is_empty() && !d.has_errors() {
                d.push(
                    Diagnostic::new(Code::DeadEnd, format!("node `{}` has an empty list of choices", raw.id))
                        .at(raw.id_span, "the reader would be stuck here")
                        .help("add a choice, or use `next` or `ending`"),
                );
            }
            Flow::Choices
        } else {
            d.push(
                Diagnostic::new(Code::DeadEnd, format!("node `{}` is a dead end", raw.id))
                    .at(raw.id_span, "no `choices`, `next` or `ending`")
                    .help("add `choices: [..]`, `next: \"node\"`, or `ending: \"ending_id\"`"),
            );
            return None;
        };
        let branch_src: Box<[String]> = match (&flow, next_v.map(|v| &v.kind)) {
            (Flow::Branch(..), Some(Kind::List(items))) => items
                .iter()
                .filter_map(|i| match &i.kind {
                    Kind::Tuple { name: Some(n), items } if n.name == "If" => match items.first().map(|x| &x.kind) {
                        Some(Kind::Str(s)) => Some(s.text.to_string()),
                        _ => None,
                    },
                    _ => None,
                })
                .collect(),
            _ => Box::default(),
        };
        let expect = match expect {
            Some(e) => Some(*e?),
            None => None,
        };
        let more = (!tags.is_empty() || !branch_src.is_empty() || expect.is_some())
            .then(|| Box::new(NodeMore { tags: tags.into_boxed_slice(), branch_src, expect }));
        Some(Node {
            id: self.prose.push(&raw.id),
            chapter: raw.chapter,
            effects,
            passages: passages.into_boxed_slice(),
            choices: choices.into_boxed_slice(),
            flow,
            more,
        })
    }

    fn passage(&mut self, v: &Value, file: FileId, node: u32, d: &mut Diags) -> Option<Passage> {
        match &v.kind {
            Kind::Str(s) => Some(Passage { speaker: None, when: None, text: self.text(s, file, node, true, d)?, more: None }),
            Kind::Tuple { name: Some(n), items } if n.name == "Say" => {
                if items.len() != 2 {
                    d.push(
                        Diagnostic::new(Code::Shape, format!("`Say` takes a speaker and a text, found {} values", items.len()))
                            .at(v.span, "here")
                            .help("write `Say(\"speaker\", \"text\")`"),
                    );
                    return None;
                }
                let speaker = self.speaker(&items[0], d)?;
                let s = schema::string(&items[1], d)?;
                Some(Passage { speaker: Some(speaker), when: None, text: self.text(s, file, node, true, d)?, more: None })
            }
            Kind::Struct { .. } => {
                let mut f = Fields::of(v, "Line", d)?;
                let speaker = f.opt("speaker", d).map(|s| self.speaker(s, d));
                let when = f.opt("when", d).map(|c| self.condition(c, file, d));
                let text = f.req("text", d).and_then(|t| schema::string(t, d)).and_then(|s| self.text(s, file, node, true, d));
                let tags = self.tags(f.opt("tags", d), d);
                let expect = f.opt("expect", d).map(|c| self.expectation(c, file, d));
                f.finish(&["speaker", "text", "when", "tags", "expect"], d);
                let expect = match expect {
                    Some(None) => return None,
                    Some(Some(e)) => Some(e),
                    None => None,
                };
                let speaker = match speaker {
                    Some(None) => return None,
                    Some(Some(s)) => Some(s),
                    None => None,
                };
                let when = match when {
                    Some(None) => return None,
                    Some(Some(w)) => Some(w),
                    None => None,
                };
                let more = (!tags.is_empty() || expect.is_some())
                    .then(|| Box::new(PassageMore { tags: tags.into_boxed_slice(), expect: expect.map(|e| *e) }));
                Some(Passage { speaker, when, text: text?, more })
            }
            _ => {
                d.expected("a passage: \"text\", `Say(\"who\", \"text\")` or `Line(..)`", v);
                None
            }
        }
    }

    fn speaker(&self, v: &Value, d: &mut Diags) -> Option<u32> {
        let s = schema::string(v, d)?;
        match self.characters.get(s.text) {
            Some(&c) => Some(c),
            None => {
                d.push(
                    Diagnostic::new(Code::UnknownCharacter, format!("unknown character `{}`", s.text))
                        .at(v.span, "not declared in the manifest's `characters`")
                        .maybe_help(did_you_mean(s.text, self.characters.keys().map(String::as_str))),
                );
                None
            }
        }
    }

    /// A choice of a short form (`Choice("text", "to")`, `Reply(..)`): once-only,
    /// keyed by its text, nothing else.
    fn short_choice(&mut self, lit: &StrLit, text: Option<Text>, to: Option<u32>) -> Option<Choice> {
        let slot = self.once_slots;
        self.once_slots += 1;
        let text = text?;
        let key = self.key_of(&text, lit.text);
        let more = key.map(|key| Box::new(ChoiceMore { key: Some(key), ..ChoiceMore::default() }));
        Some(Choice { text, to: to?, when: None, effects: Effects::default(), slot, more })
    }

    fn choice(&mut self, v: &Value, file: FileId, node: u32, node_id: &str, d: &mut Diags) -> Option<Choice> {
        // The short form with a reply: `Reply("Ask her name", "“Wren,” she says.")`,
        // back to this node afterwards.
        if let Kind::Tuple { name: Some(n), items } = &v.kind
            && n.name == "Reply"
        {
            let Some([text_v, _]) = reply_tuple(v) else {
                d.push(
                    Diagnostic::new(
                        Code::Shape,
                        format!("`Reply(..)` takes the choice's text and the reply, found {} values", items.len()),
                    )
                    .at(v.span, "here")
                    .help("write `Reply(\"Ask her name\", \"“Wren,” she says.\")`, or `Choice(text: .., reply: .., to: ..)` for more"),
                );
                return None;
            };
            let lit = schema::string(text_v, d)?;
            let text = self.text(lit, file, node, false, d);
            let to = self.scope.nodes.get(&reply_id(node_id, lit.text)).copied();
            return self.short_choice(lit, text, to);
        }
        // The short form: `Choice("text", "to")`.
        if let Kind::Tuple { name: Some(n), items } = &v.kind
            && n.name == "Choice"
            && !items.is_empty()
        {
            let [text_v, to_v] = &items[..] else {
                d.push(
                    Diagnostic::new(
                        Code::Shape,
                        format!("`Choice(..)` in its short form takes the text and where it leads, found {} values", items.len()),
                    )
                    .at(v.span, "here")
                    .help("write `Choice(\"Ask about the ferry\", \"ferry\")`, or name the fields: `Choice(text: .., to: .., do: [..])`"),
                );
                return None;
            };
            let lit = schema::string(text_v, d)?;
            let text = self.text(lit, file, node, false, d);
            let to = self.target(to_v, d);
            return self.short_choice(lit, text, to);
        }
        let mut f = Fields::of(v, "Choice", d)?;
        let fallback = f.opt("fallback", d).and_then(|b| schema::boolean(b, d)).unwrap_or(false);
        let sticky = f.opt("sticky", d).and_then(|b| schema::boolean(b, d)).unwrap_or(false);
        let text_v = if fallback { f.opt("text", d) } else { f.req("text", d) };
        let text_lit = text_v.and_then(|t| schema::string(t, d));
        let text = match text_lit {
            Some(s) => self.text(s, file, node, false, d),
            None if fallback => Some(Text::default()),
            None => None,
        };
        let reply = f.opt("reply", d);
        let call = f.opt("call", d);
        if let (Some(c), Some(r)) = (call, reply) {
            d.push(
                Diagnostic::new(Code::Shape, "a choice cannot both `call` a node and have a `reply`")
                    .at(c.span, "this call")
                    .also(r.span, "and this reply")
                    .help("put the reply's passages at the start of the called node"),
            );
        }
        // `call: "shared"`: the reader goes to `shared`; its `next: Return` comes back
        // to `to`, or to this node when there is no `to`.
        let (to, returns_to) = match (call, reply) {
            (Some(c), None) => {
                let called = self.target(c, d);
                let back = match f.opt("to", d) {
                    Some(t) => self.target(t, d),
                    None => Some(node),
                };
                (called, back)
            }
            _ => (None, None),
        };
        let to = match (call, reply) {
            (Some(_), None) => to,
            _ => match reply {
                // An inline reply: the choice leads to the reply's own node, which goes on
                // to `to` (checked there) or back here.
                Some(r) => {
                    f.opt("to", d);
                    match raw_choice_key(v) {
                        Some(key) => self.scope.nodes.get(&reply_id(node_id, key)).copied(),
                        None => {
                            d.push(
                                Diagnostic::new(Code::MissingField, "a choice with a `reply` needs a `text` or an `id`")
                                    .at(r.span, "this reply")
                                    .help("the reply is kept under the choice's key: add `id: \"...\"`"),
                            );
                            None
                        }
                    }
                }
                None => f.req("to", d).and_then(|t| self.target(t, d)),
            },
        };
        let when_v = f.opt("when", d);
        let when = when_v.map(|c| self.condition(c, file, d));
        let locked = f.opt("locked", d).map(|l| schema::string(l, d).and_then(|s| self.text(s, file, node, false, d)));
        let effects = f.opt("do", d).map(|e| self.effects(e, file, d)).unwrap_or_default();
        let id = f.opt("id", d).map(|i| schema::id(i, "choice", d).map(str::to_string));
        let input = f.opt("input", d).map(|i| self.input(i, file, node, d));
        let expect = f.opt("expect", d).map(|e| self.expectation(e, file, d));
        f.finish(&CHOICE_FIELDS, d);
        if locked.is_some() && when.is_none() {
            d.push(
                Diagnostic::new(Code::Shape, "`locked` needs a `when` condition")
                    .at(v.span, "this choice is never locked")
                    .help("add `when: \"...\"`: the choice shows disabled with this reason while it is false"),
            );
        }
        let text = text?;
        let key = match (&id, text_lit) {
            (Some(Some(id)), _) => Some(self.prose.push(id)),
            (_, Some(t)) => self.key_of(&text, t.text),
            // Only a fallback may lack text; it has no slot and is never logged, so
            // its key only has to be unique within the node.
            _ => Some(self.prose.push(&format!("fallback@{}", v.span.start))),
        };
        let slot = match (sticky, fallback) {
            (_, true) => Choice::FALLBACK,
            (true, false) => Choice::STICKY,
            (false, false) => {
                self.once_slots += 1;
                self.once_slots - 1
            }
        };
        let more = ChoiceMore {
            locked: match locked {
                Some(l) => Some(l?),
                None => None,
            },
            input: match input {
                Some(i) => Some(i?),
                None => None,
            },
            returns_to,
            expect: match expect {
                Some(e) => Some(*e?),
                None => None,
            },
            key,
        };
        let has_more =
            more.locked.is_some() || more.input.is_some() || more.returns_to.is_some() || more.expect.is_some() || more.key.is_some();
        Some(Choice {
            text,
            to: to?,
            when: match when {
                Some(w) => Some(w?),
                None => None,
            },
            effects,
            slot,
            more: has_more.then(|| Box::new(more)),
        })
    }

    fn input(&mut self, v: &Value, file: FileId, node: u32, d: &mut Diags) -> Option<Input> {
        let mut f = Fields::of(v, "Input", d)?;
        let var_v = f.req("var", d);
        let prompt = f.opt("prompt", d).and_then(|p| schema::string(p, d)).and_then(|s| self.text(s, file, node, false, d));
        let default = f.opt("default", d).and_then(|p| schema::string(p, d)).map(|s| s.text.to_string()).unwrap_or_default();
        f.finish(&["var", "prompt", "default"], d);
        let var_v = var_v?;
        let name = schema::string(var_v, d)?;
        let Some(&(var, ty)) = self.scope.vars.get(name.text) else {
            d.push(
                Diagnostic::new(Code::UnknownVariable, format!("unknown variable `{}`", name.text))
                    .at(var_v.span, "not declared in the manifest")
                    .maybe_help(did_you_mean(name.text, self.scope.vars.keys().map(String::as_str))),
            );
            return None;
        };
        if ty != Type::Str {
            d.push(
                Diagnostic::new(Code::BadInput, format!("text input needs a `Str` variable; `{}` is not one", name.text))
                    .at(var_v.span, "not a Str")
                    .help(format!("declare it as `Str(name: \"{}\")`", name.text)),
            );
            return None;
        }
        self.writes.push((var, var_v.span));
        Some(Input { var, prompt: prompt.unwrap_or_default(), default })
    }

    fn flow(&mut self, v: &Value, file: FileId, d: &mut Diags) -> Option<Flow> {
        match &v.kind {
            Kind::Ident(i) if i.name == "Return" => Some(Flow::Return),
            Kind::Str(_) => Some(Flow::Goto(self.target(v, d)?)),
            Kind::Tuple { name: Some(n), items } if n.name == "Random" => {
                let [list] = &items[..] else {
                    d.push(
                        Diagnostic::new(Code::Shape, "`Random` takes one list")
                            .at(v.span, "here")
                            .help("write `Random([(3, \"rain\"), (1, \"sun\")])`"),
                    );
                    return None;
                };
                let mut out = Vec::new();
                let listed = schema::list(list, d);
                if listed.is_empty() && matches!(list.kind, Kind::List(_)) {
                    d.push(
                        Diagnostic::new(Code::BadRandom, "`Random` has no outcomes")
                            .at(v.span, "nothing to pick from")
                            .help("list at least one outcome: `Random([(1, \"rain\"), (1, \"sun\")])`, or use `next: \"node\"`"),
                    );
                    return None;
                }
                for w in listed {
                    let Kind::Tuple { name: None, items } = &w.kind else {
                        d.expected("`(weight, \"node\")`", w);
                        continue;
                    };
                    let [weight, to] = &items[..] else {
                        d.expected("`(weight, \"node\")`", w);
                        continue;
                    };
                    let weight = schema::integer(weight, d);
                    if weight.is_some_and(|n| !(1..=1_000_000).contains(&n)) {
                        d.push(Diagnostic::new(Code::Shape, "a weight must be between 1 and 1000000").at(items[0].span, "here"));
                        continue;
                    }
                    if let (Some(weight), Some(to)) = (weight, self.target(to, d)) {
                        out.push((weight as u32, to));
                    }
                }
                if out.is_empty() {
                    return None;
                }
                if out.iter().map(|w| u64::from(w.0)).sum::<u64>() > u64::from(u32::MAX) {
                    d.push(
                        Diagnostic::new(Code::BadRandom, format!("the weights add up to more than {}", u32::MAX))
                            .at(v.span, "these weights")
                            .help("weights are relative: divide them all by the same number"),
                    );
                    return None;
                }
                Some(Flow::Random(Box::new(out.into_boxed_slice())))
            }
            Kind::List(items) => {
                let mut branches = Vec::new();
                let mut otherwise = None;
                for (i, item) in items.iter().enumerate() {
                    match &item.kind {
                        Kind::Tuple { name: Some(n), items: args } if n.name == "If" && args.len() == 2 => {
                            if otherwise.is_some() {
                                d.push(
                                    Diagnostic::new(Code::MissingElse, "`If` after `Else` is never tested")
                                        .at(item.span, "unreachable")
                                        .help("move `Else` to the end"),
                                );
                            }
                            let c = self.cond(&args[0], file, d);
                            let t = self.target(&args[1], d);
                            if let (Some(c), Some(t)) = (c, t) {
                                branches.push((c, t));
                            }
                        }
                        Kind::Tuple { name: Some(n), items: args } if n.name == "Else" && args.len() == 1 => {
                            if i + 1 != items.len() {
                                d.push(Diagnostic::new(Code::MissingElse, "`Else` must come last").at(item.span, "here"));
                            }
                            otherwise = self.target(&args[0], d);
                            otherwise?;
                        }
                        _ => d.expected("`If(\"condition\", \"node\")` or `Else(\"node\")`", item),
                    }
                }
                let Some(otherwise) = otherwise else {
                    d.push(
                        Diagnostic::new(Code::MissingElse, "a conditional `next` must end with `Else(\"node\")`")
                            .at(v.span, "no `Else` here")
                            .help("add `Else(\"node\")` for when no condition holds"),
                    );
                    return None;
                };
                Some(Flow::Branch(Box::new(branches.into_boxed_slice()), otherwise))
            }
            _ => {
                d.expected("`\"node\"`, `[If(..), Else(..)]` or `Random([..])`", v);
                None
            }
        }
    }
}
