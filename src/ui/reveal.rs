//! The typewriter: how much of the page is shown. Passages appear one at a time; the
//! current one types out at the player's speed; a press completes it, the next press
//! moves on to the next passage. When the last passage is complete the choices show.

use super::Settings;
use crate::plugin::{PageReason, Session, StoryNotice};
use bevy::prelude::*;

/// How much of the page is revealed.
#[derive(Resource, Clone, Copy, Debug, Default, PartialEq)]
pub struct Reveal {
    /// The passage being revealed; earlier ones are shown whole.
    pub passage: usize,
    /// Characters of it shown so far.
    pub chars: f32,
    /// Every passage is shown whole.
    pub done: bool,
}

impl Reveal {
    /// Everything shown at once (undo, a loaded save, instant speed).
    pub fn all(passages: usize) -> Reveal {
        Reveal { passage: passages.saturating_sub(1), chars: f32::MAX, done: true }
    }

    /// A new page, from its first character.
    pub fn start() -> Reveal {
        Reveal { passage: 0, chars: 0.0, done: false }
    }

    /// Whether the current passage is still typing.
    pub fn typing(&self, lens: &[usize]) -> bool {
        !self.done && lens.get(self.passage).is_some_and(|&n| (self.chars as usize) < n)
    }

    /// Moves time on by `dt` seconds at `speed` characters a second (`None`: instant).
    pub fn tick(&mut self, dt: f32, speed: Option<f32>, lens: &[usize]) {
        if self.done {
            return;
        }
        let Some(&len) = lens.get(self.passage) else {
            self.done = true;
            return;
        };
        self.chars = match speed {
            Some(s) => (self.chars + dt * s).min(len as f32),
            None => len as f32,
        };
        if self.chars as usize >= len && self.passage + 1 >= lens.len() {
            self.done = true;
        }
    }

    /// The player pressed: complete the current passage, or move to the next.
    pub fn press(&mut self, lens: &[usize]) {
        if self.done {
            return;
        }
        if self.typing(lens) {
            self.chars = lens.get(self.passage).copied().unwrap_or(0) as f32;
        } else {
            self.passage += 1;
            self.chars = 0.0;
        }
        if self.passage + 1 >= lens.len() && lens.get(self.passage).is_none_or(|&n| self.chars as usize >= n) {
            self.done = true;
        }
    }

    /// How much of passage `i` shows: `None` hidden, `Some(n)` its first `n` characters
    /// (`usize::MAX` for all of it).
    pub fn shown(&self, i: usize) -> Option<usize> {
        if self.done || i < self.passage {
            Some(usize::MAX)
        } else if i == self.passage {
            Some(self.chars as usize)
        } else {
            None
        }
    }
}

/// The length of each passage on the page, in characters.
pub fn passage_lengths(session: &Session) -> Vec<usize> {
    session.runner().map(|r| r.page().passages.iter().map(|p| p.text.chars().count()).collect()).unwrap_or_default()
}

/// Restarts the typewriter when the page changes and moves it on with time.
pub(super) fn tick(
    mut reveal: ResMut<Reveal>,
    mut notices: MessageReader<StoryNotice>,
    session: Res<Session>,
    settings: Res<Settings>,
    time: Res<Time>,
) {
    let lens = passage_lengths(&session);
    for n in notices.read() {
        if let StoryNotice::PageChanged(reason) = n {
            *reveal = match reason {
                PageReason::NewGame | PageReason::Chose => Reveal::start(),
                PageReason::Undo | PageReason::Loaded | PageReason::Edited => Reveal::all(lens.len()),
            };
        }
    }
    // A long pause (the app idles between frames) must not skip a whole passage.
    let dt = time.delta_secs().min(0.1);
    let before = *reveal;
    let mut next = before;
    next.tick(dt, settings.text_speed.chars_per_second(), &lens);
    if next != before {
        *reveal = next;
    }
}

pub(super) fn plugin(app: &mut App) {
    app.init_resource::<Reveal>();
    app.add_systems(Update, tick.after(crate::plugin::EpistleSet::Commands));
}
