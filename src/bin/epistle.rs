//! The game: opens a window and plays the bundled story, or the story folder named on
//! the command line. Thin: it reads the arguments and hands over to
//! [`epistle::plugin::EpistlePlugin`].

use bevy::asset::AssetPlugin;
use bevy::log::LogPlugin;
use bevy::prelude::*;
use bevy::window::{Window, WindowPlugin, WindowResolution};
use clap::Parser;
use epistle::plugin::EpistlePlugin;
use epistle::ui::autoplay::Autoplay;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Epistle: plays a branching story.
#[derive(Parser, Debug)]
#[command(version, about)]
struct Args {
    /// The story folder (holding `story.ron`); the bundled story when left out.
    story: Option<PathBuf>,
    /// Keep saves, settings and the endings gallery here (also `EPISTLE_DATA_DIR`).
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// Take these choices unattended, by their number on screen: `1,2,1`.
    #[arg(long, value_delimiter = ',')]
    autoplay: Option<Vec<usize>>,
    /// Write screenshots of the title and each page of the path here, and `status.json`.
    #[arg(long)]
    screenshot_dir: Option<PathBuf>,
    /// Exit when the autoplay path is done (0 when it advanced as scripted).
    #[arg(long)]
    exit_after: bool,
    /// Print `EPISTLE_SHOT <path>` and wait for another program to write the
    /// screenshot (the end-to-end script captures the X server's screen).
    #[arg(long)]
    external_screenshots: bool,
    /// Seed new games with this number (reproducible runs).
    #[arg(long)]
    seed: Option<u64>,
}

/// The bundled story: beside the sources when run with cargo, beside the executable
/// when installed.
fn bundled_story() -> PathBuf {
    let rel = Path::new("stories").join("dear-someone");
    let candidates = [
        Some(Path::new(env!("CARGO_MANIFEST_DIR")).join(&rel)),
        std::env::current_exe().ok().and_then(|e| e.parent().map(|d| d.join(&rel))),
        Some(rel.clone()),
    ];
    candidates.into_iter().flatten().find(|p| p.join("story.ron").is_file()).unwrap_or(rel)
}

fn main() -> ExitCode {
    let args = Args::parse();
    let story_dir = args.story.clone().unwrap_or_else(bundled_story);
    // A missing folder is not an error here: the game shows it on its error screen.
    let absolute = std::fs::canonicalize(&story_dir).unwrap_or_else(|_| std::env::current_dir().unwrap_or_default().join(&story_dir));
    let root = absolute.parent().map(Path::to_path_buf).unwrap_or_default();
    let folder = absolute.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();

    let mut app = App::new();
    if let Some(choices) = args.autoplay.clone() {
        app.insert_resource(Autoplay {
            choices,
            screenshot_dir: args.screenshot_dir.clone(),
            exit_after: args.exit_after,
            external_screenshots: args.external_screenshots,
        });
    } else if args.screenshot_dir.is_some() || args.exit_after {
        app.insert_resource(Autoplay {
            choices: Vec::new(),
            screenshot_dir: args.screenshot_dir.clone(),
            exit_after: args.exit_after,
            external_screenshots: args.external_screenshots,
        });
    }
    app.add_plugins(
        DefaultPlugins
            .set(WindowPlugin {
                primary_window: Some(Window { title: "Epistle".into(), resolution: WindowResolution::new(1280, 800), ..default() }),
                ..default()
            })
            .set(AssetPlugin { file_path: root.to_string_lossy().into_owned(), ..default() })
            .set(LogPlugin { filter: "warn,epistle=info,wgpu=error,naga=warn".into(), ..default() }),
    );
    let mut plugin = EpistlePlugin::new(format!("{folder}/story.ron")).with_display_dir(story_dir.display().to_string());
    if let Some(dir) = args.data_dir {
        plugin = plugin.with_data_dir(dir);
    }
    if let Some(seed) = args.seed {
        plugin = plugin.with_seed(seed);
    }
    app.add_plugins(plugin);
    match app.run() {
        AppExit::Success => ExitCode::SUCCESS,
        AppExit::Error(code) => ExitCode::from(code.get()),
    }
}
