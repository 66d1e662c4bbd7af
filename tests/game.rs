//! Tests of the game front end (feature `game`): the Bevy plugin run headless, and
//! every egui screen driven through its AccessKit tree.

mod example;
mod plugin;
mod screens;

use std::path::PathBuf;

/// The game's fixture stories.
pub fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/game")
}

/// A fresh, empty data directory for one test.
pub fn data_dir(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("epistle-game-{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::create_dir_all(&dir);
    dir
}
