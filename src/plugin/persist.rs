//! Files on disk: where they live, atomic writes, the save slots and the endings
//! gallery. One story's files live in a folder named after its id, so two stories
//! never share slots. A broken or foreign file is reported and left alone; nothing
//! here ever deletes or rewrites a file the player did not ask to change.

use crate::narrative::{Save, SaveError, Story};
use bevy::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};

/// How many manual save slots there are.
pub const MANUAL_SLOTS: u8 = 8;

/// The folder holding settings, saves and galleries.
#[derive(Resource, Clone, Debug, PartialEq, Eq)]
pub struct DataDir(pub PathBuf);

impl DataDir {
    /// `explicit` if given, else `EPISTLE_DATA_DIR`, else the platform's data
    /// directory, else `./epistle-data` (a platform with no home directory).
    pub fn resolve(explicit: Option<PathBuf>) -> DataDir {
        let dir = explicit
            .or_else(|| std::env::var_os("EPISTLE_DATA_DIR").filter(|v| !v.is_empty()).map(PathBuf::from))
            .or_else(|| directories::ProjectDirs::from("", "", "Epistle").map(|p| p.data_dir().to_path_buf()))
            .unwrap_or_else(|| PathBuf::from("epistle-data"));
        DataDir(dir)
    }

    /// The folder for one story's saves and gallery.
    pub fn story_dir(&self, story_id: &str) -> PathBuf {
        self.0.join(story_id)
    }
}

/// Writes a file atomically: a temporary file beside it, flushed to disk, then
/// renamed over the target, so a crash leaves the old file or the new one, never half.
pub fn write_atomic(path: &Path, text: &str) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("file");
    let tmp = path.with_file_name(format!(".{name}.{}.tmp", std::process::id()));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(text.as_bytes())?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// A save slot.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SlotId {
    /// Written after every choice; "Continue" loads it.
    Auto,
    /// A slot the player saves to, numbered from 1.
    Manual(u8),
}

impl SlotId {
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
    Broken(String),
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

/// Reads one slot of `story` from `dir`.
pub fn read_slot(dir: &Path, id: SlotId, story: &Story) -> Result<Option<(Save, Option<u64>)>, String> {
    let path = dir.join(id.file_name());
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("cannot read the file: {e}")),
    };
    let text = String::from_utf8(bytes).map_err(|_| "not a save file (not text)".to_string())?;
    let (save, at) = parse_slot(&text).map_err(|e| e.to_string())?;
    if save.story_id != story.id {
        return Err(format!("this save belongs to another story, `{}`", save.story_id));
    }
    Ok(Some((save, at)))
}

/// Reads every slot's state.
pub fn list_slots(dir: &Path, story: &Story) -> SlotList {
    SlotList(
        SlotId::all()
            .map(|id| {
                let state = match read_slot(dir, id, story) {
                    Ok(None) => SlotState::Empty,
                    Ok(Some((s, saved_at))) => {
                        SlotState::Saved { chapter: s.chapter.clone(), preview: s.preview.clone(), saved_at, turn: s.turn, ended: s.ended }
                    }
                    Err(e) => SlotState::Broken(e),
                };
                SlotInfo { id, state }
            })
            .collect(),
    )
}

/// Seconds since 1970, now.
pub fn now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs())
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

    /// Reads the gallery; a missing or unreadable file is an empty gallery (a broken
    /// one is kept on disk untouched until an ending is reached and it is rewritten).
    pub fn read(dir: &Path) -> Gallery {
        std::fs::read_to_string(dir.join(Gallery::FILE)).ok().and_then(|t| ron::from_str(&t).ok()).unwrap_or_default()
    }

    /// Writes the gallery atomically.
    pub fn write(&self, dir: &Path) -> std::io::Result<()> {
        let text = ron::ser::to_string_pretty(self, ron::ser::PrettyConfig::default()).map_err(std::io::Error::other)?;
        write_atomic(&dir.join(Gallery::FILE), &text)
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
