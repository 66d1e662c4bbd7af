//! Every message between the front end and the engine, in one place. The front end
//! never touches the runner: it sends a [`StoryCommand`] and reacts to the
//! [`StoryNotice`]s that come back.

use super::persist::{SlotError, SlotId, StoreError};
use crate::narrative::ChooseError;
use bevy::prelude::*;

/// What the player asked for.
///
/// Sent by the front end (the egui screens, the autoplay driver, a test, or any game
/// using the plugin). Handled by the plugin's session system (`session.rs`), which
/// applies it to the runner and answers with [`StoryNotice`]s.
#[derive(Message, Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum StoryCommand {
    /// Starts the story from the beginning; the autosave is replaced at the first save.
    NewGame,
    /// Resumes the latest autosave.
    Continue,
    /// Takes a choice by its index in the node ([`crate::narrative::Offered::index`]),
    /// with the reader's text for a choice that asks for it.
    Choose {
        /// The choice's index in its node ([`crate::narrative::Offered::index`]).
        index: crate::narrative::ChoiceIndex,
        /// Text typed at the choice's prompt (`None` takes the default).
        input: Option<String>,
    },
    /// Undoes this many choices (as many as possible when fewer remain).
    Undo(usize),
    /// Saves the game in progress to a slot, replacing what was there. The front end
    /// asks the player before overwriting.
    Save(SlotId),
    /// Loads a slot and starts playing it.
    Load(SlotId),
    /// Deletes a slot's file.
    Delete(SlotId),
    /// Reloads the story from disk (the error screen's "Try again").
    Reload,
    /// Opens the library's story at this place in [`super::Library::entries`]; a game
    /// in progress is left (its autosave stays).
    Open(usize),
    /// Adds a story to the library and opens it.
    OpenSource(super::StorySource),
    /// Hands a copy of a slot to the player: a download in a browser, a file in the
    /// Downloads folder on the desktop.
    Export(SlotId),
    /// Puts a save file the player brought (uploaded, or dropped on the window) into
    /// the first empty manual slot, once it is checked to be a save of this story.
    Import {
        /// The file's name, for messages.
        name: String,
        /// The file's bytes.
        bytes: Vec<u8>,
    },
}

/// Why the page changed, so the front end can choose how to show it: a new page is
/// revealed with the typewriter, an undone or loaded one appears at once.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum PageReason {
    /// A new game began.
    NewGame,
    /// The player made a choice.
    Chose,
    /// Choices were undone.
    Undo,
    /// A save was loaded.
    Loaded,
    /// The story's files were edited while it was being read (live editing): the
    /// same place in the new version. A front end keeps its screen.
    Edited,
}

/// What happened, for the front end to show.
///
/// Sent by the plugin (the session system, the story loader). Read by the front end:
/// the screens reset the typewriter on `PageChanged`, show toasts for the rest.
/// Nothing has to handle them; a headless game may ignore them all.
#[derive(Message, Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum StoryNotice {
    /// A story began loading (at startup, on [`StoryCommand::Reload`], or when another
    /// is opened).
    StoryLoading,
    /// The story loaded and can be played.
    StoryReady,
    /// The story failed to load; [`super::LoadErrors`] holds every diagnostic.
    StoryFailed,
    /// The runner's page changed.
    PageChanged(PageReason),
    /// The story reached an ending; `first` is true the first time ever (the gallery
    /// gained it).
    EndingReached {
        /// The ending's id.
        id: String,
        /// Whether the gallery had not recorded it before.
        first: bool,
    },
    /// A slot was written.
    Saved(SlotId),
    /// A slot was loaded; `migration` lists what changed to fit an edited story
    /// ([`crate::narrative::Migration::lines`]), empty when nothing did.
    Loaded {
        /// The slot.
        slot: SlotId,
        /// What the migration changed, one sentence each.
        migration: Vec<String>,
    },
    /// A slot was deleted.
    Deleted(SlotId),
    /// A copy of a slot was handed over; `to` says where, for the player.
    Exported {
        /// The slot.
        slot: SlotId,
        /// Where the copy went ("your downloads", a path).
        to: String,
    },
    /// A save file was checked and put in this slot.
    Imported(SlotId),
    /// Something could not be done; its `Display` says why, in a sentence for the
    /// player.
    Problem(EngineError),
    /// The story's files changed while a game was in progress (live editing) and the
    /// game goes on in the new version at the same place; the lines say what the
    /// migration changed.
    Reloaded(Vec<String>),
    /// The story's files changed but the new version has errors; the last good version
    /// keeps running and [`super::Session::reload_errors`] lists the problems until
    /// they are fixed.
    ReloadFailed,
}

/// Why the engine could not do what was asked, or something it noticed on its own.
/// Each reads as a sentence for the player (`Display`), and a game can match on it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EngineError {
    /// No story has loaded yet.
    #[error("the story has not loaded")]
    NotLoaded,
    /// The command needs a game in progress.
    #[error("no game is in progress")]
    NoGame,
    /// The runner refused the choice.
    #[error("that choice cannot be made: {0}")]
    Choice(ChooseError),
    /// Undo at the first page.
    #[error("there is nothing to undo")]
    NothingToUndo,
    /// The slot holds no save.
    #[error("{} is empty", .0.label())]
    EmptySlot(SlotId),
    /// The slot could not be loaded.
    #[error("{} cannot be loaded: {why}", slot.label())]
    Load {
        /// The slot.
        slot: SlotId,
        /// Why.
        why: SlotError,
    },
    /// The slot could not be written.
    #[error("{} could not be written: {why}", slot.label())]
    Save {
        /// The slot.
        slot: SlotId,
        /// Why.
        why: StoreError,
    },
    /// The slot could not be deleted.
    #[error("{} could not be deleted: {why}", slot.label())]
    Delete {
        /// The slot.
        slot: SlotId,
        /// Why.
        why: StoreError,
    },
    /// The slot could not be exported.
    #[error("{} cannot be exported: {why}", slot.label())]
    Export {
        /// The slot.
        slot: SlotId,
        /// Why.
        why: SlotError,
    },
    /// A file brought in could not be imported.
    #[error("{name} cannot be imported: {why}")]
    Import {
        /// The file's name.
        name: String,
        /// Why.
        why: SlotError,
    },
    /// Every manual slot holds a save.
    #[error("every slot holds a save: delete one, then import {name} again")]
    NoFreeSlot {
        /// The file's name.
        name: String,
    },
    /// The autosave after a command could not be written.
    #[error("the autosave could not be written: {0}")]
    Autosave(StoreError),
    /// A newly reached ending could not be recorded.
    #[error("the endings gallery could not be saved: {0}")]
    Gallery(StoreError),
    /// The endings gallery could not be read and was set aside (the sentence says
    /// where).
    #[error("{0}")]
    GalleryUnreadable(String),
    /// A live edit cannot carry the game in progress over; the old version goes on.
    #[error("the edited story cannot continue this game: {0}")]
    EditedStory(String),
    /// A story was asked for by a place the library does not have.
    #[error("there is no story number {0} in this game")]
    UnknownStory(usize),
}

pub(super) fn plugin(app: &mut App) {
    app.add_message::<StoryCommand>().add_message::<StoryNotice>();
}
