//! The game: opens a window and plays the bundled story, or the story folder named on
//! the command line. Thin: it reads the arguments and hands over to
//! [`epistle::plugin::EpistlePlugin`].
//!
//! Built for `wasm32`, it is the web build instead: it plays the story the page names
//! (`?story=tutorial`, else *Dear Someone*) from the `stories/` folder beside the page,
//! in the page's `#epistle` canvas (see `web/`).

#[cfg(not(target_arch = "wasm32"))]
mod desktop;

#[cfg(not(target_arch = "wasm32"))]
fn main() -> std::process::ExitCode {
    desktop::main()
}

#[cfg(target_arch = "wasm32")]
fn main() {
    use bevy::asset::{AssetMetaCheck, AssetPlugin};
    use bevy::log::LogPlugin;
    use bevy::prelude::*;
    use bevy::window::{Window, WindowPlugin};
    use epistle::plugin::{EpistlePlugin, StorySource};
    use epistle::ui::EpistleUiPlugin;
    const SHIPPED: [&str; 2] = ["dear-someone", "tutorial"];

    let story = epistle::plugin::browser::requested_story().unwrap_or_else(|| "dear-someone".to_string());
    let mut app = App::new();
    app.add_plugins(
        DefaultPlugins
            .set(WindowPlugin {
                primary_window: Some(Window {
                    title: "Epistle".into(),
                    canvas: Some("#epistle".into()),
                    // The canvas follows its parent, which the page sizes to the window.
                    fit_canvas_to_parent: true,
                    ..default()
                }),
                ..default()
            })
            // The story files sit beside the page; there are no `.meta` files to ask for.
            .set(AssetPlugin { file_path: "stories".into(), meta_check: AssetMetaCheck::Never, ..default() })
            .set(LogPlugin { filter: "warn,epistle=info,wgpu=error,naga=warn".into(), ..default() }),
    );
    // The stories the web build ships (web/build.sh bundles every folder of `stories/`);
    // the one the page asks for opens first, the library screen lists the others.
    let mut plugin = EpistlePlugin::new(format!("{story}/story.ron")).with_display_dir(format!("stories/{story}"));
    for other in SHIPPED.iter().filter(|s| **s != story.as_str()) {
        plugin = plugin.with_story(StorySource::asset(format!("{other}/story.ron")).shown_as(format!("stories/{other}")));
    }
    app.add_plugins((plugin, EpistleUiPlugin));
    app.run();
}
