//! Stories as Bevy assets: a loader that reads the manifest, then every chapter file
//! it lists, and compiles them with [`crate::narrative::compile`]. A story with errors
//! still loads, as a [`StoryAsset`] holding its diagnostics, so the game can show
//! them instead of failing.

use crate::narrative::{LocatedDiagnostic, Severity, SourceFile, Story, compile, manifest};
use bevy::asset::{AssetLoader, LoadContext, io::Reader};
use bevy::prelude::*;
use std::sync::Arc;

/// A loaded story: playable, or the reasons it is not.
#[derive(Asset, TypePath, Debug, Clone)]
pub struct StoryAsset {
    /// The story, when it has no errors.
    pub story: Option<Arc<Story>>,
    /// Every diagnostic, errors first, with files, lines and columns resolved.
    pub diagnostics: Vec<LocatedDiagnostic>,
}

impl StoryAsset {
    /// The errors only (warnings do not stop a story from playing).
    pub fn errors(&self) -> impl Iterator<Item = &LocatedDiagnostic> {
        self.diagnostics.iter().filter(|d| d.severity == Severity::Error)
    }
}

/// Loads a story's manifest (`story.ron`) and the chapter files it lists.
///
/// It claims no file extension (chapters are `.ron` too, and a game may have other RON
/// assets): load stories with a typed `asset_server.load::<StoryAsset>(path)`.
#[derive(TypePath, Debug, Clone, Default)]
pub struct StoryLoader {
    /// For each story folder (the manifest's asset directory, e.g. `dear-someone`),
    /// how it is named in diagnostics (e.g. `stories/dear-someone`); a folder not
    /// listed is named by its asset path.
    pub display_dirs: DisplayDirs,
}

/// Story folders' names in diagnostics, shared by the loader and the plugin (which
/// adds a folder when a story is opened at runtime).
#[derive(Resource, Clone, Debug, Default)]
pub struct DisplayDirs(Arc<std::sync::RwLock<std::collections::HashMap<String, String>>>);

impl DisplayDirs {
    /// Names the folder of the manifest at `manifest_path` as `display_dir`.
    pub fn insert(&self, manifest_path: &str, display_dir: &str) {
        let dir = manifest_path.rsplit_once('/').map_or("", |(d, _)| d);
        self.0.write().unwrap_or_else(std::sync::PoisonError::into_inner).insert(dir.to_string(), display_dir.to_string());
    }

    fn get(&self, asset_dir: &str) -> Option<String> {
        self.0.read().unwrap_or_else(std::sync::PoisonError::into_inner).get(asset_dir).cloned()
    }
}

impl StoryLoader {
    /// The display folder of the story whose manifest is at `manifest_path`.
    fn display_dir(&self, manifest_path: &str) -> String {
        self.display_dirs.get(manifest_path.rsplit_once('/').map_or("", |(d, _)| d)).unwrap_or_default()
    }

    fn shown(&self, display_dir: &str, asset_path: &str) -> String {
        if display_dir.is_empty() {
            return asset_path.to_string();
        }
        let file = asset_path.rsplit('/').next().unwrap_or(asset_path);
        format!("{}/{file}", display_dir.trim_end_matches('/'))
    }

    /// On the desktop, where the story is a folder: the file must be a regular file
    /// inside the story folder (links followed) and within the size limit, checked
    /// before the asset source opens it (a FIFO would block it, a link to a device
    /// would never end). The browser fetches over HTTP and has neither.
    fn precheck(&self, display_dir: &str, name: &str) -> Result<(), String> {
        #[cfg(not(target_arch = "wasm32"))]
        {
            use crate::narrative::fsio;
            let root = std::path::Path::new(display_dir);
            if display_dir.is_empty() || !root.is_dir() {
                return Ok(());
            }
            let path = fsio::inside(root, name).map_err(|e| e.to_string())?;
            let meta = std::fs::metadata(&path).map_err(|e| e.to_string())?;
            if !meta.is_file() {
                return Err(fsio::ReadError::NotAFile.to_string());
            }
            if meta.len() > crate::narrative::ron_tree::MAX_FILE_BYTES as u64 {
                return Err(fsio::ReadError::TooBig { limit: crate::narrative::ron_tree::MAX_FILE_BYTES }.to_string());
            }
        }
        #[cfg(target_arch = "wasm32")]
        let _ = (display_dir, name);
        Ok(())
    }
}

/// Loading a story never fails for the story's own problems (those become
/// diagnostics); this is the one thing that can go wrong before that.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoryLoadError {
    /// The manifest's bytes could not be read from the asset source.
    #[error("cannot read the story's manifest: {0}")]
    Io(#[from] std::io::Error),
}

impl AssetLoader for StoryLoader {
    type Asset = StoryAsset;
    type Settings = ();
    type Error = StoryLoadError;

    async fn load(&self, reader: &mut dyn Reader, _: &(), cx: &mut LoadContext<'_>) -> Result<StoryAsset, StoryLoadError> {
        let manifest_path = cx.path().to_string();
        let display_dir = self.display_dir(&manifest_path);
        self.precheck(&display_dir, crate::narrative::load::MANIFEST)
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))?;
        let mut bytes = Vec::new();
        // Never more than the file limit, whatever the source hands over.
        let cap = crate::narrative::ron_tree::MAX_FILE_BYTES;
        bevy::tasks::futures_lite::AsyncReadExt::read_to_end(
            &mut bevy::tasks::futures_lite::AsyncReadExt::take(reader, cap as u64 + 1),
            &mut bytes,
        )
        .await?;
        if bytes.len() > cap {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("the manifest is larger than the limit of {cap} bytes"),
            )
            .into());
        }
        // A manifest that is not UTF-8 still goes through the compiler, which reports
        // it with a position, rather than failing here without one.
        let manifest_text = String::from_utf8_lossy(&bytes).into_owned();
        let mut chapters = Vec::new();
        for name in manifest::listed_files(&manifest_text) {
            let text = match (self.precheck(&display_dir, &name), cx.path().resolve_embed_str(&name)) {
                (Err(e), _) => Err(e),
                (Ok(()), Ok(path)) => match cx.read_asset_bytes(path).await {
                    Ok(b) if b.len() > crate::narrative::ron_tree::MAX_FILE_BYTES => {
                        Err(format!("the file is larger than the limit of {} bytes", crate::narrative::ron_tree::MAX_FILE_BYTES))
                    }
                    Ok(b) => crate::narrative::load::decode_utf8(b),
                    Err(e) => Err(e.to_string()),
                },
                (Ok(()), Err(e)) => Err(e.to_string()),
            };
            let path = self.shown(&display_dir, &format!("{}/{name}", manifest_path.rsplit_once('/').map_or("", |(d, _)| d)));
            chapters.push(crate::narrative::ChapterFile { name, path, text });
        }
        let loaded = compile(SourceFile::new(self.shown(&display_dir, &manifest_path), manifest_text), chapters);
        let diagnostics = loaded.diagnostics.iter().map(|d| d.locate(&loaded.sources)).collect();
        Ok(StoryAsset { story: loaded.story.map(Arc::new), diagnostics })
    }
}

pub(super) fn plugin(app: &mut App) {
    let display_dirs = DisplayDirs::default();
    if let Some(config) = app.world().get_resource::<super::EpistleConfig>() {
        for source in &config.stories {
            if let super::StorySource::Asset { path, display_dir } = source {
                display_dirs.insert(path, display_dir);
            }
        }
    }
    app.insert_resource(display_dirs.clone());
    app.init_asset::<StoryAsset>().register_asset_loader(StoryLoader { display_dirs });
}
