//! Saves the player brings: a file dropped on the desktop window, or one chosen with
//! the browser's file picker, becomes a [`StoryCommand::Import`] (which the engine
//! checks before anything is written). Drag and drop belongs to the front end: a game
//! with its own screens decides for itself what a dropped file means.

use crate::plugin::StoryCommand;
use crate::plugin::transfer::MAX_IMPORT_BYTES;
use bevy::prelude::*;

/// Turns picked and dropped files into import commands.
fn receive(
    mut dropped: MessageReader<bevy::window::FileDragAndDrop>,
    mut commands: MessageWriter<StoryCommand>,
    mut ui: ResMut<super::UiState>,
) {
    for event in dropped.read() {
        if let bevy::window::FileDragAndDrop::DroppedFile { path_buf, .. } = event {
            let name = path_buf.file_name().map_or_else(|| path_buf.display().to_string(), |n| n.to_string_lossy().into_owned());
            match read_limited(path_buf) {
                Ok(bytes) => {
                    commands.write(StoryCommand::Import { name, bytes });
                }
                Err(e) => {
                    ui.toast(format!("{name} cannot be imported: {e}"));
                }
            }
        }
    }
    #[cfg(target_arch = "wasm32")]
    for (name, bytes) in crate::plugin::browser::take_picked() {
        commands.write(StoryCommand::Import { name, bytes });
    }
}

/// Reads a dropped file: a regular file only (a dropped FIFO would block), refusing
/// one too large to be a save.
fn read_limited(path: &std::path::Path) -> std::io::Result<Vec<u8>> {
    crate::narrative::fsio::read_capped(path, MAX_IMPORT_BYTES as usize).map_err(|e| match e {
        crate::narrative::fsio::ReadError::TooBig { .. } => std::io::Error::other("too large to be a save"),
        other => std::io::Error::other(other.to_string()),
    })
}

pub(super) fn plugin(app: &mut App) {
    // Registered by the window plugin; a headless app has none, and no drops.
    app.add_message::<bevy::window::FileDragAndDrop>();
    app.add_systems(PreUpdate, receive);
    #[cfg(target_arch = "wasm32")]
    app.add_systems(Startup, |proxy: Option<Res<bevy::winit::EventLoopProxyWrapper>>| {
        if let Some(p) = proxy {
            crate::plugin::browser::set_waker((**p).clone());
        }
    });
}
