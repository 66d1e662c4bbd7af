//! The backlog: everything read in this playthrough, with the choices made, rebuilt
//! from the runner's choice log (the runner keeps only the current page).
//!
//! Pure and deterministic: it replays the log on a fresh runner with the same seed,
//! which gives the same pages the player saw. It could live in the core; it is here
//! because only the front end needs it so far.

use crate::narrative::Runner;
use std::sync::Arc;

/// One entry of the backlog.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BacklogEntry {
    /// A passage read.
    Passage {
        /// The speaker.
        speaker: Option<crate::narrative::CharacterId>,
        /// The text (shared with the page it was shown on).
        text: crate::narrative::SharedStr,
    },
    /// A choice made.
    Choice {
        /// The choice's text, with what the player typed for a prompt.
        text: String,
        /// Which choice of the playthrough it was, from 1.
        turn: usize,
    },
    /// History before this point is not available (a save that had to be migrated
    /// to fit an edited story keeps only its last page).
    Gap,
}

/// Rebuilds the backlog of `runner`'s playthrough.
pub fn transcript(runner: &Runner) -> Vec<BacklogEntry> {
    let page = |r: &Runner, out: &mut Vec<BacklogEntry>| {
        out.extend(r.page().passages.iter().map(|p| BacklogEntry::Passage { speaker: p.speaker, text: p.text.clone() }));
    };
    let mut out = Vec::new();
    // Undo reaches the start exactly when the whole log replays from a new game.
    if runner.undo_depth() == runner.log().len() {
        let log = runner.log().iter().map(|e| (e.choice, e.input.as_deref()));
        let (_, replayed) = Runner::replay(Arc::clone(runner.story()), runner.seed(), log, |r, k, choice, input| {
            page(r, &mut out);
            let text = r.choices().into_iter().find(|c| c.index == choice).map(|c| c.text).unwrap_or_default();
            let text = match input {
                Some(input) => format!("{text}: “{input}”"),
                None => text,
            };
            out.push(BacklogEntry::Choice { text, turn: k + 1 });
        });
        if replayed.is_ok() {
            page(runner, &mut out);
            return out;
        }
        out.clear();
    }
    out.push(BacklogEntry::Gap);
    page(runner, &mut out);
    out
}
