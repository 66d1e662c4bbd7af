//! Coverage-guided search: playthroughs that prefer what has not been seen yet, as a
//! fuzzer prefers inputs that reach new code. Coverage counts nodes reached, passages
//! shown, choices taken, each outcome of each condition (a choice's `when`, an `If` of
//! a `next`, a passage's `when`), each value class of each variable (the intervals its
//! comparisons can tell apart) and endings. Naive random play is measured with the
//! same coverage, so the two can be compared.
//!
//! A run plays the story exactly as the game would with its seed: random `next`s and
//! text variations draw from the state's own generator in the same order, so every run
//! replays with `quill play --seed`.

use super::expr::{BinOp, Expr};
use super::flow::{self, MAX_FLOW_STEPS, Observer, Stop};
use super::sample::MAX_TURNS;
use super::state::{StateEnv, StateVary, StoryRng, StoryState};
use super::story::{ExpectSite, Flow, Story};
use super::value::Value;

/// What has been covered, and what could be.
#[derive(Clone, Debug)]
pub struct Coverage {
    /// Per node: reached.
    pub nodes: Vec<bool>,
    /// Per node and passage: shown.
    pub passages: Vec<Vec<bool>>,
    /// Per node and choice: taken.
    pub choices: Vec<Vec<bool>>,
    /// Per condition site: `[seen false, seen true]` (see [`Coverage::site`]).
    pub conds: Vec<[bool; 2]>,
    /// Per variable and value class: seen.
    pub classes: Vec<Vec<bool>>,
    /// Per variable and value class: whether its declared range can hold it.
    possible: Vec<Vec<bool>>,
    /// Per ending: reached.
    pub endings: Vec<bool>,
    /// Where each node's condition sites start in `conds`: its choices, then the
    /// `If`s of its `next`, then its passages.
    base: Vec<u32>,
    /// Per variable: the constants its comparisons use, sorted (for classes).
    cuts: Vec<Vec<i64>>,
}

/// One kind of coverage: covered of coverable.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    /// Covered.
    pub covered: usize,
    /// Coverable.
    pub total: usize,
}

impl std::fmt::Display for Tally {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let pct = if self.total == 0 { 100.0 } else { 100.0 * self.covered as f64 / self.total as f64 };
        write!(f, "{}/{} ({pct:.1}%)", self.covered, self.total)
    }
}

/// Where a condition is, for the list of outcomes never seen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Site {
    /// A choice's `when`.
    Choice(u32, u32),
    /// The n-th `If` of a node's `next`.
    Branch(u32, u32),
    /// A passage's `when`.
    Passage(u32, u32),
}

impl Coverage {
    /// Nothing covered yet.
    pub fn new(story: &Story) -> Coverage {
        let mut base = Vec::with_capacity(story.nodes.len() + 1);
        let mut total = 0u32;
        for n in &story.nodes {
            base.push(total);
            let branches = if let Flow::Branch(bs, _) = &n.flow { bs.len() } else { 0 };
            total += (n.choices.len() + branches + n.passages.len()) as u32;
        }
        base.push(total);
        let mut cuts: Vec<Vec<i64>> = vec![Vec::new(); story.vars.len()];
        let mut visit = |e: &Expr| comparisons(e, &mut cuts);
        for n in &story.nodes {
            n.each_flow_expr(&mut visit);
            for p in &n.passages {
                if let Some(w) = &p.when {
                    visit(w);
                }
            }
        }
        for c in &mut cuts {
            c.sort_unstable();
            c.dedup();
        }
        Coverage {
            nodes: vec![false; story.nodes.len()],
            passages: story.nodes.iter().map(|n| vec![false; n.passages.len()]).collect(),
            choices: story.nodes.iter().map(|n| vec![false; n.choices.len()]).collect(),
            conds: vec![[false; 2]; total as usize],
            classes: story.vars.iter().zip(&cuts).map(|(d, c)| vec![false; class_count(d, c)]).collect(),
            possible: story
                .vars
                .iter()
                .zip(&cuts)
                .map(|(d, c)| (0..class_count(d, c)).map(|k| class_possible(d, c, k)).collect())
                .collect(),
            endings: vec![false; story.endings.len()],
            base,
            cuts,
        }
    }

    /// The slot of a condition site.
    fn site(&self, story: &Story, site: Site) -> usize {
        let (n, k) = match site {
            Site::Choice(n, c) => (n, c as usize),
            Site::Branch(n, b) => (n, story.node(n).choices.len() + b as usize),
            Site::Passage(n, p) => {
                let node = story.node(n);
                let branches = if let Flow::Branch(bs, _) = &node.flow { bs.len() } else { 0 };
                (n, node.choices.len() + branches + p as usize)
            }
        };
        self.base[n as usize] as usize + k
    }

    /// Every condition site of the story with its condition present.
    fn sites(story: &Story) -> impl Iterator<Item = Site> + '_ {
        story.nodes.iter().enumerate().flat_map(|(i, n)| {
            let i = i as u32;
            let choices = n
                .choices
                .iter()
                .enumerate()
                .filter(|(_, c)| c.when.is_some() && !c.fallback())
                .map(move |(k, _)| Site::Choice(i, k as u32));
            let branches = match &n.flow {
                Flow::Branch(bs, _) => bs.len(),
                _ => 0,
            };
            let passages = n.passages.iter().enumerate().filter(|(_, p)| p.when.is_some()).map(move |(k, _)| Site::Passage(i, k as u32));
            choices.chain((0..branches as u32).map(move |b| Site::Branch(i, b))).chain(passages)
        })
    }

    fn expr_of(story: &Story, site: Site) -> Option<&Expr> {
        match site {
            Site::Choice(n, c) => story.node(n).choices[c as usize].when.as_deref().map(|w| &w.expr),
            Site::Branch(n, b) => match &story.node(n).flow {
                Flow::Branch(bs, _) => bs.get(b as usize).map(|x| &x.0),
                _ => None,
            },
            Site::Passage(n, p) => story.node(n).passages[p as usize].when.as_deref().map(|w| &w.expr),
        }
    }

    fn class_of(&self, v: usize, x: &Value) -> usize {
        match x {
            Value::Bool(b) => usize::from(*b),
            Value::Int(n) => {
                let cuts = &self.cuts[v];
                let below = cuts.partition_point(|c| c < n);
                2 * below + usize::from(cuts.get(below) == Some(n))
            }
            Value::Str(_) => 0,
        }
    }

    fn note_values(&mut self, st: &StoryState) -> usize {
        let mut fresh = 0;
        for (v, x) in st.vars.iter().enumerate() {
            let k = self.class_of(v, x);
            if let Some(slot) = self.classes[v].get_mut(k) {
                fresh += usize::from(!std::mem::replace(slot, true));
            }
        }
        fresh
    }

    /// Adds what `other` covered; returns how many items were new.
    pub fn merge(&mut self, other: &Coverage) -> usize {
        let mut fresh = 0;
        let mut or = |a: &mut bool, b: bool| {
            if b && !*a {
                *a = true;
                fresh += 1;
            }
        };
        for (a, b) in self.nodes.iter_mut().zip(&other.nodes) {
            or(a, *b);
        }
        for (a, b) in self.passages.iter_mut().flatten().zip(other.passages.iter().flatten()) {
            or(a, *b);
        }
        for (a, b) in self.choices.iter_mut().flatten().zip(other.choices.iter().flatten()) {
            or(a, *b);
        }
        for (a, b) in self.conds.iter_mut().zip(&other.conds) {
            or(&mut a[0], b[0]);
            or(&mut a[1], b[1]);
        }
        for (a, b) in self.classes.iter_mut().flatten().zip(other.classes.iter().flatten()) {
            or(a, *b);
        }
        for (a, b) in self.endings.iter_mut().zip(&other.endings) {
            or(a, *b);
        }
        fresh
    }

    /// How many items `other` covers that this does not.
    pub fn gain(&self, other: &Coverage) -> usize {
        let new = |a: &bool, b: &bool| usize::from(*b && !*a);
        let flat = |a: &[Vec<bool>], b: &[Vec<bool>]| a.iter().flatten().zip(b.iter().flatten()).map(|(x, y)| new(x, y)).sum::<usize>();
        self.nodes.iter().zip(&other.nodes).map(|(a, b)| new(a, b)).sum::<usize>()
            + flat(&self.passages, &other.passages)
            + flat(&self.choices, &other.choices)
            + self.conds.iter().zip(&other.conds).map(|(a, b)| new(&a[0], &b[0]) + new(&a[1], &b[1])).sum::<usize>()
            + flat(&self.classes, &other.classes)
            + self.endings.iter().zip(&other.endings).map(|(a, b)| new(a, b)).sum::<usize>()
    }

    /// Condition outcomes not yet seen, at reached nodes first: what a guided run can
    /// aim at.
    fn targets(&self, story: &Story) -> Vec<(Site, bool)> {
        let mut out = Vec::new();
        for s in Coverage::sites(story) {
            let seen = self.conds[self.site(story, s)];
            for (k, v) in seen.iter().enumerate() {
                if !v {
                    out.push((s, k == 1));
                }
            }
        }
        out
    }

    /// Nodes reached.
    pub fn node_tally(&self) -> Tally {
        Tally { covered: self.nodes.iter().filter(|x| **x).count(), total: self.nodes.len() }
    }

    /// Passages shown.
    pub fn passage_tally(&self) -> Tally {
        let all = self.passages.iter().flatten();
        Tally { covered: all.clone().filter(|x| **x).count(), total: all.count() }
    }

    /// Choices taken (fallbacks, taken without the reader, excluded).
    pub fn choice_tally(&self, story: &Story) -> Tally {
        let mut t = Tally::default();
        for (n, taken) in story.nodes.iter().zip(&self.choices) {
            for (c, k) in n.choices.iter().zip(taken) {
                if !c.fallback() {
                    t.total += 1;
                    t.covered += usize::from(*k);
                }
            }
        }
        t
    }

    /// Condition outcomes seen (two per condition).
    pub fn condition_tally(&self, story: &Story) -> Tally {
        let mut t = Tally::default();
        for s in Coverage::sites(story) {
            let seen = self.conds[self.site(story, s)];
            t.total += 2;
            t.covered += usize::from(seen[0]) + usize::from(seen[1]);
        }
        t
    }

    /// Value classes seen (of those the declared ranges can hold).
    pub fn class_tally(&self) -> Tally {
        let all = self.classes.iter().flatten().zip(self.possible.iter().flatten()).filter(|(_, p)| **p);
        Tally { covered: all.clone().filter(|(x, _)| **x).count(), total: all.count() }
    }

    /// Endings reached.
    pub fn ending_tally(&self) -> Tally {
        Tally { covered: self.endings.iter().filter(|x| **x).count(), total: self.endings.len() }
    }

    /// All items: the sum of every tally.
    pub fn total(&self, story: &Story) -> Tally {
        let parts = [
            self.node_tally(),
            self.passage_tally(),
            self.choice_tally(story),
            self.condition_tally(story),
            self.class_tally(),
            self.ending_tally(),
        ];
        Tally { covered: parts.iter().map(|t| t.covered).sum(), total: parts.iter().map(|t| t.total).sum() }
    }

    /// What was never covered, in words a writer can act on (at most `max` lines).
    pub fn missing(&self, story: &Story, max: usize) -> Vec<String> {
        let mut out = Vec::new();
        let id = |n: u32| story.node(n).id.as_ref();
        for (i, r) in self.nodes.iter().enumerate() {
            if !r {
                out.push(format!("node `{}` never reached", id(i as u32)));
            }
        }
        for (e, r) in self.endings.iter().enumerate() {
            if !r {
                out.push(format!("ending `{}` never reached", story.endings[e].id));
            }
        }
        for (n, taken) in self.choices.iter().enumerate() {
            for (c, t) in taken.iter().enumerate() {
                let ch = &story.nodes[n].choices[c];
                if !t && !ch.fallback() && self.nodes[n] {
                    out.push(format!("choice “{}” of `{}` never taken", ch.key(), id(n as u32)));
                }
            }
        }
        for s in Coverage::sites(story) {
            let seen = self.conds[self.site(story, s)];
            let (n, what) = match s {
                Site::Choice(n, c) => (n, format!("the `when` of choice “{}”", story.node(n).choices[c as usize].key())),
                Site::Branch(n, b) => (n, format!("`If` number {} of the `next`", b + 1)),
                Site::Passage(n, p) => (n, format!("the `when` of passage {}", p + 1)),
            };
            if !self.nodes[n as usize] {
                continue;
            }
            for (k, v) in seen.iter().enumerate() {
                if !v {
                    out.push(format!("in `{}`, {what} was never {}", id(n), k == 1));
                }
            }
        }
        for (v, seen) in self.classes.iter().enumerate() {
            for (k, s) in seen.iter().enumerate() {
                if !s && self.possible[v][k] {
                    out.push(format!("variable `{}` never {}", story.vars[v].name, self.describe_class(story, v, k)));
                }
            }
        }
        out.truncate(max);
        out
    }

    fn describe_class(&self, story: &Story, v: usize, k: usize) -> String {
        match story.vars[v].default {
            Value::Bool(_) => format!("{}", k == 1),
            _ => {
                let cuts = &self.cuts[v];
                if k % 2 == 1 {
                    format!("equal to {}", cuts[k / 2])
                } else if k == 0 {
                    format!("below {}", cuts.first().copied().unwrap_or(0))
                } else if k / 2 == cuts.len() {
                    format!("above {}", cuts[cuts.len() - 1])
                } else {
                    format!("between {} and {}", cuts[k / 2 - 1], cuts[k / 2])
                }
            }
        }
    }
}

/// The number of value classes of a variable.
fn class_count(d: &super::story::VarDecl, cuts: &[i64]) -> usize {
    match d.default {
        Value::Bool(_) => 2,
        Value::Int(_) if !cuts.is_empty() => 2 * cuts.len() + 1,
        _ => 0,
    }
}

/// Whether class `k` of a variable holds any value of its declared range: `x < 0`
/// cannot happen to a variable declared `min: 0`, so it is not counted.
fn class_possible(d: &super::story::VarDecl, cuts: &[i64], k: usize) -> bool {
    if !matches!(d.default, Value::Int(_)) {
        return true;
    }
    let (lo, hi) = (d.min.unwrap_or(i64::MIN), d.max.unwrap_or(i64::MAX));
    if k % 2 == 1 {
        let x = cuts[k / 2];
        return lo <= x && x <= hi;
    }
    // The open interval between the neighbouring cuts, as integers.
    let a = if k == 0 { i64::MIN } else { cuts[k / 2 - 1].saturating_add(1) };
    let b = if k / 2 == cuts.len() { i64::MAX } else { cuts[k / 2].saturating_sub(1) };
    a.max(lo) <= b.min(hi)
}

/// How far a state is from making `e` evaluate to `want`: 0 when it does, else a
/// positive measure (the gap of a comparison, summed over `&&`, least over `||`), as
/// in search-based testing.
fn distance<E: super::expr::Env>(e: &Expr, want: bool, env: &E) -> i64 {
    use super::value::Val;
    match e {
        Expr::Not(a) => distance(a, !want, env),
        Expr::Bin(BinOp::And, ab) => {
            let [a, b] = &**ab;
            if want {
                distance(a, true, env).saturating_add(distance(b, true, env))
            } else {
                distance(a, false, env).min(distance(b, false, env))
            }
        }
        Expr::Bin(BinOp::Or, ab) => {
            let [a, b] = &**ab;
            if want {
                distance(a, true, env).min(distance(b, true, env))
            } else {
                distance(a, false, env).saturating_add(distance(b, false, env))
            }
        }
        Expr::Bin(op @ (BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge | BinOp::Eq | BinOp::Ne), ab) => {
            let [a, b] = &**ab;
            let (x, y) = match (a.eval(env), b.eval(env)) {
                (Val::Int(x), Val::Int(y)) => (x, y),
                (l, r) => return i64::from((l == r) != (want == matches!(op, BinOp::Eq))),
            };
            // Normalise to the outcome wanted: x OP y must be true.
            let op = if want {
                *op
            } else {
                match op {
                    BinOp::Lt => BinOp::Ge,
                    BinOp::Le => BinOp::Gt,
                    BinOp::Gt => BinOp::Le,
                    BinOp::Ge => BinOp::Lt,
                    BinOp::Eq => BinOp::Ne,
                    _ => BinOp::Eq,
                }
            };
            let gap = match op {
                BinOp::Lt => x.saturating_sub(y).saturating_add(1),
                BinOp::Le => x.saturating_sub(y),
                BinOp::Gt => y.saturating_sub(x).saturating_add(1),
                BinOp::Ge => y.saturating_sub(x),
                BinOp::Eq => x.saturating_sub(y).saturating_abs(),
                _ => i64::from(x == y),
            };
            gap.max(0)
        }
        _ => i64::from(e.test(env) != want),
    }
}

/// Collects `var <op> constant` comparisons.
fn comparisons(e: &Expr, cuts: &mut [Vec<i64>]) {
    match e {
        Expr::Bin(BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge, ab) => match &**ab {
            [Expr::Var(v), Expr::Int(k)] | [Expr::Int(k), Expr::Var(v)] => {
                if let Some(c) = cuts.get_mut(*v as usize) {
                    c.push(*k);
                }
            }
            [a, b] => {
                comparisons(a, cuts);
                comparisons(b, cuts);
            }
        },
        Expr::Not(a) | Expr::Neg(a) => comparisons(a, cuts),
        Expr::Bin(_, ab) => {
            let [a, b] = &**ab;
            comparisons(a, cuts);
            comparisons(b, cuts);
        }
        _ => {}
    }
}

/// Follows the flow as the game does, noting coverage; renders text into a scratch
/// buffer so the generator is drawn from exactly as the game draws from it.
struct Cover<'a> {
    story: &'a Story,
    cov: &'a mut Coverage,
    broken: &'a mut Vec<ExpectSite>,
    scratch: String,
}

impl Observer for Cover<'_> {
    fn arrive(&mut self, st: &mut StoryState, n: u32) {
        self.cov.nodes[n as usize] = true;
        let node = self.story.node(n);
        for (pi, p) in node.passages.iter().enumerate() {
            let env = StateEnv { vars: &st.vars, visits: &st.visits, turn: st.turn };
            if let Some(w) = &p.when {
                let v = w.test(&env);
                let at = self.cov.site(self.story, Site::Passage(n, pi as u32));
                self.cov.conds[at][usize::from(v)] = true;
                if !v {
                    continue;
                }
            }
            self.scratch.clear();
            let mut vary = StateVary { vary: &mut st.vary, rng: &mut st.rng };
            p.text.render(&env, &mut vary, &mut self.scratch);
            self.cov.passages[n as usize][pi] = true;
        }
        self.cov.note_values(st);
    }
    fn branch(&mut self, node: u32, branch: usize, value: bool) {
        let at = self.cov.site(self.story, Site::Branch(node, branch as u32));
        self.cov.conds[at][usize::from(value)] = true;
    }
    fn broken(&mut self, _st: &StoryState, site: ExpectSite) {
        if !self.broken.contains(&site) {
            self.broken.push(site);
        }
    }
}

/// One playthrough, guided or not.
#[derive(Clone, Debug)]
pub struct Run {
    /// The story seed: `quill play --seed` replays it.
    pub seed: u64,
    /// Each choice: its index in the node's `choices`, and the text typed.
    pub choices: Vec<(u32, Option<String>)>,
    /// The ending reached, if any.
    pub ending: Option<u32>,
    /// The state at the end.
    pub state: StoryState,
    /// Expectations that failed, each with the number of choices made when it did.
    pub broken: Vec<(ExpectSite, usize)>,
    /// Per integer variable: the first turn it reached its declared maximum.
    pub maxed_at: Vec<Option<u32>>,
}

/// A state being played, with what the flow covered.
#[derive(Clone)]
struct Play {
    st: StoryState,
    stop: Stop,
    cov: Coverage,
    broken: Vec<ExpectSite>,
}

fn flow_on(story: &Story, p: &mut Play, mut n: u32) {
    let mut cover = Cover { story, cov: &mut p.cov, broken: &mut p.broken, scratch: String::new() };
    let mut randoms = 0usize;
    loop {
        match flow::advance(story, &mut p.st, n, &mut cover) {
            Stop::Random(at) if randoms < MAX_FLOW_STEPS => {
                randoms += 1;
                n = flow::pick_outcome(story, &mut p.st, at);
            }
            Stop::Random(_) => {
                p.stop = Stop::Loop;
                return;
            }
            stop => {
                if let Stop::Ending(e) = stop {
                    cover.cov.endings[e as usize] = true;
                }
                p.stop = stop;
                return;
            }
        }
    }
}

/// The choices a reader can make at `p`: (choice index, text typed), each text class
/// of a prompt counted as its own option. Notes each `when`'s outcome.
fn options(story: &Story, p: &mut Play, literals: &[Vec<String>]) -> Vec<(u32, Option<String>)> {
    let node = story.node(p.st.node);
    let mut out = Vec::new();
    for (ci, c) in node.choices.iter().enumerate() {
        if c.fallback() || c.once_slot().is_some_and(|o| p.st.taken(o)) {
            continue;
        }
        if let Some(w) = &c.when {
            let v = w.test(&p.st.env());
            let at = p.cov.site(story, Site::Choice(p.st.node, ci as u32));
            p.cov.conds[at][usize::from(v)] = true;
            if !v {
                continue;
            }
        }
        match c.input() {
            Some(inp) => out.extend(super::inputs::classes(inp, literals).into_iter().map(|t| (ci as u32, Some(t)))),
            None => out.push((ci as u32, None)),
        }
    }
    out
}

fn take(story: &Story, p: &mut Play, ci: u32, typed: Option<&str>) {
    let node = story.node(p.st.node);
    let c = &node.choices[ci as usize];
    if let (Some(inp), Some(t)) = (c.input(), typed) {
        p.st.vars[inp.var as usize] = Value::Str(super::runner::clean_input(t, &inp.default));
    }
    p.cov.choices[p.st.node as usize][ci as usize] = true;
    let mut cover = Cover { story, cov: &mut p.cov, broken: &mut p.broken, scratch: String::new() };
    let to = flow::take(story, &mut p.st, ci as usize, &mut cover);
    flow_on(story, p, to);
}

fn start(story: &Story, seed: u64) -> Play {
    let mut p = Play { st: StoryState::new(story, seed), stop: Stop::Stuck, cov: Coverage::new(story), broken: Vec::new() };
    let s = story.start;
    flow_on(story, &mut p, s);
    p
}

/// A choice made: its index in the node's `choices`, and the text typed.
type Pick = (u32, Option<String>);

/// How a run picks among the options.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Uniformly at random, as `quill random` always has.
    Random,
    /// Coverage-guided: the option that covers the most that is new, ties and one
    /// pick in eight at random; runs restart from earlier runs that found something.
    Guided,
}

/// Plays `runs` playthroughs in `mode`, from `seed`; `each` sees every run and the
/// coverage so far. Deterministic: the same seed gives the same runs. At most
/// [`super::sample::WITNESS_TURNS`] choices are made in all: fewer runs come back
/// when their playthroughs are very long.
pub fn search(story: &Story, seed: u64, runs: u64, mode: Mode, each: impl FnMut(&Run, &Coverage)) -> Coverage {
    search_within(story, seed, runs, mode, super::sample::WITNESS_TURNS, each)
}

/// [`search`] within `budget` steps of play in all, each option looked at ahead
/// counted as one.
pub fn search_within(story: &Story, seed: u64, runs: u64, mode: Mode, budget: usize, mut each: impl FnMut(&Run, &Coverage)) -> Coverage {
    let literals = super::inputs::compared_literals(story);
    let mut total = Coverage::new(story);
    let mut pick = StoryRng::seeded(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0x5EED);
    // Runs that found something new: (seed, choices), replayed as prefixes.
    let mut corpus: Vec<(u64, Vec<Pick>)> = Vec::new();
    let int_max: Vec<Option<i64>> = story.vars.iter().map(|d| matches!(d.default, Value::Int(_)).then_some(d.max).flatten()).collect();
    // The work is bounded however long each playthrough runs (a story of endless
    // sticky loops must not keep a tool busy for hours).
    let mut budget = budget;
    for i in 0..runs {
        if budget == 0 {
            break;
        }
        let (run_seed, prefix) = match mode {
            Mode::Guided if !corpus.is_empty() && pick.below(4) != 0 => {
                // Recent finds first: half the picks from the newest eighth.
                let n = corpus.len() as u32;
                let k = if pick.below(2) == 0 { n - 1 - pick.below(n.div_ceil(8)) } else { pick.below(n) };
                let (s, steps) = &corpus[k as usize];
                let cut = pick.below(steps.len() as u32 + 1) as usize;
                (*s, steps[..cut].to_vec())
            }
            _ => (seed.wrapping_add(i), Vec::new()),
        };
        // Each guided run aims at one condition outcome not yet seen: when no option
        // covers anything new, it takes the one that brings the state closest to it.
        let targets = if mode == Mode::Guided { total.targets(story) } else { Vec::new() };
        let focus = (!targets.is_empty()).then(|| targets[pick.below(targets.len() as u32) as usize]);
        let mut p = start(story, run_seed);
        let mut chosen: Vec<(u32, Option<String>)> = Vec::new();
        let mut broken_at: Vec<(ExpectSite, usize)> = p.broken.iter().map(|s| (*s, 0)).collect();
        let mut maxed_at: Vec<Option<u32>> = vec![None; story.vars.len()];
        let note_max = |st: &StoryState, turn: u32, maxed_at: &mut Vec<Option<u32>>| {
            for (v, m) in int_max.iter().enumerate() {
                if let (Some(m), Value::Int(x)) = (m, &st.vars[v])
                    && *x >= *m
                {
                    maxed_at[v].get_or_insert(turn);
                }
            }
        };
        while p.stop == Stop::Wait && chosen.len() < MAX_TURNS && budget > 0 {
            budget -= 1;
            let opts = options(story, &mut p, &literals);
            if opts.is_empty() {
                break;
            }
            let k = if let Some(step) = prefix.get(chosen.len()) {
                match opts.iter().position(|o| *o == *step) {
                    Some(k) => k,
                    None => pick.below(opts.len() as u32) as usize,
                }
            } else if mode == Mode::Guided && opts.len() > 1 && pick.below(8) != 0 && budget >= opts.len() {
                budget -= opts.len();
                // Look one choice ahead: how much new would each option cover?
                // Score: new coverage first, then closeness to the focus.
                let mut best = Vec::new();
                let mut best_score = (0usize, i64::MIN);
                for (k, (ci, typed)) in opts.iter().enumerate() {
                    let mut q = p.clone();
                    q.cov = Coverage::new(story);
                    take(story, &mut q, *ci, typed.as_deref());
                    let mut g = total.gain(&q.cov) + p.cov.gain(&q.cov).min(1);
                    if !total.choices[p.st.node as usize][*ci as usize] {
                        g += 2;
                    }
                    let near = match focus.and_then(|(site, want)| Coverage::expr_of(story, site).map(|e| (e, want))) {
                        Some((e, want)) => -distance(e, want, &q.st.env()),
                        None => 0,
                    };
                    let score = (g, near);
                    if score > best_score {
                        best_score = score;
                        best.clear();
                    }
                    if score == best_score {
                        best.push(k);
                    }
                }
                best[pick.below(best.len() as u32) as usize]
            } else {
                pick.below(opts.len() as u32) as usize
            };
            let (ci, typed) = opts[k].clone();
            let before = p.broken.len();
            take(story, &mut p, ci, typed.as_deref());
            chosen.push((ci, typed));
            broken_at.extend(p.broken[before..].iter().map(|s| (*s, chosen.len())));
            note_max(&p.st, chosen.len() as u32, &mut maxed_at);
        }
        let fresh = total.merge(&p.cov);
        if mode == Mode::Guided && fresh > 0 {
            corpus.push((run_seed, chosen.clone()));
        }
        let ending = match p.stop {
            Stop::Ending(e) => Some(e),
            _ => None,
        };
        let run = Run { seed: run_seed, choices: chosen, ending, state: p.st, broken: broken_at, maxed_at };
        each(&run, &total);
    }
    total
}

impl Run {
    /// The run as lines for `quill play` (choice numbers as offered, typed text on
    /// the line after), replayed from the start with its seed.
    pub fn script(&self, story: &std::sync::Arc<Story>) -> Vec<String> {
        let mut out = Vec::new();
        let choices = self.choices.iter().map(|(c, t)| (*c, t.as_deref()));
        // A run that no longer plays to its end is scripted as far as it goes.
        let _ = super::runner::Runner::replay(std::sync::Arc::clone(story), self.seed, choices, |r, _, ci, typed| {
            // Numbered as `quill play` shows them: locked choices keep their number.
            if let Some(pos) = r.choices().iter().position(|c| c.index == ci) {
                out.push((pos + 1).to_string());
                if let Some(t) = typed {
                    out.push(t.to_string());
                }
            }
        });
        out
    }
}
