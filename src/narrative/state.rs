//! The state of one playthrough: where the reader is, the variables, visit counts,
//! once-only choices taken, variation counters and the random generator.

use super::expr::{Effect, EffectOp, Env};
use super::story::Story;
use super::text::Varying;
use super::value::Value;
use rand::{RngExt, SeedableRng};
use rand_pcg::Pcg32;
use serde::{Deserialize, Serialize};

/// The story's random generator: PCG32, seeded explicitly, serialisable, and the same
/// on every platform, so a seed and a list of choices always give the same transcript.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoryRng(Pcg32);

impl StoryRng {
    /// A generator from a seed.
    pub fn seeded(seed: u64) -> StoryRng {
        StoryRng(Pcg32::seed_from_u64(seed))
    }

    /// A uniform number in `0..n`; 0 when `n` is 0.
    pub fn below(&mut self, n: u32) -> u32 {
        if n == 0 { 0 } else { self.0.random_range(0..n) }
    }
}

/// Everything that changes as the story is read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoryState {
    /// The node the reader is at (waiting for a choice, or ended).
    pub node: u32,
    /// Variable values, by index.
    pub vars: Vec<Value>,
    /// Arrivals per node.
    pub visits: Vec<u32>,
    /// Choices made.
    pub turn: u32,
    /// Once-only choices taken: a bit per slot.
    pub once: Vec<u64>,
    /// Variation counters, by site.
    pub vary: Vec<u32>,
    /// The random generator.
    pub rng: StoryRng,
    /// The ending reached, if any.
    pub ended: Option<u32>,
    /// Where each pending `call` returns to, innermost last (at most
    /// [`MAX_CALL_DEPTH`]).
    pub returns: Vec<u32>,
}

/// The deepest nesting of `call`s; a deeper call forgets the outermost return.
pub const MAX_CALL_DEPTH: usize = 32;

impl StoryState {
    /// A fresh state at the start node (not yet entered).
    pub fn new(story: &Story, seed: u64) -> StoryState {
        StoryState {
            node: story.start,
            vars: story.vars.iter().map(|v| v.default.clone()).collect(),
            visits: vec![0; story.nodes.len()],
            turn: 0,
            once: vec![0; (story.once_slots as usize).div_ceil(64)],
            vary: vec![0; story.vary_sites as usize],
            rng: StoryRng::seeded(seed),
            ended: None,
            returns: Vec::new(),
        }
    }

    /// A placeholder with nothing in it (for moving a state out of a struct).
    pub fn new_empty() -> StoryState {
        StoryState {
            node: 0,
            vars: Vec::new(),
            visits: Vec::new(),
            turn: 0,
            once: Vec::new(),
            vary: Vec::new(),
            rng: StoryRng::seeded(0),
            ended: None,
            returns: Vec::new(),
        }
    }

    /// Whether once-only slot `s` has been taken.
    pub fn taken(&self, s: u32) -> bool {
        self.once.get((s / 64) as usize).is_some_and(|w| w & (1 << (s % 64)) != 0)
    }

    /// Marks once-only slot `s` as taken.
    pub fn take(&mut self, s: u32) {
        if let Some(w) = self.once.get_mut((s / 64) as usize) {
            *w |= 1 << (s % 64);
        }
    }

    /// A read-only view for evaluating expressions.
    pub fn env(&self) -> StateEnv<'_> {
        StateEnv { vars: &self.vars, visits: &self.visits, turn: self.turn }
    }

    /// Runs effects in order, clamping integers to their declared range.
    pub fn apply(&mut self, story: &Story, effects: &[Effect]) {
        for e in effects {
            let i = e.var as usize;
            let new = match e.op {
                EffectOp::Toggle => Value::Bool(!matches!(self.vars[i], Value::Bool(true))),
                EffectOp::Set => e.expr.eval(&self.env()).to_value(),
                EffectOp::Add | EffectOp::Sub => {
                    let cur = match self.vars[i] {
                        Value::Int(n) => n,
                        _ => 0,
                    };
                    let by = e.expr.eval(&self.env()).as_int();
                    Value::Int(if e.op == EffectOp::Add { cur.saturating_add(by) } else { cur.saturating_sub(by) })
                }
            };
            self.vars[i] = match new {
                Value::Int(n) => Value::Int(story.vars[i].clamp(n)),
                Value::Str(mut s) => {
                    super::expr::cap_string(&mut s);
                    Value::Str(s)
                }
                other => other,
            };
        }
    }
}

/// The read-only part of the state that expressions see.
pub struct StateEnv<'a> {
    /// Variables.
    pub vars: &'a [Value],
    /// Visit counts.
    pub visits: &'a [u32],
    /// Turn count.
    pub turn: u32,
}

impl Env for StateEnv<'_> {
    fn var(&self, i: u32) -> &Value {
        &self.vars[i as usize]
    }
    fn visits(&self, i: u32) -> u32 {
        self.visits.get(i as usize).copied().unwrap_or(0)
    }
    fn turns(&self) -> u32 {
        self.turn
    }
}

/// The mutable part rendering needs: variation counters and the generator.
pub struct StateVary<'a> {
    /// Counters.
    pub vary: &'a mut [u32],
    /// Generator.
    pub rng: &'a mut StoryRng,
}

impl Varying for StateVary<'_> {
    fn next_count(&mut self, site: u32) -> u32 {
        match self.vary.get_mut(site as usize) {
            Some(c) => {
                *c = c.saturating_add(1);
                *c - 1
            }
            None => 0,
        }
    }
    fn random_below(&mut self, n: u32) -> u32 {
        self.rng.below(n)
    }
}
