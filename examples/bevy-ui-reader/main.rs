//! An Epistle story in a Bevy game with its own front end in `bevy_ui`: see
//! `reader.rs`, and the README's section for game developers.
//!
//!     cargo run --example bevy-ui-reader [STORY_FOLDER]
//!
//! Without a folder it reads the bundled tutorial.

mod reader;

use bevy::prelude::*;
use epistle::plugin::{DataStore, EpistlePlugin};

fn main() {
    // The story's folder; its parent is the asset root.
    let dir =
        std::env::args().nth(1).map_or_else(|| std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("stories/tutorial"), Into::into);
    let root = dir.parent().map(|p| p.display().to_string()).unwrap_or_default();
    let name = dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    App::new()
        .add_plugins(
            DefaultPlugins
                .set(AssetPlugin { file_path: root, ..default() })
                .set(WindowPlugin { primary_window: Some(Window { title: "Epistle, read in bevy_ui".into(), ..default() }), ..default() }),
        )
        // The engine: the story as an asset, the session, saves. This reader keeps
        // nothing between runs (a game would keep the default store, or its own).
        .add_plugins(
            EpistlePlugin::new(format!("{name}/story.ron"))
                .with_display_dir(dir.display().to_string())
                .with_store(DataStore::memory("not kept")),
        )
        .add_plugins(reader::ReaderPlugin)
        .run();
}
