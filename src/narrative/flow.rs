//! How the story moves: which choices are available, what taking one does, and how
//! the story flows from node to node until it needs the reader again. Shared by the
//! runner (which renders text on the way) and the explorer (which does not).

use super::expr::{Effect, Expr};
use super::state::StoryState;
use super::story::{ExpectSite, Flow, Story};

/// The most `next` steps one turn may take before the flow is called a loop.
pub const MAX_FLOW_STEPS: usize = 10_000;

/// Where the flow stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stop {
    /// At a node with at least one available choice.
    Wait,
    /// At an ending.
    Ending(u32),
    /// At a node with a random `next`: the caller picks the outcome and flows on.
    Random(u32),
    /// At a node with no available choice and no fallback.
    Stuck,
    /// Too many steps without a choice.
    Loop,
}

/// Watches the flow. The runner renders passages on arrival; the explorer records
/// which way each condition went.
pub trait Observer {
    /// Called after arriving at `node` (visit counted, arrival effects run).
    fn arrive(&mut self, _st: &mut StoryState, _node: u32) {}
    /// Called when a conditional `next` tests branch `branch` of `node`.
    fn branch(&mut self, _node: u32, _branch: usize, _value: bool) {}
    /// Called when an expectation or invariant does not hold, in the state where it
    /// was checked.
    fn broken(&mut self, _st: &StoryState, _site: ExpectSite) {}
    /// Decides a condition that moves the flow (a `when`, an `If`): `value` is what
    /// it evaluates to. An observer may answer otherwise: the explorer's abstraction
    /// does, for conditions on variables it leaves out of states, to follow both ways.
    fn decide(&mut self, _cond: &Expr, value: bool) -> bool {
        value
    }
    /// Called just before effects are applied (on arrival, of a choice, of a
    /// fallback).
    fn effects(&mut self, _effects: &[Effect]) {}
    /// Called for every expectation checked, with whether it holds; by default a
    /// failure goes to [`Observer::broken`].
    fn expect(&mut self, st: &StoryState, site: ExpectSite, _cond: &Expr, holds: bool) {
        if !holds {
            self.broken(st, site);
        }
    }
}

/// Evaluates a flow condition through the observer.
fn decide(cond: &Expr, st: &StoryState, obs: &mut impl Observer) -> bool {
    let v = cond.test(&st.env());
    obs.decide(cond, v)
}

/// Whether choice `i` of the current node can be taken now, each `when` decided by
/// the observer.
pub fn available_with(story: &Story, st: &StoryState, i: usize, obs: &mut impl Observer) -> bool {
    let Some(c) = story.node(st.node).choices.get(i) else { return false };
    !c.fallback() && !c.once_slot().is_some_and(|s| st.taken(s)) && c.when.as_ref().is_none_or(|w| decide(w, st, obs))
}

/// Checks the expectations of arriving at `n`, before its `do`.
fn check_node(story: &Story, st: &StoryState, n: u32, obs: &mut impl Observer) {
    if let Some(e) = story.node(n).expect() {
        obs.expect(st, ExpectSite::Node(n), &e.expr, e.expr.test(&st.env()));
    }
}

/// Checks the expectations of the passages shown at `n` and the invariants, after its
/// `do`.
fn check_shown(story: &Story, st: &StoryState, n: u32, obs: &mut impl Observer) {
    let node = story.node(n);
    for (i, p) in node.passages.iter().enumerate() {
        if let Some(e) = p.expect()
            && p.when.as_ref().is_none_or(|w| decide(w, st, obs))
        {
            obs.expect(st, ExpectSite::Passage { node: n, passage: i as u32 }, &e.expr, e.expr.test(&st.env()));
        }
    }
    for (i, inv) in story.invariants.iter().enumerate() {
        obs.expect(st, ExpectSite::Invariant(i as u32), &inv.expr, inv.expr.test(&st.env()));
    }
}

/// Checks the expectation of choice `i` of the current node, before its `do`.
fn check_choice(story: &Story, st: &StoryState, i: usize, obs: &mut impl Observer) {
    if let Some(e) = story.node(st.node).choices.get(i).and_then(|c| c.expect()) {
        obs.expect(st, ExpectSite::Choice { node: st.node, choice: i as u32 }, &e.expr, e.expr.test(&st.env()));
    }
}

/// Whether choice `i` of the current node can be taken now.
pub fn available(story: &Story, st: &StoryState, i: usize) -> bool {
    let Some(c) = story.node(st.node).choices.get(i) else { return false };
    !c.fallback() && !c.once_slot().is_some_and(|s| st.taken(s)) && c.when.as_ref().is_none_or(|w| w.test(&st.env()))
}

/// Applies choice `i` of the current node (input already stored by the caller) and
/// returns the node it leads to. The choice's expectation is checked first.
pub fn take(story: &Story, st: &mut StoryState, i: usize, obs: &mut impl Observer) -> u32 {
    check_choice(story, st, i, obs);
    let c = &story.node(st.node).choices[i];
    if let Some(s) = c.once_slot() {
        st.take(s);
    }
    obs.effects(&c.effects);
    st.apply(story, &c.effects);
    st.turn = st.turn.saturating_add(1);
    if let Some(back) = c.returns_to() {
        if st.returns.len() >= super::state::MAX_CALL_DEPTH {
            st.returns.remove(0);
        }
        st.returns.push(back);
    }
    c.to
}

/// Arrives at `n` and flows on until the reader is needed, the story ends, or a
/// random branch needs an outcome.
pub fn advance(story: &Story, st: &mut StoryState, mut n: u32, obs: &mut impl Observer) -> Stop {
    for _ in 0..MAX_FLOW_STEPS {
        st.node = n;
        if let Some(v) = st.visits.get_mut(n as usize) {
            *v = v.saturating_add(1);
        }
        let node = story.node(n);
        check_node(story, st, n, obs);
        obs.effects(&node.effects);
        st.apply(story, &node.effects);
        obs.arrive(st, n);
        check_shown(story, st, n, obs);
        match &node.flow {
            Flow::Ending(e) => {
                st.ended = Some(*e);
                return Stop::Ending(*e);
            }
            Flow::Goto(t) => n = *t,
            Flow::Branch(bs, otherwise) => {
                let mut to = *otherwise;
                for (bi, (c, t)) in bs.iter().enumerate() {
                    let v = decide(c, st, obs);
                    obs.branch(n, bi, v);
                    if v {
                        to = *t;
                        break;
                    }
                }
                n = to;
            }
            Flow::Random(_) => return Stop::Random(n),
            Flow::Return => match st.returns.pop() {
                Some(back) => n = back,
                None => return Stop::Stuck,
            },
            Flow::Choices => {
                if (0..node.choices.len()).any(|i| available_with(story, st, i, obs)) {
                    return Stop::Wait;
                }
                match node.choices.iter().position(|c| c.fallback() && c.when.as_ref().is_none_or(|w| decide(w, st, obs))) {
                    Some(fi) => {
                        check_choice(story, st, fi, obs);
                        let f = &node.choices[fi];
                        obs.effects(&f.effects);
                        st.apply(story, &f.effects);
                        n = f.to;
                    }
                    None => return Stop::Stuck,
                }
            }
        }
    }
    Stop::Loop
}

/// The outcomes of the random `next` at `node`: `(weight, target)`.
pub fn outcomes(story: &Story, node: u32) -> &[(u32, u32)] {
    match &story.node(node).flow {
        Flow::Random(ws) => ws,
        _ => &[],
    }
}

/// Picks a random outcome with the state's generator. The loader keeps the total
/// weight within `u32` (E0130); should a larger total ever arrive, it is clamped
/// rather than wrapped, so no outcome's share is skewed by overflow.
pub fn pick_outcome(story: &Story, st: &mut StoryState, node: u32) -> u32 {
    let ws = outcomes(story, node);
    let total: u64 = ws.iter().map(|w| u64::from(w.0)).sum();
    let mut pick = st.rng.below(u32::try_from(total).unwrap_or(u32::MAX));
    for &(w, t) in ws {
        if pick < w {
            return t;
        }
        pick -= w;
    }
    ws.last().map_or(node, |w| w.1)
}
