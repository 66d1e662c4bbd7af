//! The stories an App can play: folders read as assets, or files held in memory.
//! One is open at a time (the [`super::Session`] plays it); [`StoryCommand::Open`]
//! and [`StoryCommand::OpenSource`] switch at runtime. Every story in the library is
//! loaded at startup, so its title is known and opening it is immediate.
//!
//! [`StoryCommand::Open`]: super::StoryCommand::Open
//! [`StoryCommand::OpenSource`]: super::StoryCommand::OpenSource

use super::asset::StoryAsset;
use crate::narrative::{ChapterFile, SourceFile, compile};
use bevy::prelude::*;
use std::sync::Arc;

/// Where a story comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum StorySource {
    /// A story folder read through Bevy's asset server (and watched for edits when
    /// the asset plugin watches).
    Asset {
        /// The manifest's asset path, e.g. `dear-someone/story.ron`.
        path: String,
        /// How the folder is named in diagnostics, e.g. `stories/dear-someone`.
        display_dir: String,
    },
    /// A story held in memory: generated, downloaded, or bundled with
    /// `include_str!`.
    Memory {
        /// How its files are named in diagnostics (`<name>/story.ron`).
        name: String,
        /// The manifest's text.
        manifest: String,
        /// Each chapter file the manifest lists: its name there, and its text.
        chapters: Vec<(String, String)>,
    },
}

impl StorySource {
    /// The story whose manifest is at this asset path; diagnostics name the folder as
    /// the path does.
    pub fn asset(path: impl Into<String>) -> StorySource {
        let path = path.into();
        let display_dir = path.rsplit_once('/').map_or(String::new(), |(d, _)| d.to_string());
        StorySource::Asset { path, display_dir }
    }

    /// A story from memory: its manifest and the chapter files it lists.
    pub fn memory(
        name: impl Into<String>,
        manifest: impl Into<String>,
        chapters: impl IntoIterator<Item = (String, String)>,
    ) -> StorySource {
        StorySource::Memory { name: name.into(), manifest: manifest.into(), chapters: chapters.into_iter().collect() }
    }

    /// The same story, with its folder named `dir` in diagnostics.
    #[must_use]
    pub fn shown_as(mut self, dir: impl Into<String>) -> StorySource {
        match &mut self {
            StorySource::Asset { display_dir, .. } => *display_dir = dir.into(),
            StorySource::Memory { name, .. } => *name = dir.into(),
        }
        self
    }

    /// How the story's folder is named in diagnostics.
    pub fn display_dir(&self) -> &str {
        match self {
            StorySource::Asset { display_dir, .. } => display_dir,
            StorySource::Memory { name, .. } => name,
        }
    }

    /// Compiles a story held in memory (`None` for an asset).
    pub(super) fn compile_in_memory(&self) -> Option<StoryAsset> {
        let StorySource::Memory { name, manifest, chapters } = self else { return None };
        let chapters = chapters
            .iter()
            .map(|(file, text)| ChapterFile { name: file.clone(), path: format!("{name}/{file}"), text: Ok(text.clone()) })
            .collect();
        let loaded = compile(SourceFile::new(format!("{name}/{}", crate::narrative::load::MANIFEST), manifest.clone()), chapters);
        let diagnostics = loaded.diagnostics.iter().map(|d| d.locate(&loaded.sources)).collect();
        Some(StoryAsset { story: loaded.story.map(Arc::new), diagnostics })
    }
}

/// One story of the library.
#[derive(Clone, Debug)]
pub struct LibraryEntry {
    /// Where it comes from.
    pub source: StorySource,
    /// Its asset (loading, loaded, or holding its diagnostics).
    pub handle: Handle<StoryAsset>,
}

/// The stories this App can play, and which one is open.
#[derive(Resource, Clone, Debug, Default)]
pub struct Library {
    entries: Vec<LibraryEntry>,
    current: usize,
}

impl Library {
    /// Every story, in the order they were added.
    pub fn entries(&self) -> &[LibraryEntry] {
        &self.entries
    }

    /// The open story's place in [`Library::entries`].
    pub fn current(&self) -> usize {
        self.current
    }

    /// The open story.
    pub fn current_entry(&self) -> Option<&LibraryEntry> {
        self.entries.get(self.current)
    }

    pub(super) fn push(&mut self, entry: LibraryEntry) -> usize {
        self.entries.push(entry);
        self.entries.len() - 1
    }

    pub(super) fn open(&mut self, index: usize) -> bool {
        if index < self.entries.len() {
            self.current = index;
            true
        } else {
            false
        }
    }
}
