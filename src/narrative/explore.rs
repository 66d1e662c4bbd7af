//! Exhaustive exploration: every state a reader can reach, identical states merged,
//! breadth first, so the first time an ending is found its path is a shortest one.
//!
//! A state is what the story's *flow* can observe: the node, the variables that
//! conditions (or effects feeding them) read, the once-only choices taken, the visit
//! counts of nodes that conditions test, and the turn count if a condition reads it.
//! Text is not rendered and variables that only colour the text are left out, so states
//! that differ only in wording merge. Visit and turn counts saturate one above the
//! largest number any condition compares with, which keeps loops finite without
//! changing any condition's outcome. Random branches are followed on every outcome;
//! a text input is followed once per value
//! the story can tell apart (see [`super::inputs`]).

use super::expr::{Effect, Expr};
use super::flow::{self, Observer, Stop};
use super::state::StoryState;
use super::story::{ExpectSite, Flow, Story};
use super::value::Value;

/// Limits for one exploration. Each bounds something a hostile or simply large story
/// could otherwise exhaust: distinct states, memory, and work (flows followed, which
/// bounds time without a clock).
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Stop after this many distinct states.
    pub max_states: usize,
    /// Stop when the exploration's own memory (state keys, their index, the graph,
    /// the states waiting to be expanded) passes this many bytes.
    pub max_memory: usize,
    /// Stop after following this many flows (one per choice taken and per random
    /// outcome followed).
    pub max_steps: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { max_states: 2_000_000, max_memory: DEFAULT_MAX_MEMORY, max_steps: 50_000_000 }
    }
}

/// The default memory bound: 4 GiB, a sixth of this project's 24 GiB machines.
pub const DEFAULT_MAX_MEMORY: usize = 4 << 30;

/// The most random branches one flow may pass through without a choice before it is
/// called a loop (the loader refuses random cycles, E0124; this is the backstop).
pub const MAX_CHANCES: usize = 1024;

/// Which bound stopped an incomplete exploration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Bound {
    /// [`Limits::max_states`].
    States,
    /// [`Limits::max_memory`].
    Memory,
    /// [`Limits::max_steps`].
    Steps,
}

impl std::fmt::Display for Bound {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Bound::States => "the state limit (--max-states)",
            Bound::Memory => "the memory limit (--max-memory)",
            Bound::Steps => "the work limit (--max-steps)",
        })
    }
}

/// One step of a witness path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// The reader took choice `choice` (index in the node) at `node`.
    Choose {
        /// Node index.
        node: u32,
        /// Choice index within the node.
        choice: u32,
        /// What the reader typed, when the choice asks for text.
        input: Option<String>,
    },
    /// A random `next` at `node` went to `to`.
    Chance {
        /// Node index.
        node: u32,
        /// The outcome.
        to: u32,
    },
}

/// What the exploration found.
#[derive(Clone, Debug)]
pub struct Exploration {
    /// Distinct states explored.
    pub states: usize,
    /// Transitions followed.
    pub transitions: usize,
    /// Whether every reachable state was explored (no bound was hit).
    pub complete: bool,
    /// The bound that stopped the exploration, when it is not complete.
    pub stopped_by: Option<Bound>,
    /// The exploration's own memory at its largest, in bytes (an estimate from the
    /// sizes of its tables).
    pub peak_memory: usize,
    /// For each declared ending, a shortest path to it, if reachable.
    pub endings: Vec<Option<Vec<Step>>>,
    /// For each node, whether some state arrived there.
    pub node_reached: Vec<bool>,
    /// For each node and choice, whether it was ever available.
    pub choice_enabled: Vec<Vec<bool>>,
    /// Conditions that never varied where tested: (node, site, value it always had).
    pub constant_conditions: Vec<(u32, CondSite, bool)>,
    /// States from which no ending can be reached: how many, and a shortest path to
    /// one of them with the node it is at. Only meaningful when `complete`.
    pub traps: usize,
    /// A shortest path into a trap, and the trap's node.
    pub trap_example: Option<(Vec<Step>, u32)>,
    /// States where the story stopped with nothing to choose and no fallback.
    pub stuck: usize,
    /// Expectations and invariants that failed somewhere, each with a shortest path
    /// found to a failure (breadth first: the first failure met is on a shortest
    /// path), in the order of their sites. On a complete exploration, every
    /// expectation not listed holds on every path.
    pub broken: Vec<(ExpectSite, Vec<Step>)>,
    /// Under the abstraction ([`explore_abstract`]): per ending, whether its path in
    /// `endings` also plays in the story itself (seed 0). A shortest path of the
    /// over-approximation that plays in the story is a shortest path of the story.
    pub confirmed: Vec<bool>,
    /// Under the abstraction ([`explore_abstract`]): expectations on left-out variables
    /// it could not show to hold everywhere (sorted). Empty for an exact exploration.
    pub undecided: Vec<ExpectSite>,
    /// Per ending and variable: the least and greatest value an integer variable has
    /// when the story ends there, over every path explored. `None` where the value is
    /// not tracked exactly (a variable nothing reads is left out of states; a counter
    /// past its saturation point is held there). Exact when `complete`.
    pub ending_ranges: Vec<Vec<Option<(i64, i64)>>>,
}

/// Where a condition sits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CondSite {
    /// A choice's `when`.
    Choice(u32),
    /// The n-th `If` of a conditional `next`.
    Branch(u32),
}

/// What the state key includes. Liveness is computed per chapter: a variable, visit
/// count or once-only flag is kept only while some chapter still reachable from the
/// current one can read it, so states that differ only in dead history merge.
struct Plan {
    /// Per chapter: the live components.
    layouts: Vec<Layout>,
    /// Per variable: the value it saturates at, for counters that only grow and are
    /// only compared with constants (see [`saturation`]).
    caps: Vec<Option<i64>>,
    node_chapter: Vec<u32>,
    cap: u32,
    strings: Vec<String>,
    string_ids: std::collections::HashMap<String, u64>,
    /// Whether the story `call`s: then where calls return is part of the state.
    calls: bool,
    /// Bytes held by `strings` (and their index).
    string_bytes: usize,
}

/// What one chapter's conditions and effects read.
#[derive(Default)]
struct Gen {
    vars: Vec<u32>,
    visits: Vec<u32>,
    turns: bool,
    deps: Vec<Dep>,
    once: Vec<u32>,
}

/// An effect that writes `writes` from other state.
#[derive(Default)]
struct Dep {
    writes: u32,
    reads: Vec<u32>,
    visits: Vec<u32>,
    turns: bool,
}

#[derive(Default, Clone)]
struct Layout {
    vars: Vec<u32>,
    /// Per live variable: (offset subtracted, bits).
    var_bits: Vec<(i64, u32)>,
    /// Bits per visit count / turn count.
    count_bits: u32,
    visits: Vec<u32>,
    turns: bool,
    /// (word index, mask) of live once-only flags.
    once: Vec<(usize, u64)>,
}

fn chapter_exprs<'a>(story: &'a Story, nodes: &[u32], f: &mut impl FnMut(&'a Expr)) {
    for n in nodes.iter().map(|&i| story.node(i)) {
        n.each_flow_expr(f);
    }
    // Invariants are checked everywhere, so every chapter reads them.
    for inv in &story.invariants {
        f(&inv.expr);
    }
}

fn chapter_effects<'a>(story: &'a Story, nodes: &'a [u32]) -> impl Iterator<Item = &'a Effect> {
    nodes.iter().map(|&i| story.node(i)).flat_map(|n| n.effects.iter().chain(n.choices.iter().flat_map(|c| c.effects.iter())))
}

fn max_literal(e: &Expr, m: &mut i64) {
    match e {
        Expr::Int(n) => *m = (*m).max(n.saturating_abs()),
        Expr::Not(a) | Expr::Neg(a) => max_literal(a, m),
        Expr::Bin(_, ab) => {
            let [a, b] = &**ab;
            max_literal(a, m);
            max_literal(b, m);
        }
        _ => {}
    }
}

/// Nodes the reader can come back to: those on a cycle of the story's graph (a
/// `Return` counted as leading to every place a call returns to). A once-only choice
/// anywhere else can never be offered again once its node is left, so whether it was
/// taken matters to no later state. Tarjan's algorithm, without recursion.
fn revisitable(story: &Story) -> Vec<bool> {
    let n = story.nodes.len();
    let returns: Vec<u32> = story.nodes.iter().flat_map(|x| x.choices.iter().filter_map(|c| c.returns_to())).collect();
    let adj: Vec<Vec<u32>> = story
        .nodes
        .iter()
        .map(|x| {
            let mut v: Vec<u32> = x.successors().collect();
            if matches!(x.flow, Flow::Return) {
                v.extend_from_slice(&returns);
            }
            v
        })
        .collect();
    let mut out = vec![false; n];
    super::validate::components(
        n,
        0..n,
        |v, k| adj[v].get(k).map(|&w| w as usize),
        |comp| {
            let v = comp[comp.len() - 1];
            let cyclic = comp.len() > 1 || adj[v].contains(&(v as u32));
            for &w in comp {
                out[w] = cyclic;
            }
        },
    );
    out
}

impl Plan {
    fn new(story: &Story, exclude: &[bool]) -> Plan {
        let chapters = story.chapters.len().max(1);
        // Which chapters each chapter can lead to (itself included).
        let mut next: Vec<Vec<bool>> = vec![vec![false; chapters]; chapters];
        for n in &story.nodes {
            for s in n.successors() {
                next[n.chapter as usize][story.node(s).chapter as usize] = true;
            }
        }
        let reach: Vec<Vec<bool>> = (0..chapters)
            .map(|c| {
                let mut seen = vec![false; chapters];
                let mut stack = vec![c];
                while let Some(x) = stack.pop() {
                    if std::mem::replace(&mut seen[x], true) {
                        continue;
                    }
                    stack.extend((0..chapters).filter(|&y| next[x][y] && !seen[y]));
                }
                seen
            })
            .collect();
        let mut by_chapter: Vec<Vec<u32>> = vec![Vec::new(); chapters];
        for (i, n) in story.nodes.iter().enumerate() {
            by_chapter[n.chapter as usize].push(i as u32);
        }
        // What each chapter reads, once: then each chapter's layout is the union over
        // the chapters it can reach, without walking the nodes again.
        let mut biggest = 1i64;
        let mut gens: Vec<Gen> = Vec::with_capacity(chapters);
        let again = revisitable(story);
        for nodes in &by_chapter {
            let mut g = Gen::default();
            chapter_exprs(story, nodes, &mut |e| {
                e.each_var(&mut |v| g.vars.push(v));
                e.each_node(&mut |n| g.visits.push(n));
                g.turns |= e.reads_turns();
                max_literal(e, &mut biggest);
            });
            for e in chapter_effects(story, nodes) {
                let mut dep = Dep { writes: e.var, ..Dep::default() };
                e.expr.each_var(&mut |v| dep.reads.push(v));
                e.expr.each_node(&mut |n| dep.visits.push(n));
                dep.turns = e.expr.reads_turns();
                if !dep.reads.is_empty() || !dep.visits.is_empty() || dep.turns {
                    max_literal(&e.expr, &mut biggest);
                    g.deps.push(dep);
                }
            }
            for &i in nodes {
                if !again[i as usize] {
                    continue;
                }
                for ch in &story.node(i).choices {
                    if let Some(s) = ch.once_slot() {
                        g.once.push(s);
                    }
                }
            }
            g.vars.sort_unstable();
            g.vars.dedup();
            g.visits.sort_unstable();
            g.visits.dedup();
            g.deps.sort_by(|a, b| (a.writes, &a.reads, &a.visits).cmp(&(b.writes, &b.reads, &b.visits)));
            g.deps.dedup_by(|a, b| a.writes == b.writes && a.reads == b.reads && a.visits == b.visits && a.turns == b.turns);
            gens.push(g);
        }
        let caps = saturation(story);
        let words = (story.once_slots as usize).div_ceil(64);
        let mut layouts = Vec::with_capacity(chapters);
        for reach_c in &reach {
            let live: Vec<&Gen> = (0..chapters).filter(|&d| reach_c[d]).map(|d| &gens[d]).collect();
            let mut vars = vec![false; story.vars.len()];
            let mut visits: Vec<u32> = Vec::new();
            let mut turns = false;
            for g in &live {
                g.vars.iter().for_each(|&v| vars[v as usize] = true);
                visits.extend_from_slice(&g.visits);
                turns |= g.turns;
            }
            // Variables feeding live ones through reachable effects are live too.
            loop {
                let mut changed = false;
                for dep in live.iter().flat_map(|g| g.deps.iter()) {
                    if vars[dep.writes as usize] {
                        for &v in &dep.reads {
                            changed |= !std::mem::replace(&mut vars[v as usize], true);
                        }
                        visits.extend_from_slice(&dep.visits);
                        turns |= dep.turns;
                    }
                }
                if !changed {
                    break;
                }
            }
            visits.sort_unstable();
            visits.dedup();
            let mut once = vec![0u64; words];
            for &s in live.iter().flat_map(|g| g.once.iter()) {
                once[(s / 64) as usize] |= 1 << (s % 64);
            }
            // Variables the abstraction leaves out are never part of a state.
            let live_vars: Vec<u32> =
                (0..story.vars.len() as u32).filter(|v| vars[*v as usize] && !exclude.get(*v as usize).copied().unwrap_or(false)).collect();
            layouts.push(Layout {
                var_bits: live_vars.iter().map(|&v| var_width(&story.vars[v as usize], caps[v as usize])).collect(),
                count_bits: 0,
                vars: live_vars,
                visits,
                turns,
                once: once.into_iter().enumerate().filter(|(_, m)| *m != 0).collect(),
            });
        }
        let cap = u32::try_from(biggest.saturating_add(1)).unwrap_or(u32::MAX).max(2);
        for l in &mut layouts {
            l.count_bits = 32 - cap.leading_zeros();
        }
        Plan {
            caps,
            layouts,
            node_chapter: story.nodes.iter().map(|n| n.chapter).collect(),
            cap,
            strings: Vec::new(),
            string_ids: std::collections::HashMap::new(),
            string_bytes: 0,
            calls: story.nodes.iter().any(|n| n.choices.iter().any(|c| c.returns_to().is_some())),
        }
    }

    /// A number per distinct string value (hashed: a story whose strings change on
    /// every turn meets thousands of them).
    fn string_id(&mut self, s: &str) -> u64 {
        if let Some(&i) = self.string_ids.get(s) {
            return i;
        }
        let i = self.strings.len() as u64;
        self.strings.push(s.to_string());
        self.string_ids.insert(s.to_string(), i);
        self.string_bytes += 2 * (s.len() + std::mem::size_of::<String>()) + 16;
        i
    }

    fn encode(&mut self, st: &StoryState, out: &mut Vec<u64>) {
        out.clear();
        out.push(u64::from(st.node) | (u64::from(st.ended.is_some()) << 32));
        if st.ended.is_some() {
            // An ending is an ending: what led there does not matter any more.
            return;
        }
        let ch = self.node_chapter[st.node as usize] as usize;
        let mut w = Bits { out, cur: 0, used: 0 };
        for k in 0..self.layouts[ch].vars.len() {
            let v = self.layouts[ch].vars[k] as usize;
            let (base, bits) = self.layouts[ch].var_bits[k];
            let x = match &st.vars[v] {
                Value::Int(n) => self.caps[v].map_or(*n, |c| (*n).min(c)).wrapping_sub(base) as u64,
                Value::Bool(b) => u64::from(*b),
                Value::Str(s) => self.string_id(s),
            };
            w.push(x, bits);
        }
        let l = &self.layouts[ch];
        for &n in &l.visits {
            w.push(u64::from(st.visits[n as usize].min(self.cap)), l.count_bits);
        }
        if l.turns {
            w.push(u64::from(st.turn.min(self.cap)), l.count_bits);
        }
        w.flush();
        out.extend(l.once.iter().map(|&(i, m)| st.once[i] & m));
        if self.calls {
            // Where pending calls return: the count, then the nodes, two to a word.
            out.push(st.returns.len() as u64);
            out.extend(st.returns.chunks(2).map(|c| u64::from(c[0]) | (c.get(1).map_or(0, |&x| u64::from(x)) << 32)));
        }
    }

    /// Restores the live parts of a state; dead parts keep whatever `st` held, which
    /// nothing reachable will read.
    fn decode(&self, key: &[u64], st: &mut StoryState) {
        st.node = key[0] as u32;
        st.ended = None;
        let l = &self.layouts[self.node_chapter[st.node as usize] as usize];
        let mut r = Read { key, word: 1, bit: 0 };
        for (k, &v) in l.vars.iter().enumerate() {
            let (base, bits) = l.var_bits[k];
            let x = r.take(bits);
            let slot = &mut st.vars[v as usize];
            match slot {
                Value::Int(n) => *n = (x as i64).wrapping_add(base),
                Value::Bool(b) => *b = x != 0,
                Value::Str(s) => {
                    let want = self.strings.get(x as usize).map_or("", String::as_str);
                    if s != want {
                        want.clone_into(s);
                    }
                }
            }
        }
        for &n in &l.visits {
            st.visits[n as usize] = r.take(l.count_bits) as u32;
        }
        if l.turns {
            st.turn = r.take(l.count_bits) as u32;
        }
        for (i, &(w, m)) in (r.end()..).zip(&l.once) {
            st.once[w] = (st.once[w] & !m) | key[i];
        }
        st.returns.clear();
        if self.calls {
            let at = r.end() + l.once.len();
            let len = key.get(at).copied().unwrap_or(0) as usize;
            for k in 0..len.min(super::state::MAX_CALL_DEPTH) {
                let word = key.get(at + 1 + k / 2).copied().unwrap_or(0);
                st.returns.push(if k % 2 == 0 { word as u32 } else { (word >> 32) as u32 });
            }
        }
    }
}

/// How many bits a variable needs in a key, and the offset subtracted first.
fn var_width(d: &super::story::VarDecl, cap: Option<i64>) -> (i64, u32) {
    match (&d.default, d.min, cap.or(d.max)) {
        (Value::Bool(_), _, _) => (0, 1),
        (Value::Str(_), _, _) => (0, 32),
        (Value::Int(_), Some(lo), Some(hi)) if hi >= lo => {
            // `abs_diff`: the full i64 range spans more than i64 can hold.
            let span = hi.abs_diff(lo);
            (lo, (64 - span.leading_zeros()).max(1))
        }
        _ => (0, 64),
    }
}

/// Packs fields of given widths into 64-bit words.
struct Bits<'a> {
    out: &'a mut Vec<u64>,
    cur: u64,
    used: u32,
}

impl Bits<'_> {
    fn push(&mut self, x: u64, bits: u32) {
        if bits == 0 {
            return;
        }
        let x = if bits == 64 { x } else { x & ((1u64 << bits) - 1) };
        if self.used + bits <= 64 {
            self.cur |= x << self.used;
            self.used += bits;
            if self.used == 64 {
                self.out.push(self.cur);
                self.cur = 0;
                self.used = 0;
            }
        } else {
            let first = 64 - self.used;
            self.cur |= x << self.used;
            self.out.push(self.cur);
            self.cur = x >> first;
            self.used = bits - first;
        }
    }
    fn flush(&mut self) {
        if self.used > 0 {
            self.out.push(self.cur);
            self.cur = 0;
            self.used = 0;
        }
    }
}

/// Reads fields back.
struct Read<'a> {
    key: &'a [u64],
    word: usize,
    bit: u32,
}

impl Read<'_> {
    fn take(&mut self, bits: u32) -> u64 {
        if bits == 0 {
            return 0;
        }
        let mask = if bits == 64 { u64::MAX } else { (1u64 << bits) - 1 };
        let lo = self.key.get(self.word).copied().unwrap_or(0) >> self.bit;
        let x = if self.bit + bits <= 64 { lo } else { lo | (self.key.get(self.word + 1).copied().unwrap_or(0) << (64 - self.bit)) };
        self.bit += bits;
        if self.bit >= 64 {
            self.bit -= 64;
            self.word += 1;
        }
        x & mask
    }
    /// The index of the first word after the packed fields.
    fn end(&self) -> usize {
        if self.bit > 0 { self.word + 1 } else { self.word }
    }
}

/// Finds counters that can saturate. A variable qualifies when it starts at 0 or more,
/// never goes below 0, is only ever increased by a non-negative constant or set to a
/// constant, and every condition reads it only inside `sum <op> constant` (a sum of
/// such variables compared with a number). Once such a counter passes the largest
/// constant it is compared with, no condition can tell its exact value any more, so it
/// saturates there: one above that constant.
pub fn saturation(story: &Story) -> Vec<Option<i64>> {
    use super::expr::{BinOp, EffectOp};
    let n = story.vars.len();
    let mut ok: Vec<bool> =
        story.vars.iter().map(|d| matches!(d.default, Value::Int(x) if x >= 0) && d.min.is_some_and(|m| m >= 0)).collect();
    let mut cap = vec![0i64; n];
    for node in &story.nodes {
        for e in node.effects.iter().chain(node.choices.iter().flat_map(|c| c.effects.iter())) {
            let fine = match (e.op, &e.expr) {
                (EffectOp::Add, Expr::Int(k)) => *k >= 0,
                (EffectOp::Set, Expr::Int(k)) => *k >= 0,
                _ => false,
            };
            if !fine {
                ok[e.var as usize] = false;
            }
            // A variable read by an effect feeds another: keep it exact.
            e.expr.each_var(&mut |v| ok[v as usize] = false);
        }
    }
    fn sum_vars(e: &Expr, out: &mut Vec<u32>) -> bool {
        match e {
            Expr::Var(v) => {
                out.push(*v);
                true
            }
            Expr::Bin(BinOp::Add, ab) => sum_vars(&ab[0], out) && sum_vars(&ab[1], out),
            _ => false,
        }
    }
    fn visit(e: &Expr, ok: &mut [bool], cap: &mut [i64]) {
        match e {
            Expr::Bin(op @ (BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge | BinOp::Eq | BinOp::Ne), ab) => {
                let [a, b] = &**ab;
                let (side, k) = match (a, b) {
                    (x, Expr::Int(k)) | (Expr::Int(k), x) => (x, *k),
                    _ => {
                        visit(a, ok, cap);
                        visit(b, ok, cap);
                        return;
                    }
                };
                let mut vars = Vec::new();
                if sum_vars(side, &mut vars) && k >= 0 {
                    let _ = op;
                    for v in vars {
                        cap[v as usize] = cap[v as usize].max(k.saturating_add(1));
                    }
                } else {
                    visit(side, ok, cap);
                }
            }
            Expr::Var(v) => ok[*v as usize] = false,
            Expr::Not(a) | Expr::Neg(a) => visit(a, ok, cap),
            Expr::Bin(_, ab) => {
                let [a, b] = &**ab;
                visit(a, ok, cap);
                visit(b, ok, cap);
            }
            _ => {}
        }
    }
    for node in &story.nodes {
        node.each_flow_expr(&mut |e| visit(e, &mut ok, &mut cap));
    }
    for inv in &story.invariants {
        visit(&inv.expr, &mut ok, &mut cap);
    }
    (0..n).map(|v| ok[v].then_some(cap[v])).collect()
}

/// Records which way each condition went and which nodes were passed through.
struct Record<'a> {
    /// Outcomes per condition site: `[seen false, seen true]`, at `base[node] + site`.
    seen: &'a mut [[bool; 2]],
    base: &'a [u32],
    choices: &'a [u32],
    reached: &'a mut [bool],
    /// Expectations that failed during this flow.
    broken: &'a mut Vec<ExpectSite>,
    /// Under the abstraction: the variables left out, the decisions to replay, and
    /// the decisions made.
    havoc: Option<&'a [bool]>,
    script: &'a [bool],
    decided: &'a mut Vec<bool>,
    /// Under the abstraction: what is known of the expectations on left-out
    /// variables, and those it could not decide.
    facts: Option<&'a Facts<'a>>,
    known: &'a mut u64,
    undecided: &'a mut Vec<ExpectSite>,
}

/// Under the abstraction: the expectations that read a left-out variable (at most 64),
/// each with a bit in a state's "facts". A fact is set when the flow decides a
/// condition that implies the expectation (it is the condition, a part of an `&&` of
/// it, or, decided false, its negation), and cleared when an effect writes a variable
/// it reads. An expectation checked while its fact is set holds; otherwise the
/// abstraction cannot tell.
struct Facts<'s> {
    sites: Vec<(ExpectSite, &'s Expr, Vec<&'s Expr>)>,
    reads: Vec<Vec<bool>>,
    /// The distinct parts of the expectations' `&&`s (at most 128), and per site the
    /// parts it needs, as bits.
    atoms: Vec<&'s Expr>,
    needs: Vec<u128>,
    /// Per condition (by address): the parts it establishes when true.
    cache: std::cell::RefCell<std::collections::HashMap<usize, u128>>,
}

fn conjuncts<'e>(e: &'e Expr, out: &mut Vec<&'e Expr>) {
    match e {
        Expr::Bin(super::expr::BinOp::And, ab) => {
            let [a, b] = &**ab;
            conjuncts(a, out);
            conjuncts(b, out);
        }
        _ => out.push(e),
    }
}

impl<'s> Facts<'s> {
    fn new(story: &'s Story, havoc: &[bool]) -> Facts<'s> {
        let mut sites = Vec::new();
        let mut add = |site: ExpectSite, e: &'s Expr| {
            if reads_havoc(e, havoc) && sites.len() < 64 {
                let mut c = Vec::new();
                conjuncts(e, &mut c);
                sites.push((site, e, c));
            }
        };
        for (i, inv) in story.invariants.iter().enumerate() {
            add(ExpectSite::Invariant(i as u32), &inv.expr);
        }
        for (n, node) in story.nodes.iter().enumerate() {
            let n = n as u32;
            if let Some(e) = node.expect() {
                add(ExpectSite::Node(n), &e.expr);
            }
            for (k, p) in node.passages.iter().enumerate() {
                if let Some(e) = p.expect() {
                    add(ExpectSite::Passage { node: n, passage: k as u32 }, &e.expr);
                }
            }
            for (k, c) in node.choices.iter().enumerate() {
                if let Some(e) = c.expect() {
                    add(ExpectSite::Choice { node: n, choice: k as u32 }, &e.expr);
                }
            }
        }
        let reads = sites
            .iter()
            .map(|(_, e, _)| {
                let mut r = vec![false; story.vars.len()];
                e.each_var(&mut |v| r[v as usize] = true);
                r
            })
            .collect();
        let mut atoms: Vec<&'s Expr> = Vec::new();
        for (_, _, c) in &sites {
            for &x in c {
                if !atoms.contains(&x) {
                    atoms.push(x);
                }
            }
        }
        // Beyond 128 distinct parts, the extra sites are simply never known.
        atoms.truncate(128);
        let needs = sites
            .iter()
            .map(|(_, _, c)| c.iter().try_fold(0u128, |m, x| atoms.iter().position(|a| a == x).map(|i| m | (1 << i))).unwrap_or(u128::MAX))
            .collect();
        Facts { sites, reads, atoms, needs, cache: Default::default() }
    }

    /// The parts a condition establishes when it holds.
    fn parts_of(&self, cond: &Expr) -> u128 {
        let key = cond as *const Expr as usize;
        if let Some(&m) = self.cache.borrow().get(&key) {
            return m;
        }
        let mut c = Vec::new();
        conjuncts(cond, &mut c);
        let m = c.iter().filter_map(|x| self.atoms.iter().position(|a| a == x)).fold(0u128, |m, i| m | (1 << i));
        self.cache.borrow_mut().insert(key, m);
        m
    }

    /// The facts known once `cond` is decided as `value`, given those known before: an
    /// expectation is known when each part of its `&&` is a part of the condition
    /// (decided true) or of an expectation already known, or when it is the
    /// condition's negation (decided false).
    fn implied(&self, cond: &Expr, value: bool, known: u64) -> u64 {
        let mut have = if value { self.parts_of(cond) } else { 0 };
        for (k, need) in self.needs.iter().enumerate() {
            if known & (1 << k) != 0 && *need != u128::MAX {
                have |= need;
            }
        }
        let mut bits = known;
        for (k, need) in self.needs.iter().enumerate() {
            let from_parts = *need != u128::MAX && need & !have == 0;
            if from_parts || (!value && matches!(self.sites[k].1, Expr::Not(inner) if **inner == *cond)) {
                bits |= 1 << k;
            }
        }
        bits
    }

    /// The facts that effects writing these variables undo.
    fn undone_by(&self, effects: &[Effect]) -> u64 {
        let mut bits = 0u64;
        for (k, r) in self.reads.iter().enumerate() {
            if effects.iter().any(|e| r.get(e.var as usize).copied().unwrap_or(false)) {
                bits |= 1 << k;
            }
        }
        bits
    }

    fn bit(&self, site: ExpectSite) -> Option<usize> {
        self.sites.iter().position(|(s, _, _)| *s == site)
    }
}

/// What an expectation check means under the abstraction: `None` when the
/// abstraction leaves it alone (it reads nothing left out), else whether it is known
/// to hold.
fn abstract_check(facts: Option<&Facts<'_>>, known: u64, site: ExpectSite) -> Option<bool> {
    let k = facts?.bit(site)?;
    Some(known & (1 << k) != 0)
}

/// Whether a condition reads a variable the abstraction leaves out.
fn reads_havoc(e: &Expr, havoc: &[bool]) -> bool {
    let mut any = false;
    e.each_var(&mut |v| any |= havoc.get(v as usize).copied().unwrap_or(false));
    any
}

impl Record<'_> {
    /// The expectation checks, on this record's lists and facts.
    fn checks(&mut self) -> Broken<'_> {
        Broken { broken: self.broken, facts: self.facts, known: self.known, undecided: self.undecided }
    }

    /// A node's slots hold its choices first, then its branches.
    fn base_choices(&self, node: u32) -> usize {
        self.choices[node as usize] as usize
    }
}

impl Observer for Record<'_> {
    fn arrive(&mut self, _st: &mut StoryState, node: u32) {
        self.reached[node as usize] = true;
    }
    fn branch(&mut self, node: u32, branch: usize, value: bool) {
        // Branch sites come after the node's choices.
        let at = self.base[node as usize] as usize + self.base_choices(node) + branch;
        self.seen[at][usize::from(value)] = true;
    }
    fn broken(&mut self, st: &StoryState, site: ExpectSite) {
        self.checks().broken(st, site);
    }
    fn decide(&mut self, cond: &Expr, value: bool) -> bool {
        match self.havoc {
            Some(h) if reads_havoc(cond, h) => {
                let d = self.script.get(self.decided.len()).copied().unwrap_or(true);
                self.decided.push(d);
                if let Some(f) = self.facts {
                    *self.known = f.implied(cond, d, *self.known);
                }
                d
            }
            _ => value,
        }
    }
    fn effects(&mut self, effects: &[Effect]) {
        self.checks().effects(effects);
    }
    fn expect(&mut self, st: &StoryState, site: ExpectSite, cond: &Expr, holds: bool) {
        self.checks().expect(st, site, cond, holds);
    }
}

/// Collects failed expectations and, under the abstraction, keeps the facts (see
/// [`Facts`]): on its own while a choice is taken, inside [`Record`] during a flow.
struct Broken<'a> {
    broken: &'a mut Vec<ExpectSite>,
    facts: Option<&'a Facts<'a>>,
    known: &'a mut u64,
    undecided: &'a mut Vec<ExpectSite>,
}

impl Observer for Broken<'_> {
    fn broken(&mut self, _st: &StoryState, site: ExpectSite) {
        self.broken.push(site);
    }
    fn effects(&mut self, effects: &[Effect]) {
        if let Some(f) = self.facts {
            *self.known &= !f.undone_by(effects);
        }
    }
    fn expect(&mut self, st: &StoryState, site: ExpectSite, cond: &Expr, holds: bool) {
        match abstract_check(self.facts, *self.known, site) {
            // Known to hold: so does whatever it implies, further on.
            Some(true) => *self.known = self.facts.map_or(*self.known, |f| f.implied(cond, true, *self.known)),
            Some(false) => self.undecided.push(site),
            None if !holds => self.broken(st, site),
            None => {}
        }
    }
}

/// How a state was first reached: from `parent` by choice `choice` of `node`, then
/// through the random outcomes stored at `chances` (an index into a side table).
#[derive(Clone, Copy)]
struct Link {
    parent: u32,
    node: u32,
    choice: u32,
    chances: u32,
    /// What was typed (an index into `Graph::typed`), or NONE.
    input: u32,
}

const NONE: u32 = u32::MAX;

/// Which choice an edge took (and what was typed), and whether the abstraction could
/// not tell if the choice was available (its `when` reads a left-out variable): the
/// top bit. Edges of one state with one label are the outcomes of one choice.
fn edge_label(p: &Pending) -> u32 {
    (p.choice & 0xFFFF) | ((p.input.wrapping_add(1) & 0x7FFF) << 16) | (u32::from(p.uncertain) << 31)
}

/// A flow still to follow: from state `from` (NONE for the start), having taken
/// `choice` (NONE for the start) and then the random outcomes in `chances`.
struct Pending {
    /// Under the abstraction: the choice taken may not have been available.
    uncertain: bool,
    /// Under the abstraction: the facts known when this flow starts (see [`Facts`]).
    facts: u64,
    /// Under the abstraction: how the conditions on left-out variables are decided,
    /// in order, for this flow (the rest are taken true, and their false sides queued).
    script: Vec<bool>,
    st: StoryState,
    from: u32,
    node: u32,
    choice: u32,
    chances: Vec<Step>,
    enter: u32,
    input: u32,
}

/// The growing state graph: keys in one arena, indexed by a hash table of state
/// numbers (so each key is stored once).
struct Graph {
    plan: Plan,
    table: hashbrown::HashTable<u32>,
    arena: Vec<u64>,
    starts: Vec<u32>,
    links: Vec<Link>,
    chance_paths: Vec<Vec<Step>>,
    /// Steps held in `chance_paths`.
    chance_steps: usize,
    /// The distinct texts typed at prompts.
    typed: Vec<String>,
    edges: Vec<(u32, u32)>,
    /// Under the abstraction: per edge, the choice it took (see [`edge_label`]).
    labels: Option<Vec<u32>>,
    buf: Vec<u64>,
    max: usize,
}

/// The hash of a state's key words.
fn hash_words(words: &[u64]) -> u64 {
    super::fxhash::hash(0, words.iter().copied())
}

impl Graph {
    fn key(&self, i: u32) -> &[u64] {
        let a = self.starts[i as usize] as usize;
        let b = self.starts.get(i as usize + 1).map_or(self.arena.len(), |&e| e as usize);
        &self.arena[a..b]
    }

    fn len(&self) -> usize {
        self.links.len()
    }

    /// The graph's memory, from the capacities of its tables.
    fn bytes(&self) -> usize {
        use std::mem::size_of;
        self.arena.capacity() * 8
            + self.starts.capacity() * 4
            + self.links.capacity() * size_of::<Link>()
            + self.table.capacity() * (size_of::<u32>() + 1)
            + self.edges.capacity() * size_of::<(u32, u32)>()
            + self.chance_paths.capacity() * size_of::<Vec<Step>>()
            + self.chance_steps * size_of::<Step>()
            + self.plan.string_bytes
    }

    /// Registers the state `st` reached by `p`; returns its index and whether it is
    /// new, or `None` when the bound is hit.
    fn add(&mut self, st: &StoryState, p: &mut Pending) -> Option<(u32, bool)> {
        self.plan.encode(st, &mut self.buf);
        // Under the abstraction, what is known of its expectations is part of a state.
        if self.labels.is_some() && st.ended.is_none() {
            self.buf.push(p.facts);
        }
        let h = hash_words(&self.buf);
        let (arena, starts, buf) = (&self.arena, &self.starts, &self.buf);
        let found = self.table.find(h, |&i| {
            let a = starts[i as usize] as usize;
            let b = starts.get(i as usize + 1).map_or(arena.len(), |&e| e as usize);
            arena[a..b] == buf[..]
        });
        if let Some(&i) = found {
            if p.from != NONE {
                self.edges.push((p.from, i));
                if let Some(l) = &mut self.labels {
                    l.push(edge_label(p));
                }
            }
            return Some((i, false));
        }
        if self.links.len() >= self.max || self.arena.len() + self.buf.len() > u32::MAX as usize {
            return None;
        }
        let i = self.links.len() as u32;
        self.starts.push(self.arena.len() as u32);
        self.arena.extend_from_slice(&self.buf);
        let (arena, starts) = (&self.arena, &self.starts);
        self.table.insert_unique(h, i, |&j| {
            let a = starts[j as usize] as usize;
            let b = starts.get(j as usize + 1).map_or(arena.len(), |&e| e as usize);
            hash_words(&arena[a..b])
        });
        let chances = if p.chances.is_empty() {
            NONE
        } else {
            self.chance_steps += p.chances.capacity();
            self.chance_paths.push(std::mem::take(&mut p.chances));
            self.chance_paths.len() as u32 - 1
        };
        self.links.push(Link { parent: p.from, node: p.node, choice: p.choice, chances, input: p.input });
        if p.from != NONE {
            self.edges.push((p.from, i));
            if let Some(l) = &mut self.labels {
                l.push(edge_label(p));
            }
        }
        Some((i, true))
    }

    fn path_to(&self, mut s: u32) -> Vec<Step> {
        let mut rev = Vec::new();
        while let Some(l) = self.links.get(s as usize) {
            if let Some(c) = self.chance_paths.get(l.chances as usize) {
                rev.extend(c.iter().rev().cloned());
            }
            if l.choice != NONE {
                let input = self.typed.get(l.input as usize).cloned();
                rev.push(Step::Choose { node: l.node, choice: l.choice, input });
            }
            if l.parent == NONE {
                break;
            }
            s = l.parent;
        }
        rev.reverse();
        rev
    }

    /// The path of a flow still being followed: to the state it left, the choice, and
    /// the random outcomes since.
    fn pending_path(&self, p: &Pending) -> Vec<Step> {
        let mut path = if p.from == NONE { Vec::new() } else { self.path_to(p.from) };
        if p.choice != NONE {
            path.push(Step::Choose { node: p.node, choice: p.choice, input: self.typed.get(p.input as usize).cloned() });
        }
        path.extend(p.chances.iter().cloned());
        path
    }
}

/// Explores `story` breadth first within `limits`.
pub fn explore(story: &Story, limits: Limits) -> Exploration {
    explore_with(story, limits, None)
}

/// The variables [`explore_abstract`] leaves out: every integer with a declared range
/// (the counters an economy of choices moves), and what they feed into (a variable
/// set from one of them is left out too).
pub fn abstracted_variables(story: &Story) -> Vec<bool> {
    let mut havoc: Vec<bool> =
        story.vars.iter().map(|d| matches!(d.default, Value::Int(_)) && d.min.is_some() && d.max.is_some()).collect();
    loop {
        let mut changed = false;
        for n in &story.nodes {
            for e in n.each_effect() {
                if !havoc[e.var as usize] && reads_havoc(&e.expr, &havoc) {
                    havoc[e.var as usize] = true;
                    changed = true;
                }
            }
        }
        if !changed {
            return havoc;
        }
    }
}

/// Whether the expectation at `site` reads a variable the abstraction leaves out:
/// then the abstraction says nothing about it (it is checked on the story itself).
pub fn reads_abstracted(story: &Story, site: ExpectSite, havoc: &[bool]) -> bool {
    story.expectation(site).is_some_and(|e| reads_havoc(&e.expr, havoc))
}

/// Explores an over-approximation of `story`: the variables of
/// [`abstracted_variables`] (the counters, typically) are left out of states, and
/// every condition that reads one is followed both ways. Every path of the story is
/// a path here, so what holds here holds in the story: an expectation that never
/// fails here holds on every path, and an ending never reached here is unreachable.
/// The converse does not hold: a failure or an ending found here may need a
/// combination of counter values no reader can reach, so it must be confirmed on the
/// story itself. An expectation that reads a left-out variable is not decided here
/// (see [`reads_abstracted`]). Traps are counted the other way round: a state counts
/// as safe only through a choice it certainly offers all of whose outcomes are safe,
/// so `traps == 0` (on a complete run) proves the story has none, and a positive
/// count decides nothing. Returns the exploration (failures of undecided
/// expectations left out) and the variables left out.
pub fn explore_abstract(story: &Story, limits: Limits) -> (Exploration, Vec<bool>) {
    let havoc = abstracted_variables(story);
    let mut ex = explore_with(story, limits, Some(&havoc));
    ex.broken.retain(|(site, _)| !reads_abstracted(story, *site, &havoc));
    (ex, havoc)
}

fn explore_with(story: &Story, limits: Limits, havoc: Option<&[bool]>) -> Exploration {
    let facts = havoc.map(|h| Facts::new(story, h));
    let mut undecided: Vec<ExpectSite> = Vec::new();
    let mut g = Graph {
        plan: Plan::new(story, havoc.unwrap_or(&[])),
        table: hashbrown::HashTable::new(),
        arena: Vec::new(),
        starts: Vec::new(),
        links: Vec::new(),
        chance_paths: Vec::new(),
        chance_steps: 0,
        typed: Vec::new(),
        edges: Vec::new(),
        labels: havoc.map(|_| Vec::new()),
        buf: Vec::new(),
        max: limits.max_states,
    };
    let mut node_reached = vec![false; story.nodes.len()];
    let mut choice_enabled: Vec<Vec<bool>> = story.nodes.iter().map(|n| vec![false; n.choices.len()]).collect();
    // One slot per condition site: each choice, then each `If` of a conditional next.
    let mut cond_base = Vec::with_capacity(story.nodes.len() + 1);
    let mut total = 0u32;
    for n in &story.nodes {
        cond_base.push(total);
        total += n.choices.len() as u32 + if let Flow::Branch(bs, _) = &n.flow { bs.len() as u32 } else { 0 };
    }
    cond_base.push(total);
    let mut conds = vec![[false; 2]; total as usize];
    let choice_counts: Vec<u32> = story.nodes.iter().map(|n| n.choices.len() as u32).collect();
    let mut keybuf: Vec<u64> = Vec::new();
    let mut ending_state: Vec<Option<u32>> = vec![None; story.endings.len()];
    let mut terminal = Vec::new();
    let mut stuck = 0usize;
    let mut complete = true;
    let mut transitions = 0usize;
    let mut scratch = StoryState::new(story, 0);
    // Spent states, reused so expanding a state allocates nothing; only a few are
    // kept (a node with many random outcomes spends thousands at once).
    let mut spare: Vec<StoryState> = Vec::new();
    const SPARE: usize = 64;
    // One state's heap, for the memory estimate of states waiting in `pending`.
    let state_bytes = std::mem::size_of::<StoryState>()
        + scratch.vars.len() * std::mem::size_of::<Value>()
        + scratch.visits.len() * 4
        + scratch.once.len() * 8
        + scratch.vary.len() * 4;
    let mut stopped_by = None;
    let mut peak_memory = 0usize;
    let mut steps = 0u64;
    let mut chance_bytes = 0usize;
    let mut queue = std::collections::VecDeque::new();
    let mut pending = vec![Pending {
        uncertain: false,
        facts: 0,
        script: Vec::new(),
        st: StoryState::new(story, 0),
        from: NONE,
        node: NONE,
        choice: NONE,
        chances: Vec::new(),
        enter: story.start,
        input: NONE,
    }];
    // A prompt is followed once per value the story can tell apart (see `inputs`).
    let literals = super::inputs::compared_literals(story);
    let mut broken: std::collections::BTreeMap<ExpectSite, Vec<Step>> = std::collections::BTreeMap::new();
    // Which variables a state of each chapter holds (live ones).
    let exact: Vec<Vec<bool>> = g
        .plan
        .layouts
        .iter()
        .map(|l| {
            let mut v = vec![false; story.vars.len()];
            for &x in &l.vars {
                v[x as usize] = true;
            }
            v
        })
        .collect();
    let mut ending_ranges: Vec<Vec<Option<(i64, i64)>>> = vec![vec![None; story.vars.len()]; story.endings.len()];
    let mut range_known: Vec<Vec<bool>> = vec![vec![true; story.vars.len()]; story.endings.len()];
    let mut hits: Vec<ExpectSite> = Vec::new();
    'explore: loop {
        while let Some(mut p) = pending.pop() {
            steps += 1;
            if steps > limits.max_steps {
                stopped_by = Some(Bound::Steps);
                complete = false;
                break 'explore;
            }
            let mut st = std::mem::replace(&mut p.st, StoryState::new_empty());
            chance_bytes = chance_bytes.saturating_sub(p.chances.capacity() * std::mem::size_of::<Step>());
            // Under the abstraction the flow may fork on conditions it cannot decide:
            // keep the state it starts from, to follow the other sides.
            let entry = havoc.map(|_| st.clone());
            let mut decided = Vec::new();
            let mut known = p.facts;
            let mut stop = flow::advance(
                story,
                &mut st,
                p.enter,
                &mut Record {
                    seen: &mut conds,
                    base: &cond_base,
                    choices: &choice_counts,
                    reached: &mut node_reached,
                    broken: &mut hits,
                    havoc,
                    script: &p.script,
                    decided: &mut decided,
                    facts: facts.as_ref(),
                    known: &mut known,
                    undecided: &mut undecided,
                },
            );
            if let Some(entry) = entry {
                for j in p.script.len()..decided.len() {
                    let mut script = decided[..j].to_vec();
                    script.push(!decided[j]);
                    chance_bytes += p.chances.len() * std::mem::size_of::<Step>();
                    pending.push(Pending {
                        uncertain: p.uncertain,
                        facts: p.facts,
                        script,
                        st: entry.clone(),
                        from: p.from,
                        node: p.node,
                        choice: p.choice,
                        chances: p.chances.clone(),
                        enter: p.enter,
                        input: p.input,
                    });
                }
            }
            for site in hits.drain(..) {
                broken.entry(site).or_insert_with(|| g.pending_path(&p));
            }
            if let Stop::Random(at) = stop {
                if p.chances.len() < MAX_CHANCES {
                    for &(_, to) in flow::outcomes(story, at) {
                        let mut chances = Vec::with_capacity(p.chances.len() + 1);
                        chances.extend_from_slice(&p.chances);
                        chances.push(Step::Chance { node: at, to });
                        chance_bytes += chances.capacity() * std::mem::size_of::<Step>();
                        let st = match spare.pop() {
                            Some(mut s) => {
                                s.clone_from(&st);
                                s
                            }
                            None => st.clone(),
                        };
                        pending.push(Pending {
                            uncertain: p.uncertain,
                            facts: known,
                            script: Vec::new(),
                            st,
                            from: p.from,
                            node: p.node,
                            choice: p.choice,
                            chances,
                            enter: to,
                            input: p.input,
                        });
                    }
                    if spare.len() < SPARE {
                        spare.push(st);
                    }
                    continue;
                }
                // Random branches without end (the loader refuses them): a loop.
                stop = Stop::Loop;
            }
            transitions += 1;
            if let Stop::Ending(e) = stop {
                let from_chapter = (p.node != NONE).then(|| g.plan.node_chapter[p.node as usize] as usize);
                for (v, x) in st.vars.iter().enumerate() {
                    let Value::Int(x) = *x else { continue };
                    // Dead in the state it came from, or held at its saturation point.
                    if from_chapter.is_some_and(|c| !exact[c][v]) || g.plan.caps[v].is_some_and(|cap| x >= cap) {
                        range_known[e as usize][v] = false;
                    }
                    let r = &mut ending_ranges[e as usize][v];
                    *r = Some(r.map_or((x, x), |(lo, hi)| (lo.min(x), hi.max(x))));
                }
            }
            p.facts = known;
            let added = g.add(&st, &mut p);
            if spare.len() < SPARE {
                spare.push(st);
            }
            let Some((i, fresh)) = added else {
                stopped_by = Some(Bound::States);
                complete = false;
                continue;
            };
            if fresh && g.len().is_multiple_of(1024) {
                let now = g.bytes() + (pending.len() + spare.len()) * state_bytes + chance_bytes + queue.len() * 4;
                peak_memory = peak_memory.max(now);
                if now > limits.max_memory {
                    stopped_by = Some(Bound::Memory);
                    complete = false;
                    break 'explore;
                }
            }
            if !fresh {
                continue;
            }
            match stop {
                Stop::Wait => queue.push_back(i),
                Stop::Ending(e) => {
                    terminal.push(i);
                    ending_state[e as usize].get_or_insert(i);
                }
                Stop::Stuck | Stop::Loop => stuck += 1,
                Stop::Random(_) => {}
            }
        }
        if !complete {
            break;
        }
        let Some(s) = queue.pop_front() else { break };
        let now = g.bytes() + (pending.len() + spare.len()) * state_bytes + chance_bytes + queue.len() * 4;
        peak_memory = peak_memory.max(now);
        if now > limits.max_memory {
            stopped_by = Some(Bound::Memory);
            complete = false;
            break;
        }
        keybuf.clear();
        keybuf.extend_from_slice(g.key(s));
        let key = &keybuf;
        let known_here = if facts.is_some() { key.last().copied().unwrap_or(0) } else { 0 };
        g.plan.decode(key, &mut scratch);
        let node = story.node(scratch.node);
        for (ci, c) in node.choices.iter().enumerate() {
            let unknown = havoc.is_some_and(|h| c.when.as_ref().is_some_and(|w| reads_havoc(w, h)));
            if let Some(w) = &c.when
                && !c.fallback()
                && !c.once_slot().is_some_and(|o| scratch.taken(o))
                && !unknown
            {
                let v = w.test(&scratch.env());
                conds[cond_base[scratch.node as usize] as usize + ci][usize::from(v)] = true;
            }
            // A condition the abstraction cannot decide may hold: the choice is taken.
            let open = if unknown {
                !c.fallback() && !c.once_slot().is_some_and(|o| scratch.taken(o))
            } else {
                flow::available(story, &scratch, ci)
            };
            if !open {
                continue;
            }
            choice_enabled[scratch.node as usize][ci] = true;
            let typed: Vec<Option<String>> = match c.input() {
                // Reversed: `pending` is a stack, so the default is followed first and
                // a witness types something only when it must.
                Some(inp) => super::inputs::classes(inp, &literals).into_iter().rev().map(Some).collect(),
                None => vec![None],
            };
            for text in typed {
                let mut st = spare.pop().unwrap_or_else(|| scratch.clone());
                g.plan.decode(key, &mut st);
                let mut input = NONE;
                if let (Some(inp), Some(text)) = (c.input(), text) {
                    input = match g.typed.iter().position(|t| *t == text) {
                        Some(i) => i as u32,
                        None => {
                            g.typed.push(text.clone());
                            g.typed.len() as u32 - 1
                        }
                    };
                    st.vars[inp.var as usize] = Value::Str(text);
                }
                let mut known = known_here;
                if let (true, Some(f), Some(w)) = (unknown, &facts, &c.when) {
                    known = f.implied(w, true, known);
                }
                let to = flow::take(
                    story,
                    &mut st,
                    ci,
                    &mut Broken { broken: &mut hits, facts: facts.as_ref(), known: &mut known, undecided: &mut undecided },
                );
                for site in hits.drain(..) {
                    broken.entry(site).or_insert_with(|| {
                        let mut path = g.path_to(s);
                        path.push(Step::Choose { node: scratch.node, choice: ci as u32, input: g.typed.get(input as usize).cloned() });
                        path
                    });
                }
                pending.push(Pending {
                    uncertain: unknown,
                    facts: known,
                    script: Vec::new(),
                    st,
                    from: s,
                    node: scratch.node,
                    choice: ci as u32,
                    chances: Vec::new(),
                    enter: to,
                    input,
                });
            }
        }
    }

    // Traps: states from which no ending state can be reached.
    let n = g.len();
    // Reverse edges in compressed rows: no allocation per state.
    let mut starts = vec![0u32; n + 1];
    for &(_, b) in &g.edges {
        starts[b as usize + 1] += 1;
    }
    for i in 0..n {
        starts[i + 1] += starts[i];
    }
    let mut fill = starts.clone();
    let mut preds = vec![0u32; g.edges.len()];
    for &(a, b) in &g.edges {
        preds[fill[b as usize] as usize] = a;
        fill[b as usize] += 1;
    }
    let mut good = vec![false; n];
    let stack_terminal = terminal.clone();
    let mut stack = terminal;
    while let Some(s) = stack.pop() {
        if std::mem::replace(&mut good[s as usize], true) {
            continue;
        }
        let (a, b) = (starts[s as usize] as usize, starts[s as usize + 1] as usize);
        stack.extend(preds[a..b].iter().copied().filter(|p| !good[*p as usize]));
    }
    if let (Some(labels), true) = (&g.labels, complete) {
        // Under the abstraction the edges over-approximate the story's, so reaching an
        // ending along some of them proves nothing. A state is shown good only through
        // a choice it certainly offers (its condition reads nothing left out) all of
        // whose outcomes (every way the left-out conditions may go, every random
        // outcome) are good: then every reader in that state can reach an ending.
        good = vec![false; n];
        for &t in &stack_terminal {
            good[t as usize] = true;
        }
        let mut order: Vec<usize> = (0..g.edges.len()).collect();
        order.sort_unstable_by_key(|&e| (g.edges[e].0, labels[e]));
        loop {
            let mut changed = false;
            let mut k = order.len();
            // Later states first: most flows move forward, so one pass does most.
            while k > 0 {
                let (from, label) = (g.edges[order[k - 1]].0, labels[order[k - 1]]);
                let mut j = k;
                let mut all = true;
                while j > 0 && g.edges[order[j - 1]].0 == from && labels[order[j - 1]] == label {
                    all &= good[g.edges[order[j - 1]].1 as usize];
                    j -= 1;
                }
                if all && label >> 31 == 0 && !good[from as usize] {
                    good[from as usize] = true;
                    changed = true;
                }
                k = j;
            }
            if !changed {
                break;
            }
        }
    }
    let (traps, trap_example) = if complete {
        let first = (0..n as u32).find(|s| !good[*s as usize]);
        (good.iter().filter(|g| !**g).count(), first.map(|s| (g.path_to(s), g.key(s)[0] as u32)))
    } else {
        (0, None)
    };
    let mut endings: Vec<Option<Vec<Step>>> = ending_state.iter().map(|s| s.map(|s| g.path_to(s))).collect();
    // Under the abstraction a shortest path may need counter values it does not give;
    // walk other shortest paths back from the ending until one plays in the story.
    let mut confirmed = vec![false; story.endings.len()];
    if let (Some(labels), true) = (&g.labels, complete) {
        for (e, at) in ending_state.iter().enumerate() {
            let Some(at) = *at else { continue };
            if let Some(steps) = shortest_that_plays(story, &g, labels, &starts, &preds, at, e as u32) {
                endings[e] = Some(steps);
                confirmed[e] = true;
            }
        }
    }
    let mut constant_conditions = Vec::new();
    for (ni, node) in story.nodes.iter().enumerate() {
        let base = cond_base[ni] as usize;
        for ci in 0..node.choices.len() {
            let seen = conds[base + ci];
            if seen[0] != seen[1] {
                constant_conditions.push((ni as u32, CondSite::Choice(ci as u32), seen[1]));
            }
        }
        let branches = cond_base[ni + 1] as usize - base - node.choices.len();
        for bi in 0..branches {
            let seen = conds[base + node.choices.len() + bi];
            if seen[0] != seen[1] {
                constant_conditions.push((ni as u32, CondSite::Branch(bi as u32), seen[1]));
            }
        }
    }
    Exploration {
        states: n,
        transitions,
        complete: complete && stopped_by.is_none(),
        stopped_by,
        peak_memory: peak_memory.max(g.bytes()),
        endings,
        node_reached,
        choice_enabled,
        constant_conditions,
        traps,
        trap_example,
        stuck,
        broken: broken.into_iter().collect(),
        confirmed,
        undecided: {
            undecided.sort_unstable();
            undecided.dedup();
            undecided
        },
        ending_ranges: ending_ranges
            .into_iter()
            .zip(range_known)
            .map(|(rs, known)| rs.into_iter().zip(known).map(|(r, k)| r.filter(|_| k)).collect())
            .collect(),
    }
}

/// How many shortest paths [`shortest_that_plays`] tries per ending.
const SHORTEST_TRIES: usize = 3_000;

/// Under the abstraction: random walks back from state `at` (an ending) along edges
/// that keep every path shortest, each played forward in the story (seed 0) until one
/// reaches the ending there.
fn shortest_that_plays(story: &Story, g: &Graph, labels: &[u32], starts: &[u32], preds: &[u32], at: u32, ending: u32) -> Option<Vec<Step>> {
    let n = g.len();
    // Choices from the start to each state along the tree of first arrivals.
    let mut dist = vec![0u32; n];
    for i in 0..n {
        let l = &g.links[i];
        if l.parent != NONE {
            dist[i] = dist[l.parent as usize] + u32::from(l.choice != NONE);
        }
    }
    // The label of each (from, to) edge, for the steps of a walk.
    let mut label_of: std::collections::HashMap<(u32, u32), u32> = std::collections::HashMap::new();
    for (k, &(a, b)) in g.edges.iter().enumerate() {
        label_of.entry((a, b)).or_insert(labels[k]);
    }
    let story_arc = std::sync::Arc::new(story.clone());
    let mut rng = super::state::StoryRng::seeded(0x5407_7E57 ^ u64::from(at));
    for _ in 0..SHORTEST_TRIES {
        let mut rev = Vec::new();
        let mut here = at;
        while dist[here as usize] > 0 || g.links[here as usize].parent != NONE {
            let (a, b) = (starts[here as usize] as usize, starts[here as usize + 1] as usize);
            let back: Vec<u32> = preds[a..b].iter().copied().filter(|&p| dist[p as usize] + 1 == dist[here as usize]).collect();
            let Some(&p) = back.get(rng.below(back.len().max(1) as u32) as usize) else { break };
            let label = label_of.get(&(p, here)).copied().unwrap_or(NONE);
            let input = ((label >> 16) & 0x7FFF).checked_sub(1).and_then(|i| g.typed.get(i as usize).cloned());
            rev.push(Step::Choose { node: g.key(p)[0] as u32, choice: label & 0xFFFF, input });
            here = p;
            if dist[here as usize] == 0 {
                break;
            }
        }
        if dist[here as usize] != 0 {
            continue;
        }
        rev.reverse();
        let mut r = super::runner::Runner::new(std::sync::Arc::clone(&story_arc), 0);
        let plays = rev.iter().all(|s| match s {
            Step::Choose { node, choice, input } => {
                r.state().node == *node
                    && r.choices().iter().any(|c| c.index == *choice && c.enabled)
                    && r.choose(*choice, input.as_deref()).is_ok()
            }
            Step::Chance { .. } => true,
        });
        if plays && r.ended() == Some(super::story::EndingId(ending)) {
            return Some(rev);
        }
    }
    // Then forwards: from the start, only choices that keep the path shortest and that
    // the story itself offers at that moment, picked at random.
    let mut to_end = vec![u32::MAX; n];
    to_end[at as usize] = 0;
    let mut queue = std::collections::VecDeque::from([at]);
    while let Some(b) = queue.pop_front() {
        let (x, y) = (starts[b as usize] as usize, starts[b as usize + 1] as usize);
        for &p in &preds[x..y] {
            if to_end[p as usize] == u32::MAX {
                to_end[p as usize] = to_end[b as usize] + 1;
                queue.push_back(p);
            }
        }
    }
    let start = (0..n as u32).find(|&i| g.links[i as usize].parent == NONE)?;
    let goal = to_end[start as usize];
    if goal == u32::MAX || goal != dist[at as usize] {
        return None;
    }
    // Out-edges per state, with their labels.
    let mut out: Vec<Vec<(u32, u32)>> = vec![Vec::new(); n];
    for (k, &(a, b)) in g.edges.iter().enumerate() {
        out[a as usize].push((b, labels[k]));
    }
    'walk: for _ in 0..SHORTEST_TRIES {
        let mut r = super::runner::Runner::new(std::sync::Arc::clone(&story_arc), 0);
        let mut here = start;
        let mut steps = Vec::new();
        while to_end[here as usize] > 0 {
            let want = to_end[here as usize] - 1;
            let offered = r.choices();
            let mut options: Vec<(u32, u32)> = out[here as usize]
                .iter()
                .copied()
                .filter(|&(b, l)| to_end[b as usize] == want && offered.iter().any(|c| c.index == l & 0xFFFF && c.enabled))
                .collect();
            options.dedup_by_key(|o| o.1);
            let Some(&(_, label)) = options.get(rng.below(options.len().max(1) as u32) as usize) else { continue 'walk };
            let input = ((label >> 16) & 0x7FFF).checked_sub(1).and_then(|i| g.typed.get(i as usize).cloned());
            let node = r.state().node;
            if r.choose(label & 0xFFFF, input.as_deref()).is_err() {
                continue 'walk;
            }
            steps.push(Step::Choose { node, choice: label & 0xFFFF, input });
            // Where the story went, among the outcomes of that choice.
            let now = r.state().node;
            let next = out[here as usize]
                .iter()
                .find(|&&(b, l)| l == label && to_end[b as usize] == want && g.key(b)[0] as u32 == now)
                .map(|&(b, _)| b);
            match next {
                Some(b) => here = b,
                None => continue 'walk,
            }
        }
        if r.ended() == Some(super::story::EndingId(ending)) {
            return Some(steps);
        }
    }
    None
}

/// A path turned into something a person can replay: the seed and, for each choice,
/// its number as `quill play` shows it (and, for a text prompt, the line typed), with
/// the choice's text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Witness {
    /// The seed whose random outcomes match the path.
    pub seed: u64,
    /// Per choice: (1-based number as offered, the choice's text, the text typed at its
    /// prompt if it asks for one).
    pub choices: Vec<(usize, String, Option<String>)>,
}

impl Witness {
    /// The lines to feed `quill play` on standard input.
    pub fn script(&self) -> String {
        let mut s = String::new();
        for (n, _, typed) in &self.choices {
            s.push_str(&n.to_string());
            s.push('\n');
            if let Some(t) = typed {
                s.push_str(t);
                s.push('\n');
            }
        }
        s
    }
}

/// The most choices [`witness`] replays in all, over every seed it tries: finding a
/// seed costs at most this much, however long the path.
pub const WITNESS_BUDGET: usize = 200_000;

/// Finds a seed under which the runner follows `steps` exactly (random outcomes
/// included), trying seeds `0..max_seeds` within [`WITNESS_BUDGET`] replayed choices;
/// returns the replayable witness.
pub fn witness(story: &std::sync::Arc<Story>, steps: &[Step], max_seeds: u64) -> Option<Witness> {
    let has_chance = steps.iter().any(|s| matches!(s, Step::Chance { .. }));
    let seeds = if has_chance { max_seeds } else { 1 };
    let mut budget = WITNESS_BUDGET;
    'seeds: for seed in 0..seeds {
        let mut r = super::runner::Runner::new(std::sync::Arc::clone(story), seed);
        let mut out = Vec::new();
        for step in steps {
            let Step::Choose { node, choice, ref input } = *step else { continue };
            if budget == 0 {
                return None;
            }
            budget -= 1;
            if r.state().node != node {
                continue 'seeds;
            }
            let offered = r.choices();
            let Some(pos) = offered.iter().position(|c| c.index == choice) else { continue 'seeds };
            let typed = offered[pos].input.as_ref().map(|(_, default)| input.clone().unwrap_or_else(|| default.clone()));
            out.push((pos + 1, offered[pos].text.clone(), typed.clone()));
            if r.choose(choice, typed.as_deref()).is_err() {
                continue 'seeds;
            }
        }
        // The path's last random outcomes must match too: compare where we ended.
        let last_node = steps.iter().rev().find_map(|s| match s {
            Step::Chance { to, .. } => Some(*to),
            Step::Choose { .. } => None,
        });
        if let Some(to) = last_node
            && r.state().visits.get(to as usize).copied().unwrap_or(0) == 0
        {
            continue;
        }
        return Some(Witness { seed, choices: out });
    }
    None
}
