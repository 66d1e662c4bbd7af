//! Saves that survive story edits. A save is versioned RON that names everything by
//! id (variables, nodes, choices), never by position, so restoring it against an
//! edited story migrates instead of failing, and says what it migrated.

use super::runner::{LogEntry, Page, Runner, Shown};
use super::state::{StoryRng, StoryState};
use super::story::Story;
use super::value::Value;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use thiserror::Error;

/// The save format this build writes. Older formats stay readable.
pub const SAVE_FORMAT: u32 = 1;

/// The largest save file accepted.
pub const MAX_SAVE_BYTES: usize = 16 * 1024 * 1024;

/// A saved playthrough.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Save {
    /// Save format version.
    pub format: u32,
    /// The story's id.
    pub story_id: String,
    /// The story's version when saved.
    pub story_version: String,
    /// The story's content hash when saved (hex).
    pub content_hash: String,
    /// The seed the playthrough started with.
    pub seed: u64,
    /// The node the reader was at.
    pub node: String,
    /// Choices made.
    pub turn: u32,
    /// The ending reached, if any.
    #[serde(default)]
    pub ended: Option<String>,
    /// Variables by name.
    pub variables: BTreeMap<String, Value>,
    /// Visit counts by node id (only visited nodes).
    pub visits: BTreeMap<String, u32>,
    /// Once-only choices taken, as `node/choice-key`.
    #[serde(default)]
    pub taken: Vec<String>,
    /// Variation counters, as `node#n` (the n-th variation in that node).
    #[serde(default)]
    pub variations: BTreeMap<String, u32>,
    /// The random generator's state.
    pub rng: StoryRng,
    /// Where pending `call`s return to, by node id, innermost last.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub returns: Vec<String>,
    /// Every choice made, from the start.
    #[serde(default)]
    pub log: Vec<SavedChoice>,
    /// The passages on screen when saved.
    #[serde(default)]
    pub page: Vec<SavedPassage>,
    /// For save slots: the chapter title and a line of text.
    #[serde(default)]
    pub chapter: String,
    /// A line of the text on screen, for save slots.
    #[serde(default)]
    pub preview: String,
}

/// A logged choice, by ids.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedChoice {
    /// The node it was made at.
    pub node: String,
    /// The choice's key (its `id`, or its text as written).
    pub key: String,
    /// Its index then, used when the key no longer matches.
    pub index: u32,
    /// Text entered, if any.
    #[serde(default)]
    pub input: Option<String>,
}

/// A passage on screen.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedPassage {
    /// Speaker id, if any.
    #[serde(default)]
    pub speaker: Option<String>,
    /// The text as shown.
    pub text: String,
}

/// Why a save could not be read or restored.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum SaveError {
    /// The file is not a valid save (corrupt, truncated, or not a save at all).
    #[error("not a valid save file (line {line}, column {column}): {message}")]
    Corrupt {
        /// Line of the problem.
        line: usize,
        /// Column of the problem.
        column: usize,
        /// What the parser said.
        message: String,
    },
    /// The file is larger than any save could be.
    #[error("the save file is {0} bytes, larger than any real save")]
    TooLarge(usize),
    /// A newer version of Epistle wrote it.
    #[error("this save was written by a newer version of Epistle (format {0}); update the game to load it")]
    TooNew(u32),
    /// It belongs to another story.
    #[error("this save belongs to the story `{found}`, not `{expected}`")]
    WrongStory {
        /// The story being played.
        expected: String,
        /// The story the save names.
        found: String,
    },
    /// The story changed and the node the reader was at is gone.
    #[error("the story changed and the place this save was at, `{node}`, no longer exists; its {turns} choices can be replayed instead")]
    NodeGone {
        /// The missing node.
        node: String,
        /// How many choices the log holds.
        turns: usize,
    },
    /// Replaying the log failed at some turn.
    #[error("replaying the save stopped at choice {turn}: {reason}")]
    ReplayDiverged {
        /// 1-based turn.
        turn: usize,
        /// What went wrong.
        reason: String,
    },
}

/// What restoring a save changed to fit the current story.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Migration {
    /// The story's files differ from when the save was made.
    pub story_changed: bool,
    /// The save's version string, when it differs from the story's.
    pub old_version: Option<String>,
    /// The state was rebuilt by replaying the choice log (full undo history).
    pub replayed: bool,
    /// Variables new in the story, given their defaults.
    pub added: Vec<String>,
    /// Variables no longer in the story, dropped.
    pub removed: Vec<String>,
    /// Variables whose type changed, reset to their defaults.
    pub retyped: Vec<String>,
    /// Integers outside a new range, clamped.
    pub clamped: Vec<String>,
    /// Nodes no longer in the story whose visit counts were dropped.
    pub lost_nodes: Vec<String>,
    /// Once-only choices no longer in the story.
    pub lost_choices: usize,
}

impl Migration {
    /// Whether anything had to change.
    pub fn is_clean(&self) -> bool {
        !self.story_changed
    }

    /// Human-readable lines describing the migration, for the saves screen and `quill`.
    pub fn lines(&self) -> Vec<String> {
        let mut out = Vec::new();
        if !self.story_changed {
            return out;
        }
        out.push(match &self.old_version {
            Some(v) => format!("The story was updated since this save (saved with version {v})."),
            None => "The story was edited since this save.".to_string(),
        });
        if self.replayed {
            out.push("Your choices were replayed on the new version.".into());
        }
        let list = |v: &[String]| v.iter().map(|s| format!("`{s}`")).collect::<Vec<_>>().join(", ");
        if !self.added.is_empty() {
            out.push(format!("New variables start at their defaults: {}.", list(&self.added)));
        }
        if !self.removed.is_empty() {
            out.push(format!("Variables no longer used were dropped: {}.", list(&self.removed)));
        }
        if !self.retyped.is_empty() {
            out.push(format!("Variables whose type changed were reset: {}.", list(&self.retyped)));
        }
        if !self.clamped.is_empty() {
            out.push(format!("Values moved into their new ranges: {}.", list(&self.clamped)));
        }
        if !self.lost_nodes.is_empty() {
            out.push(format!("Visits to removed scenes were forgotten: {}.", list(&self.lost_nodes)));
        }
        if self.lost_choices > 0 {
            out.push(format!("{} removed choice(s) were forgotten.", self.lost_choices));
        }
        out
    }
}

fn once_keys(story: &Story) -> Vec<(u32, String)> {
    let mut out = Vec::new();
    for n in &story.nodes {
        for c in &n.choices {
            if let Some(s) = c.once_slot() {
                out.push((s, format!("{}/{}", n.id, c.key())));
            }
        }
    }
    out
}

fn vary_keys(story: &Story) -> Vec<String> {
    let mut per_node: HashMap<u32, u32> = HashMap::new();
    story
        .vary_site_node
        .iter()
        .map(|&n| {
            let k = per_node.entry(n).or_insert(0);
            *k += 1;
            format!("{}#{}", story.node(n).id, *k - 1)
        })
        .collect()
}

impl Save {
    /// Captures a runner's playthrough.
    pub fn capture(runner: &Runner) -> Save {
        let story = runner.story();
        let st = runner.state();
        let page: Vec<SavedPassage> = runner
            .page()
            .passages
            .iter()
            .map(|p| SavedPassage { speaker: p.speaker.and_then(|s| story.character(s)).map(|c| c.id.clone()), text: p.text.to_string() })
            .collect();
        let preview = preview_of(runner);
        Save {
            format: SAVE_FORMAT,
            story_id: story.id.clone(),
            story_version: story.version.clone(),
            content_hash: format!("{:016x}", story.content_hash),
            seed: runner.seed(),
            node: story.node(st.node).id.to_string(),
            turn: st.turn,
            ended: st.ended.map(|e| story.endings[e as usize].id.clone()),
            variables: story.vars.iter().zip(&st.vars).map(|(d, v)| (d.name.clone(), v.clone())).collect(),
            visits: st.visits.iter().enumerate().filter(|(_, v)| **v > 0).map(|(i, v)| (story.nodes[i].id.to_string(), *v)).collect(),
            taken: once_keys(story).into_iter().filter(|(s, _)| st.taken(*s)).map(|(_, k)| k).collect(),
            variations: vary_keys(story).into_iter().zip(&st.vary).filter(|(_, c)| **c > 0).map(|(k, c)| (k, *c)).collect(),
            rng: st.rng.clone(),
            returns: st.returns.iter().map(|&n| story.node(n).id.to_string()).collect(),
            log: runner
                .log()
                .iter()
                .map(|e| {
                    let n = story.node(e.node);
                    SavedChoice {
                        node: n.id.to_string(),
                        key: n.choices.get(e.choice as usize).map(|c| c.key().to_string()).unwrap_or_default(),
                        index: e.choice,
                        input: e.input.clone(),
                    }
                })
                .collect(),
            page,
            chapter: story.chapter_title(st.node).to_string(),
            preview,
        }
    }

    /// The save as pretty RON.
    pub fn to_ron(&self) -> String {
        let cfg = ron::ser::PrettyConfig::new().depth_limit(4).struct_names(true);
        // Serialising plain data into a String cannot fail; fall back to compact RON
        // rather than panic should it ever.
        ron::ser::to_string_pretty(self, cfg).or_else(|_| ron::to_string(self)).unwrap_or_default()
    }

    /// Reads a save. Never panics, whatever the bytes.
    pub fn from_ron(text: &str) -> Result<Save, SaveError> {
        if text.len() > MAX_SAVE_BYTES {
            return Err(SaveError::TooLarge(text.len()));
        }
        // A quick look at the format first, so a newer save says "update" rather
        // than "corrupt".
        #[derive(Deserialize)]
        #[serde(rename = "Save")]
        struct Head {
            format: u32,
        }
        let opts = ron::Options::default().with_recursion_limit(64);
        if let Ok(h) = opts.from_str::<Head>(text)
            && h.format > SAVE_FORMAT
        {
            return Err(SaveError::TooNew(h.format));
        }
        opts.from_str::<Save>(text).map_err(|e| SaveError::Corrupt {
            line: e.span.start.line,
            column: e.span.start.col,
            message: e.code.to_string(),
        })
    }

    /// Restores against `story`. An unchanged story replays the log (so undo reaches
    /// back to the start); an edited one migrates the state by ids and reports what
    /// changed. Fails only when the save belongs to another story, comes from a newer
    /// Epistle, or its current node was removed (then try [`Save::replay`]).
    pub fn restore(&self, story: Arc<Story>) -> Result<(Runner, Migration), SaveError> {
        self.check_header(&story)?;
        let unchanged = format!("{:016x}", story.content_hash) == self.content_hash;
        if unchanged
            && let Ok((r, _)) = self.replay(Arc::clone(&story))
            && Save::capture(&r).same_state(self)
        {
            return Ok((r, Migration::default()));
        }
        self.migrate(story, unchanged)
    }

    fn check_header(&self, story: &Story) -> Result<(), SaveError> {
        if self.format > SAVE_FORMAT {
            return Err(SaveError::TooNew(self.format));
        }
        if self.story_id != story.id {
            return Err(SaveError::WrongStory { expected: story.id.clone(), found: self.story_id.clone() });
        }
        Ok(())
    }

    fn same_state(&self, other: &Save) -> bool {
        self.node == other.node
            && self.turn == other.turn
            && self.variables == other.variables
            && self.visits == other.visits
            && self.rng == other.rng
            && self.taken == other.taken
            && self.returns == other.returns
    }

    fn migrate(&self, story: Arc<Story>, unchanged: bool) -> Result<(Runner, Migration), SaveError> {
        let mut m = Migration {
            story_changed: !unchanged,
            old_version: (self.story_version != story.version).then(|| self.story_version.clone()),
            ..Migration::default()
        };
        let Some(node) = story.node_id(&self.node) else {
            return Err(SaveError::NodeGone { node: self.node.clone(), turns: self.log.len() });
        };
        let mut st = StoryState::new(&story, self.seed);
        st.node = node;
        st.turn = self.turn;
        st.rng = self.rng.clone();
        for (i, decl) in story.vars.iter().enumerate() {
            match self.variables.get(&decl.name) {
                None => m.added.push(decl.name.clone()),
                Some(v) if v.ty() != decl.ty => m.retyped.push(decl.name.clone()),
                Some(Value::Int(n)) => {
                    let c = decl.clamp(*n);
                    if c != *n {
                        m.clamped.push(decl.name.clone());
                    }
                    st.vars[i] = Value::Int(c);
                }
                Some(v) => st.vars[i] = v.clone(),
            }
        }
        m.removed = self.variables.keys().filter(|k| story.var_id(k).is_none()).cloned().collect();
        for (id, v) in &self.visits {
            match story.node_id(id) {
                Some(n) => st.visits[n as usize] = *v,
                None => m.lost_nodes.push(id.clone()),
            }
        }
        let keys: HashMap<String, u32> = once_keys(&story).into_iter().map(|(s, k)| (k, s)).collect();
        for k in &self.taken {
            match keys.get(k) {
                Some(&s) => st.take(s),
                None => m.lost_choices += 1,
            }
        }
        for (i, k) in vary_keys(&story).iter().enumerate() {
            if let Some(c) = self.variations.get(k) {
                st.vary[i] = *c;
            }
        }
        st.ended = self.ended.as_deref().and_then(|e| story.ending_id(e));
        for id in &self.returns {
            match story.node_id(id) {
                Some(n) => st.returns.push(n),
                None => m.lost_nodes.push(id.clone()),
            }
        }
        let page = Page {
            passages: self
                .page
                .iter()
                .map(|p| Shown {
                    node,
                    passage: 0,
                    speaker: p.speaker.as_deref().and_then(|s| story.character_id(s)).map(super::story::CharacterId),
                    text: p.text.as_str().into(),
                })
                .collect(),
            stuck: None,
            broken: Vec::new(),
        };
        // The log is kept for the record where it still resolves; undo stops here.
        let log: Vec<LogEntry> = self
            .log
            .iter()
            .filter_map(|c| {
                let n = story.node_id(&c.node)?;
                Some(LogEntry { node: n, choice: c.index, input: c.input.clone() })
            })
            .collect();
        Ok((Runner::resume(story, self.seed, st, page, log), m))
    }

    /// Replays the choice log from the start on `story`, matching each choice by its
    /// key (falling back to its old position). Works across edits as long as every
    /// choice made can still be made; reports where it cannot.
    pub fn replay(&self, story: Arc<Story>) -> Result<(Runner, Migration), SaveError> {
        self.check_header(&story)?;
        let mut r = Runner::new(Arc::clone(&story), self.seed);
        for (t, c) in self.log.iter().enumerate() {
            let here = story.node(r.state().node);
            // Match by key; a renamed node is fine as long as the choice is still there.
            let i = match here.choices.iter().position(|ch| ch.key() == c.key) {
                Some(i) => i as u32,
                None if *here.id == *c.node => c.index,
                None => {
                    return Err(SaveError::ReplayDiverged {
                        turn: t + 1,
                        reason: format!("the story now reaches `{}` where the save had `{}`", here.id, c.node),
                    });
                }
            };
            r.choose(i, c.input.as_deref())
                .map_err(|e| SaveError::ReplayDiverged { turn: t + 1, reason: format!("choice `{}`: {e}", c.key) })?;
        }
        let changed = format!("{:016x}", story.content_hash) != self.content_hash;
        let m = Migration {
            story_changed: changed,
            replayed: changed,
            old_version: (self.story_version != story.version).then(|| self.story_version.clone()),
            ..Migration::default()
        };
        Ok((r, m))
    }
}

/// The line a save is shown by: the last narration on the page (else its last line).
pub fn preview_of(runner: &Runner) -> String {
    let passages = &runner.page().passages;
    passages.iter().rev().find(|p| p.speaker.is_none()).or(passages.last()).map(|p| preview_line(&p.text)).unwrap_or_default()
}

/// The first sentence or so of a passage, for save slots: its first line, cut to
/// about 90 characters.
pub fn preview_line(text: &str) -> String {
    let line = text.lines().next().unwrap_or("");
    if line.chars().count() <= 90 {
        return line.to_string();
    }
    let cut: String = line.chars().take(88).collect();
    let cut = cut.rsplit_once(' ').map_or(cut.as_str(), |(a, _)| a).to_string();
    format!("{cut}…")
}
