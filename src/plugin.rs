//! The Bevy plugin: stories as assets, the runner in a resource, the messages the
//! front end talks through, and persistence (settings, saves, the endings gallery).
//!
//! A game adds [`EpistlePlugin`]. Everything story-shaped is decided by
//! [`crate::narrative`]; the systems here only move data between it, the disk and the
//! messages in [`messages`].

pub mod asset;
pub mod autosave;
pub mod backlog;
#[cfg(target_arch = "wasm32")]
pub mod browser;
pub mod library;
pub mod messages;
pub mod persist;
pub mod session;
pub mod store;
pub mod transfer;

use bevy::prelude::*;
use std::path::PathBuf;

pub use asset::{StoryAsset, StoryLoader};
pub use backlog::BacklogEntry;
pub use library::{Library, LibraryEntry, StorySource};
pub use messages::{EngineError, PageReason, StoryCommand, StoryNotice};
pub use persist::{Gallery, SlotError, SlotId, SlotInfo, SlotList, SlotState};
pub use session::{LoadErrors, Place, Session, StoryHandle, StoryStatus};
pub use store::{DataStore, Storage, StoreError};

/// The plugin's system sets, for ordering a front end's systems after them.
#[derive(SystemSet, Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EpistleSet {
    /// Loading the story and carrying out [`StoryCommand`]s (in `Update`). Notices
    /// they send are readable after it.
    Commands,
}

/// Configuration the plugin was built with, as a resource for its systems.
#[derive(Resource, Clone, Debug)]
pub struct EpistleConfig {
    /// The stories of the library; the first is opened at startup.
    pub stories: Vec<StorySource>,
    /// A fixed seed for new games, for tests; `None` seeds from the clock.
    pub seed: Option<u64>,
    /// For writers: begin at this node with these `name=value` settings instead of
    /// showing the title screen.
    pub start: Option<(String, Vec<String>)>,
}

/// The Epistle engine as a Bevy plugin.
///
/// ```no_run
/// # use bevy::prelude::*;
/// # use epistle::plugin::EpistlePlugin;
/// # use epistle::ui::EpistleUiPlugin;
/// App::new()
///     .add_plugins(DefaultPlugins)
///     .add_plugins((EpistlePlugin::new("dear-someone/story.ron"), EpistleUiPlugin))
///     .run();
/// ```
///
/// The engine knows nothing of its front end: alone it adds no screens and needs no
/// window. A game with its own front end (or a test) sends [`StoryCommand`]s and reads
/// [`StoryNotice`]s and the [`Session`] resource.
#[derive(Clone, Debug)]
pub struct EpistlePlugin {
    config: EpistleConfig,
    data_dir: Option<PathBuf>,
    store: Option<DataStore>,
}

impl EpistlePlugin {
    /// Plays the story whose manifest is at this asset path.
    pub fn new(story: impl Into<String>) -> EpistlePlugin {
        EpistlePlugin::from_source(StorySource::asset(story))
    }

    /// Plays this story: a folder read as an asset, or one held in memory
    /// ([`StorySource::memory`]).
    pub fn from_source(story: StorySource) -> EpistlePlugin {
        EpistlePlugin { config: EpistleConfig { stories: vec![story], seed: None, start: None }, data_dir: None, store: None }
    }

    /// Adds another story to the [`Library`]; the front end opens it with
    /// [`StoryCommand::Open`].
    #[must_use]
    pub fn with_story(mut self, story: StorySource) -> EpistlePlugin {
        self.config.stories.push(story);
        self
    }

    /// Names the folder of the story added last in diagnostics (the asset path is
    /// relative to the asset root, which players do not know).
    #[must_use]
    pub fn with_display_dir(mut self, dir: impl Into<String>) -> EpistlePlugin {
        if let Some(last) = self.config.stories.pop() {
            self.config.stories.push(last.shown_as(dir));
        }
        self
    }

    /// Keeps saves, settings and the gallery in `dir` instead of the platform's data
    /// directory (or `EPISTLE_DATA_DIR`). Ignored in a browser, which uses its own
    /// storage.
    #[must_use]
    pub fn with_data_dir(mut self, dir: impl Into<PathBuf>) -> EpistlePlugin {
        self.data_dir = Some(dir.into());
        self
    }

    /// Keeps saves and the gallery in a store of the game's own ([`DataStore::custom`]
    /// with a [`Storage`] you implement), or in memory ([`DataStore::memory`]), or
    /// nowhere ([`DataStore::off`]: no autosave, nothing read or written).
    #[must_use]
    pub fn with_store(mut self, store: DataStore) -> EpistlePlugin {
        self.store = Some(store);
        self
    }

    /// Starts every new game with this seed (tests, reproducible bug reports).
    #[must_use]
    pub fn with_seed(mut self, seed: u64) -> EpistlePlugin {
        self.config.seed = Some(seed);
        self
    }

    /// For writers: skip the title and begin at `node`, with variables set from
    /// `name=value` strings (`courage=3`, `has_key=true`, `name=Wren`).
    #[must_use]
    pub fn with_start(mut self, node: impl Into<String>, sets: Vec<String>) -> EpistlePlugin {
        self.config.start = Some((node.into(), sets));
        self
    }
}

impl Plugin for EpistlePlugin {
    fn build(&self, app: &mut App) {
        let data = self.store.clone().unwrap_or_else(|| DataStore::resolve(self.data_dir.clone()));
        app.insert_resource(self.config.clone());
        app.insert_resource(data);
        app.add_plugins((messages::plugin, asset::plugin, persist::plugin, session::plugin, autosave::plugin));
    }
}
