//! Whole-story checks after compilation: reachability, unused endings and characters,
//! variables never read or never written, and `next` chains that loop forever.

use super::diagnostic::{Code, Diagnostic};
use super::expr::{BinOp, EffectOp, Expr};
use super::schema::Diags;
use super::source::Span;
use super::story::{Flow, Story};

/// Where things were declared, for pointing at them.
pub struct Spans<'a> {
    /// Node id spans, by node index.
    pub nodes: &'a [Span],
    /// Variable name spans, by variable index.
    pub vars: Vec<Span>,
    /// Character id spans.
    pub characters: Vec<Span>,
    /// Ending id spans.
    pub endings: Vec<Span>,
    /// Every write to a variable: (variable, span).
    pub writes: &'a [(u32, Span)],
}

/// Runs every whole-story check. Off the web and on a large story, the checks are
/// shared between two threads; the diagnostics come out in the same order either way.
pub fn check(story: &Story, spans: &Spans<'_>, d: &mut Diags) {
    let graph = |d: &mut Diags| {
        unreachable_nodes(story, spans, d);
        flow_cycles(story, spans, d);
        random_cycles(story, spans, d);
        unused_endings(story, spans, d);
        constant_comparisons(story, spans, d);
    };
    let usage = |d: &mut Diags| {
        variable_usage(story, spans, d);
        unused_characters(story, spans, d);
        same_choices(story, spans, d);
        dead_fallbacks(story, spans, d);
        effects_out_of_range(story, spans, d);
    };
    if story.nodes.len() < 2_000 || super::load::threads_for(2) < 2 {
        graph(d);
        usage(d);
        return;
    }
    let mut second = Diags::default();
    std::thread::scope(|scope| {
        let h = scope.spawn(|| {
            let mut own = Diags::default();
            usage(&mut own);
            own
        });
        graph(d);
        // A check that panicked (a bug) runs again here, so the panic surfaces on
        // the caller's thread.
        second = h.join().unwrap_or_else(|_| {
            let mut own = Diags::default();
            usage(&mut own);
            own
        });
    });
    d.list.append(&mut second.list);
}

fn unreachable_nodes(story: &Story, spans: &Spans<'_>, d: &mut Diags) {
    let reachable = reachable(story);
    for (i, node) in story.nodes.iter().enumerate() {
        if !reachable[i] {
            d.push(
                Diagnostic::new(Code::Unreachable, format!("node `{}` can never be reached", node.id))
                    .at(spans.nodes[i], "no choice or `next` leads here from the start")
                    .help("link to it from another node, or remove it"),
            );
        }
    }
}

/// A variable's range: its declared `min`/`max`, else the ends of i64.
fn range(story: &Story, v: u32) -> Option<(i64, i64, bool)> {
    let decl = story.vars.get(v as usize)?;
    if decl.min.is_none() && decl.max.is_none() {
        return None;
    }
    Some((decl.min.unwrap_or(i64::MIN), decl.max.unwrap_or(i64::MAX), true))
}

fn op_str(op: BinOp) -> &'static str {
    match op {
        BinOp::Lt => "<",
        BinOp::Le => "<=",
        BinOp::Gt => ">",
        BinOp::Ge => ">=",
        BinOp::Eq => "==",
        _ => "!=",
    }
}

/// Whether `x op k` is the same for every `x` in `lo..=hi`, and if so, which.
fn constant_over(op: BinOp, k: i64, lo: i64, hi: i64) -> Option<bool> {
    let (all, none) = match op {
        BinOp::Lt => (hi < k, lo >= k),
        BinOp::Le => (hi <= k, lo > k),
        BinOp::Gt => (lo > k, hi <= k),
        BinOp::Ge => (lo >= k, hi < k),
        BinOp::Eq => (lo == hi && lo == k, k < lo || k > hi),
        BinOp::Ne => (k < lo || k > hi, lo == hi && lo == k),
        _ => return None,
    };
    if all {
        Some(true)
    } else if none {
        Some(false)
    } else {
        None
    }
}

/// `courage > 10` where `courage` is at most 10: a condition that can never change,
/// which is almost always a typo in the number or a forgotten range.
fn constant_comparisons(story: &Story, spans: &Spans<'_>, d: &mut Diags) {
    fn walk(story: &Story, e: &Expr, found: &mut Vec<String>) {
        match e {
            Expr::Bin(op @ (BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge | BinOp::Eq | BinOp::Ne), ab) => {
                let [a, b] = &**ab;
                let (v, k, op) = match (a, b) {
                    (Expr::Var(v), Expr::Int(k)) => (*v, *k, *op),
                    (Expr::Int(k), Expr::Var(v)) => {
                        let mirrored = match op {
                            BinOp::Lt => BinOp::Gt,
                            BinOp::Le => BinOp::Ge,
                            BinOp::Gt => BinOp::Lt,
                            BinOp::Ge => BinOp::Le,
                            other => *other,
                        };
                        (*v, *k, mirrored)
                    }
                    _ => {
                        walk(story, a, found);
                        walk(story, b, found);
                        return;
                    }
                };
                if let Some((lo, hi, _)) = range(story, v)
                    && let Some(value) = constant_over(op, k, lo, hi)
                {
                    let name = &story.vars[v as usize].name;
                    let bounds = match (story.vars[v as usize].min, story.vars[v as usize].max) {
                        (Some(a), Some(b)) => format!("`{name}` is always between {a} and {b}"),
                        (Some(a), None) => format!("`{name}` is never below {a}"),
                        (None, Some(b)) => format!("`{name}` is never above {b}"),
                        (None, None) => String::new(),
                    };
                    found.push(format!("`{name} {} {k}` is always {value}: {bounds}", op_str(op)));
                }
            }
            Expr::Not(a) | Expr::Neg(a) => walk(story, a, found),
            Expr::Bin(_, ab) => {
                let [a, b] = &**ab;
                walk(story, a, found);
                walk(story, b, found);
            }
            _ => {}
        }
    }
    for (i, n) in story.nodes.iter().enumerate() {
        let mut found = Vec::new();
        n.each_condition_and_text_expr(&mut |e: &Expr| walk(story, e, &mut found));
        found.dedup();
        for f in found {
            d.push(
                Diagnostic::new(Code::ConstantCondition, format!("in `{}`, {f}", n.id))
                    .at(spans.nodes[i], "in this node")
                    .help("check the number against the variable's `min`/`max` in story.ron"),
            );
        }
    }
}

/// A fallback fires only when no other choice is available; a sticky choice without
/// a condition always is.
fn dead_fallbacks(story: &Story, spans: &Spans<'_>, d: &mut Diags) {
    for (i, n) in story.nodes.iter().enumerate() {
        if !n.choices.iter().any(|c| c.fallback()) {
            continue;
        }
        if let Some(always) = n.choices.iter().find(|c| !c.fallback() && c.when.is_none() && c.once_slot().is_none()) {
            d.push(
                Diagnostic::new(Code::DeadFallback, format!("the fallback of `{}` can never fire", n.id))
                    .at(spans.nodes[i], "in this node")
                    .note(format!("“{}” is sticky and has no `when`, so a choice is always available", always.key()))
                    .help("give that choice a `when`, make it once-only, or remove the fallback"),
            );
        }
    }
}

/// `courage = 12` when `courage` is at most 10, or `courage += 20` when its whole
/// range is 10 wide: the clamp always wins, which is rarely what was meant.
fn effects_out_of_range(story: &Story, spans: &Spans<'_>, d: &mut Diags) {
    for (i, n) in story.nodes.iter().enumerate() {
        for e in n.each_effect() {
            let Some((lo, hi, _)) = range(story, e.var) else { continue };
            let Expr::Int(k) = e.expr else { continue };
            let name = &story.vars[e.var as usize].name;
            let problem = match e.op {
                EffectOp::Set if k < lo || k > hi => {
                    Some(format!("`{name} = {k}` is outside its range {lo}..={hi}: it becomes {}", k.clamp(lo, hi)))
                }
                EffectOp::Add | EffectOp::Sub if k.unsigned_abs() > hi.abs_diff(lo) && k != 0 => {
                    let sign = if e.op == EffectOp::Add { "+=" } else { "-=" };
                    Some(format!("`{name} {sign} {k}` moves further than `{name}`'s whole range {lo}..={hi}: it always lands on a limit"))
                }
                _ => None,
            };
            if let Some(p) = problem {
                d.push(
                    Diagnostic::new(Code::EffectOutOfRange, format!("in `{}`, {p}", n.id))
                        .at(spans.nodes[i], "in this node")
                        .help("check the number against the variable's `min`/`max` in story.ron"),
                );
            }
        }
    }
}

/// Two choices of one node that go to the same place with the same effects make no
/// difference to the story, whatever their text says. Conditional choices are left
/// out: a locked alternative that leads to the same place is a deliberate design.
fn same_choices(story: &Story, spans: &Spans<'_>, d: &mut Diags) {
    // Grouped by (destination, effects): the choices that may differ are sorted by
    // that key (a node's handful in place, without hashing), so each group is a run,
    // and one warning per group however large. O(k log k) for a node of k choices.
    let mut keyed: Vec<(u32, &[super::expr::Effect], usize)> = Vec::new();
    let mut groups: Vec<(usize, usize)> = Vec::new();
    for (i, n) in story.nodes.iter().enumerate() {
        if n.choices.len() < 2 {
            continue;
        }
        keyed.clear();
        keyed.extend(
            n.choices
                .iter()
                .enumerate()
                .filter(|(_, c)| !c.fallback() && c.when.is_none() && c.input().is_none())
                .map(|(k, c)| (c.to, &c.effects[..], k)),
        );
        if keyed.len() < 2 {
            continue;
        }
        // Stable by the choices' order, so names and warnings follow the file.
        keyed.sort_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)).then(a.2.cmp(&b.2)));
        groups.clear();
        let mut at = 0;
        while at < keyed.len() {
            let run = keyed[at..].iter().take_while(|k| k.0 == keyed[at].0 && k.1 == keyed[at].1).count();
            if run > 1 {
                groups.push((at, run));
            }
            at += run;
        }
        // Warnings in the order each group's first choice is written.
        groups.sort_by_key(|&(at, _)| keyed[at].2);
        for &(at, run) in &groups {
            let g: Vec<&super::story::Choice> = keyed[at..at + run].iter().map(|k| &n.choices[k.2]).collect();
            let names = match g.len() {
                2 => format!("“{}” and “{}”", g[0].key(), g[1].key()),
                3 => format!("“{}”, “{}” and “{}”", g[0].key(), g[1].key(), g[2].key()),
                k => format!("“{}”, “{}” and {} others", g[0].key(), g[1].key(), k - 2),
            };
            d.push(
                Diagnostic::new(Code::SameChoices, format!("choices {names} of `{}` make no difference", n.id))
                    .at(spans.nodes[i], "they lead to the same place with the same effects")
                    .help("give them their own effects or destinations, or merge them"),
            );
        }
    }
}

/// Which nodes can be reached from the start, ignoring conditions.
pub fn reachable(story: &Story) -> Vec<bool> {
    let mut seen = vec![false; story.nodes.len()];
    let mut stack = vec![story.start];
    while let Some(n) = stack.pop() {
        if std::mem::replace(&mut seen[n as usize], true) {
            continue;
        }
        stack.extend(story.node(n).successors().filter(|s| !seen[*s as usize]));
    }
    seen
}

/// `next: "b"` from `a` and `next: "a"` from `b`: the reader would never get a choice.
fn flow_cycles(story: &Story, spans: &Spans<'_>, d: &mut Diags) {
    // 0 = unvisited, 1 = on the current chain, 2 = done.
    let mut state = vec![0u8; story.nodes.len()];
    for startn in 0..story.nodes.len() {
        let mut chain = Vec::new();
        let mut n = startn;
        loop {
            if state[n] == 2 {
                break;
            }
            if state[n] == 1 {
                let at = chain.iter().position(|&c| c == n).unwrap_or(0);
                let ids: Vec<&str> = chain[at..].iter().map(|&c: &usize| story.nodes[c].id.as_ref()).collect();
                d.push(
                    Diagnostic::new(Code::FlowCycle, format!("`next` loops forever: {} → {}", ids.join(" → "), story.nodes[n].id))
                        .at(spans.nodes[n], "the loop comes back here without a choice")
                        .help("break the loop with a choice or a conditional `next`"),
                );
                break;
            }
            state[n] = 1;
            chain.push(n);
            match story.nodes[n].flow {
                Flow::Goto(t) => n = t as usize,
                _ => break,
            }
        }
        for c in chain {
            state[c] = 2;
        }
    }
}

/// A random `next` whose outcomes can lead back to it through `next` links and other
/// random branches, with no choice on the way: the reader could be sent round for
/// ever, and no tool can prove where it ends. Found as the strongly connected
/// components (Tarjan's algorithm, without recursion) of the choice-free flow graph
/// that hold a random node; cycles of plain `next` alone are E0123's.
fn random_cycles(story: &Story, spans: &Spans<'_>, d: &mut Diags) {
    // The k-th choice-free edge out of v, in O(1).
    let edge = |v: usize, k: usize| match &story.nodes[v].flow {
        Flow::Goto(t) => (k == 0).then_some(*t as usize),
        Flow::Random(ws) => ws.get(k).map(|w| w.1 as usize),
        _ => None,
    };
    let roots = (0..story.nodes.len()).filter(|&r| matches!(story.nodes[r].flow, Flow::Random(_) | Flow::Goto(_)));
    components(story.nodes.len(), roots, edge, |comp| {
        let v = comp[comp.len() - 1];
        let cyclic = comp.len() > 1 || (0..).map_while(|k| edge(v, k)).any(|w| w == v);
        let random = comp.iter().copied().find(|&w| matches!(story.nodes[w].flow, Flow::Random(_)));
        if let (true, Some(r)) = (cyclic, random) {
            let mut comp = comp.to_vec();
            comp.sort_unstable();
            let ids: Vec<&str> = comp.iter().take(6).map(|&c| story.nodes[c].id.as_ref()).collect();
            let more = if comp.len() > 6 { format!(" and {} more", comp.len() - 6) } else { String::new() };
            d.push(
                Diagnostic::new(
                    Code::RandomCycle,
                    format!("a random `next` can come back to itself without a choice: {}{more}", ids.join(", ")),
                )
                .at(spans.nodes[r], "the random branch is here")
                .help("give the reader a choice somewhere on the way round, or send every outcome onwards"),
            );
        }
    });
}

/// The strongly connected components of a graph of `n` nodes reachable from `roots`
/// (Tarjan's algorithm, without recursion, so a long chain cannot exhaust the stack).
/// `edge(v, k)` is the k-th edge out of `v`, `None` past the last. Each component is
/// handed to `found` once, its root (the node it was entered by) last.
pub(super) fn components(
    n: usize,
    roots: impl Iterator<Item = usize>,
    edge: impl Fn(usize, usize) -> Option<usize>,
    mut found: impl FnMut(&[usize]),
) {
    const UNSEEN: u32 = u32::MAX;
    let mut index = vec![UNSEEN; n];
    let mut low = vec![0u32; n];
    let mut on_stack = vec![false; n];
    let mut stack: Vec<usize> = Vec::new();
    let mut next_index = 0u32;
    let mut comp = Vec::new();
    // (node, how many of its edges were followed)
    let mut work: Vec<(usize, usize)> = Vec::new();
    for root in roots {
        if index[root] != UNSEEN {
            continue;
        }
        work.push((root, 0));
        while let Some(&mut (v, ref mut k)) = work.last_mut() {
            if *k == 0 && index[v] == UNSEEN {
                index[v] = next_index;
                low[v] = next_index;
                next_index += 1;
                stack.push(v);
                on_stack[v] = true;
            }
            if let Some(w) = edge(v, *k) {
                *k += 1;
                if index[w] == UNSEEN {
                    work.push((w, 0));
                } else if on_stack[w] {
                    low[v] = low[v].min(index[w]);
                }
                continue;
            }
            work.pop();
            if let Some(&(parent, _)) = work.last() {
                low[parent] = low[parent].min(low[v]);
            }
            if low[v] == index[v] {
                comp.clear();
                while let Some(w) = stack.pop() {
                    on_stack[w] = false;
                    comp.push(w);
                    if w == v {
                        break;
                    }
                }
                found(&comp);
            }
        }
    }
}

fn unused_endings(story: &Story, spans: &Spans<'_>, d: &mut Diags) {
    let mut used = vec![false; story.endings.len()];
    for n in &story.nodes {
        if let Flow::Ending(e) = n.flow {
            used[e as usize] = true;
        }
    }
    for (i, e) in story.endings.iter().enumerate() {
        if !used[i] {
            d.push(
                Diagnostic::new(Code::UnusedEnding, format!("ending `{}` is declared but no node uses it", e.id))
                    .at(spans.endings[i], "never reached")
                    .help(format!("end a node with `ending: \"{}\"`, or remove the declaration", e.id)),
            );
        }
    }
}

fn variable_usage(story: &Story, spans: &Spans<'_>, d: &mut Diags) {
    let mut read = vec![false; story.vars.len()];
    let mut mark = |v: u32| read[v as usize] = true;
    for c in &story.characters {
        c.name.each_expr(&mut |e| e.each_var(&mut mark));
    }
    for t in &story.ending_texts {
        t.each_expr(&mut |e| e.each_var(&mut mark));
    }
    for inv in &story.invariants {
        inv.expr.each_var(&mut mark);
    }
    for n in &story.nodes {
        // Expectations read too: a flag kept only to be checked is not dead.
        n.each_flow_expr(&mut |e| e.each_var(&mut mark));
        for p in &n.passages {
            if let Some(w) = &p.when {
                w.each_var(&mut mark);
            }
            p.text.each_expr(&mut |e| e.each_var(&mut mark));
        }
        for e in &n.effects {
            e.expr.each_var(&mut mark);
        }
        for c in &n.choices {
            c.text.each_expr(&mut |e| e.each_var(&mut mark));
            if let Some(w) = &c.when {
                w.each_var(&mut mark);
            }
            if let Some(l) = c.locked() {
                l.each_expr(&mut |e| e.each_var(&mut mark));
            }
            for e in &c.effects {
                e.expr.each_var(&mut mark);
            }
            if let Some(i) = c.input() {
                i.prompt.each_expr(&mut |e| e.each_var(&mut mark));
            }
        }
        if let Flow::Branch(bs, _) = &n.flow {
            for (c, _) in bs.iter() {
                c.each_var(&mut mark);
            }
        }
    }
    let mut written = vec![None; story.vars.len()];
    for &(v, span) in spans.writes {
        written[v as usize].get_or_insert(span);
    }
    for (i, v) in story.vars.iter().enumerate() {
        match (read[i], written[i]) {
            (false, Some(w)) => d.push(
                Diagnostic::new(Code::NeverRead, format!("variable `{}` is written but never read", v.name))
                    .at(w, "written here")
                    .also(spans.vars[i], "declared here")
                    .help("use it in a condition or the text, or remove it"),
            ),
            (true, None) => d.push(
                Diagnostic::new(Code::NeverWritten, format!("variable `{}` is read but never written", v.name))
                    .at(spans.vars[i], format!("always `{}`", v.default))
                    .help("set it in a choice's `do`, or make it a constant in the text"),
            ),
            (false, None) => d.push(
                Diagnostic::new(Code::NeverRead, format!("variable `{}` is never used", v.name))
                    .at(spans.vars[i], "declared here")
                    .help("remove it, or use it"),
            ),
            (true, Some(_)) => {}
        }
    }
}

fn unused_characters(story: &Story, spans: &Spans<'_>, d: &mut Diags) {
    let mut used = vec![false; story.characters.len()];
    for n in &story.nodes {
        for p in &n.passages {
            if let Some(s) = p.speaker {
                used[s as usize] = true;
            }
        }
    }
    for (i, c) in story.characters.iter().enumerate() {
        if !used[i] {
            d.push(
                Diagnostic::new(Code::UnusedCharacter, format!("character `{}` never speaks", c.id))
                    .at(spans.characters[i], "declared here")
                    .help(format!("give them a line with `Say(\"{}\", \"...\")`, or remove them", c.id)),
            );
        }
    }
}
