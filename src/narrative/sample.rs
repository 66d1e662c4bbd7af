//! Seeded random playthroughs: the engine of `quill random`, and how `quill explore`
//! still finds a witness for each ending when a story's state space is too large to
//! enumerate.

use super::runner::Runner;
use super::state::StoryRng;
use super::story::Story;
use std::sync::Arc;

/// The most choices one random playthrough makes before it is called endless.
pub const MAX_TURNS: usize = 5_000;

/// One finished random playthrough.
pub struct Playthrough {
    /// The story seed it ran with.
    pub seed: u64,
    /// The runner at the end.
    pub runner: Runner,
    /// Each choice as `quill play` numbers it (1-based among those offered).
    pub numbers: Vec<usize>,
    /// For each choice, the text typed at its prompt (if it asked for text).
    pub typed: Vec<Option<String>>,
    /// Words of passage text the reader was shown.
    pub words: usize,
}

/// Plays playthrough `i` of a run seeded `seed`: story seed `seed + i`, choices picked
/// uniformly among the enabled ones by a generator derived from `seed` and `i`.
pub fn playthrough(story: &Arc<Story>, seed: u64, i: u64) -> Playthrough {
    playthrough_with(story, seed, i, &super::inputs::compared_literals(story))
}

/// [`playthrough`], with the story's [`super::inputs::compared_literals`] computed once
/// by the caller. A prompt gets one of the values the story can tell apart, picked
/// uniformly.
pub fn playthrough_with(story: &Arc<Story>, seed: u64, i: u64, literals: &[Vec<String>]) -> Playthrough {
    let run_seed = seed.wrapping_add(i);
    let mut pick = StoryRng::seeded(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15).wrapping_add(i));
    let mut r = Runner::new(Arc::clone(story), run_seed);
    let mut numbers = Vec::new();
    let mut typed = Vec::new();
    let count = |r: &Runner| r.page().passages.iter().map(|p| p.text.split_whitespace().count()).sum::<usize>();
    let mut words = count(&r);
    while r.ended().is_none() && r.page().stuck.is_none() && numbers.len() < MAX_TURNS {
        let offered: Vec<_> = r.choices().into_iter().enumerate().filter(|(_, c)| c.enabled).collect();
        if offered.is_empty() {
            break;
        }
        let (pos, c) = &offered[pick.below(offered.len() as u32) as usize];
        numbers.push(pos + 1);
        let text = story.node(r.state().node).choices.get(c.index.0 as usize).and_then(|ch| ch.input()).map(|inp| {
            let classes = super::inputs::classes(inp, literals);
            classes[pick.below(classes.len() as u32) as usize].clone()
        });
        let result = r.choose(c.index, text.as_deref());
        typed.push(text);
        if result.is_err() {
            break;
        }
        words += count(&r);
    }
    Playthrough { seed: run_seed, runner: r, numbers, typed, words }
}

/// The most choices [`witnesses`] makes over all its playthroughs: sampling costs at
/// most this much, however long each playthrough runs.
pub const WITNESS_TURNS: usize = 2_000_000;

/// Samples up to `tries` playthroughs (within [`WITNESS_TURNS`] choices in all) and
/// returns, per ending, the shortest one found that reaches it.
pub fn witnesses(story: &Arc<Story>, seed: u64, tries: u64) -> Vec<Option<Playthrough>> {
    let mut best: Vec<Option<Playthrough>> = (0..story.endings.len()).map(|_| None).collect();
    let mut turns = 0usize;
    let literals = super::inputs::compared_literals(story);
    for i in 0..tries {
        if turns >= WITNESS_TURNS {
            break;
        }
        let p = playthrough_with(story, seed, i, &literals);
        turns += p.numbers.len().max(1);
        if let Some(e) = p.runner.ended() {
            let slot = &mut best[e.0 as usize];
            if slot.as_ref().is_none_or(|b| p.numbers.len() < b.numbers.len()) {
                *slot = Some(p);
            }
        }
        if i >= 1000 && best.iter().all(Option::is_some) {
            break;
        }
    }
    best
}

impl Playthrough {
    /// The lines to feed `quill play` on standard input to replay it: each choice's
    /// number, and after a prompt the text typed.
    pub fn script(&self) -> Vec<String> {
        let mut out = Vec::new();
        for (k, n) in self.numbers.iter().enumerate() {
            out.push(n.to_string());
            if let Some(Some(t)) = self.typed.get(k) {
                out.push(t.clone());
            }
        }
        out
    }
}
