//! The save slots and the endings gallery, kept in the [`DataStore`]. One story's
//! entries are named after its id (`dear_someone/slot-1.ron`), so two stories never
//! share slots. A broken or foreign entry is reported and left alone; nothing here
//! ever deletes or rewrites an entry the player did not ask to change.

pub use super::store::{DataStore, StoreError, now, write_atomic};
use crate::narrative::{Save, SaveError, Story};
use bevy::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// How many manual save slots there are.
pub const MANUAL_SLOTS: u8 = 8;

/// A save slot.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SlotId {
    /// Written after every choice; "Continue" loads it.
    Auto,
    /// A slot the player saves to, numbered from 1.
    Manual(u8),
}

impl SlotId {
    /// The entry's key in the store: `<story id>/autosave.ron`, `<story id>/slot-3.ron`.
    pub fn key(self, story_id: &str) -> String {
        format!("{story_id}/{}", self.file_name())
    }

    /// The file name within the story's folder.
    pub fn file_name(self) -> String {
        match self {
            SlotId::Auto => "autosave.ron".to_string(),
            SlotId::Manual(n) => format!("slot-{n}.ron"),
        }
    }

    /// How the slot is named to the player.
    pub fn label(self) -> String {
        match self {
            SlotId::Auto => "Autosave".to_string(),
            SlotId::Manual(n) => format!("Slot {n}"),
        }
    }

    /// The autosave, then every manual slot.
    pub fn all() -> impl Iterator<Item = SlotId> {
        std::iter::once(SlotId::Auto).chain((1..=MANUAL_SLOTS).map(SlotId::Manual))
    }
}

/// What a slot's file holds, as the saves screen shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SlotState {
    /// No file.
    Empty,
    /// A save of this story.
    Saved {
        /// The chapter title.
        chapter: String,
        /// A line of the text on screen.
        preview: String,
        /// Seconds since 1970 when it was written, if the file says.
        saved_at: Option<u64>,
        /// Choices made.
        turn: u32,
        /// The ending's id, if the save is at an ending.
        ended: Option<String>,
    },
    /// A file that cannot be loaded: corrupt, from a newer game, or another story's.
    Broken(SlotError),
}

/// One slot and its state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SlotInfo {
    /// Which slot.
    pub id: SlotId,
    /// What is in it.
    pub state: SlotState,
}

/// Every slot of the current story, read from disk when the story loads and after
/// every write.
#[derive(Resource, Clone, Debug, Default)]
pub struct SlotList(pub Vec<SlotInfo>);

impl SlotList {
    /// A slot's state.
    pub fn get(&self, id: SlotId) -> Option<&SlotState> {
        self.0.iter().find(|s| s.id == id).map(|s| &s.state)
    }

    /// Whether the slot holds a loadable save.
    pub fn loadable(&self, id: SlotId) -> bool {
        matches!(self.get(id), Some(SlotState::Saved { .. }))
    }
}

/// The first line of a slot file carries the date; RON reads it as a comment, so the
/// rest is a plain save that `quill` and the core read as is.
const STAMP: &str = "// epistle-slot saved_at=";

/// A save wrapped for a slot file, with the time it was written.
pub fn slot_text(save: &Save, now: u64) -> String {
    format!("{STAMP}{now}\n{}", save.to_ron())
}

/// Reads a slot file: the save, and when it was written.
pub fn parse_slot(text: &str) -> Result<(Save, Option<u64>), SaveError> {
    let saved_at = text.lines().next().and_then(|l| l.strip_prefix(STAMP)).and_then(|n| n.trim().parse().ok());
    Ok((Save::from_ron(text)?, saved_at))
}

/// Why a save file cannot be used.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SlotError {
    /// The store could not read or write it.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// It is not a save, or one this version cannot read, or it does not fit.
    #[error(transparent)]
    Save(#[from] SaveError),
    /// It is a save of another story (its id).
    #[error("this save belongs to another story, `{0}`")]
    OtherStory(String),
    /// A file brought in is not text.
    #[error("it is not text")]
    NotText,
    /// The system would not take the copy (the browser's download, the Downloads
    /// folder).
    #[error("{0}")]
    HandOver(String),
}

/// Checks a save's text belongs to `story`: the save and when it was written.
pub fn check_slot(text: &str, story: &Story) -> Result<(Save, Option<u64>), SlotError> {
    let (save, at) = parse_slot(text)?;
    if save.story_id != story.id {
        return Err(SlotError::OtherStory(save.story_id));
    }
    Ok((save, at))
}

/// Reads one slot of `story`.
pub fn read_slot(store: &DataStore, id: SlotId, story: &Story) -> Result<Option<(Save, Option<u64>)>, SlotError> {
    match store.read(&id.key(&story.id))? {
        None => Ok(None),
        Some(text) => check_slot(&text, story).map(Some),
    }
}

/// Reads every slot's state.
pub fn list_slots(store: &DataStore, story: &Story) -> SlotList {
    SlotList(SlotId::all().map(|id| SlotInfo { id, state: slot_state(store, id, story) }).collect())
}

/// One slot's state, read from the store.
fn slot_state(store: &DataStore, id: SlotId, story: &Story) -> SlotState {
    match read_slot(store, id, story) {
        Ok(None) => SlotState::Empty,
        Ok(Some((s, saved_at))) => SlotState::of_save(&s, saved_at),
        Err(e) => SlotState::Broken(e),
    }
}

impl SlotState {
    /// The state of a slot that will hold `runner`'s save, written at `saved_at`
    /// (what [`SlotState::of_save`] of its capture says, without capturing it).
    pub fn of_runner(runner: &crate::narrative::Runner, saved_at: u64) -> SlotState {
        let story = runner.story();
        let st = runner.state();
        SlotState::Saved {
            chapter: story.chapter_title(st.node).to_string(),
            preview: crate::narrative::save::preview_of(runner),
            saved_at: Some(saved_at),
            turn: st.turn,
            ended: st.ended.and_then(|e| story.endings.get(e as usize)).map(|e| e.id.clone()),
        }
    }

    /// The state of a slot holding `save`, written at `saved_at`.
    pub fn of_save(save: &Save, saved_at: Option<u64>) -> SlotState {
        SlotState::Saved {
            chapter: save.chapter.clone(),
            preview: save.preview.clone(),
            saved_at,
            turn: save.turn,
            ended: save.ended.clone(),
        }
    }
}

impl SlotList {
    /// Re-reads one slot (after a choice only the autosave changed: a turn costs one
    /// slot's read, not all nine).
    pub fn refresh(&mut self, store: &DataStore, story: &Story, id: SlotId) {
        self.set(id, slot_state(store, id, story));
    }

    /// Records what a slot now holds (after writing it: nothing is read back).
    pub fn set(&mut self, id: SlotId, state: SlotState) {
        match self.0.iter_mut().find(|s| s.id == id) {
            Some(s) => s.state = state,
            None => self.0.push(SlotInfo { id, state }),
        }
    }
}

/// `2025-11-21 09:33 UTC`: a date without a time-zone database.
pub fn format_date(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Howard Hinnant's civil-from-days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02} {:02}:{:02} UTC", rem / 3600, rem % 3600 / 60)
}

/// The endings a player has reached in any playthrough of the current story.
#[derive(Resource, Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Gallery {
    /// Ending ids reached.
    pub reached: BTreeSet<String>,
}

impl Gallery {
    /// The gallery file within a story's folder.
    pub const FILE: &'static str = "endings.ron";

    /// The gallery's key in the store.
    pub fn key(story_id: &str) -> String {
        format!("{story_id}/{}", Gallery::FILE)
    }

    /// Reads the gallery; a missing entry is an empty gallery. One that cannot be read
    /// is set aside (renamed, never overwritten) and reported in the second value, and
    /// the gallery starts empty.
    pub fn read(store: &DataStore, story_id: &str) -> (Gallery, Option<String>) {
        let key = Gallery::key(story_id);
        let why = match store.read(&key) {
            Ok(None) => return (Gallery::default(), None),
            Ok(Some(text)) => match ron::from_str::<Gallery>(&text) {
                Ok(g) => return (g, None),
                Err(e) => e.to_string(),
            },
            Err(e) => e.to_string(),
        };
        (Gallery::default(), Some(set_aside_report(store, &key, "the endings gallery", &why)))
    }

    /// Writes the gallery, all at once.
    pub fn write(&self, store: &DataStore, story_id: &str) -> Result<(), StoreError> {
        let text = ron::ser::to_string_pretty(self, ron::ser::PrettyConfig::default()).map_err(|e| StoreError::Refused(e.to_string()))?;
        store.write(&Gallery::key(story_id), &text)
    }
}

/// Sets an unreadable entry aside and says so, in one sentence for the player.
pub fn set_aside_report(store: &DataStore, key: &str, what: &str, why: &str) -> String {
    match store.set_aside(key) {
        Ok(to) => format!("{what} could not be read ({why}); it was kept as {to} and a new one started"),
        Err(e) => format!("{what} could not be read ({why}) nor set aside ({e}); it is left as it is"),
    }
}

pub(super) fn plugin(app: &mut App) {
    app.init_resource::<SlotList>().init_resource::<Gallery>();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_civil() {
        assert_eq!(format_date(0), "1970-01-01 00:00 UTC");
        assert_eq!(format_date(1_763_717_580), "2025-11-21 09:33 UTC");
    }
}
