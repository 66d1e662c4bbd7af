//! The desktop game: reads the arguments, opens a window, and reloads the story when
//! its files change.

use bevy::asset::AssetPlugin;
use bevy::log::LogPlugin;
use bevy::prelude::*;
use bevy::window::{Window, WindowPlugin, WindowResolution};
use bevy::winit::{EventLoopProxy, EventLoopProxyWrapper, WinitUserEvent};
use clap::Parser;
use epistle::plugin::EpistlePlugin;
use epistle::ui::EpistleUiPlugin;
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
    /// For writers: begin at this node instead of the title screen.
    #[arg(long, value_name = "NODE")]
    start: Option<String>,
    /// For writers: set a variable first (repeatable): `--set courage=3`.
    #[arg(long = "set", value_name = "NAME=VALUE")]
    sets: Vec<String>,
    /// Do not reload the story when its files change (live editing is on by default).
    #[arg(long)]
    no_watch: bool,
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

/// Live editing: the window sleeps while nothing happens, so a saved chapter would
/// wait for the next key press. A small thread notices the story's files changing
/// (a few `stat` calls four times a second: the folder, and every file the manifest
/// lists, subfolders included) and keeps the app awake for the two seconds the asset
/// server needs to reload them.
fn wake_on_edits(dir: PathBuf, proxy: EventLoopProxy<WinitUserEvent>) {
    fn stamp(dir: &Path) -> Vec<(PathBuf, Option<std::time::SystemTime>)> {
        let modified = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
        let mut files: Vec<_> = std::fs::read_dir(dir)
            .map(|rd| rd.filter_map(Result::ok).map(|e| (e.path(), modified(&e.path()))).collect())
            .unwrap_or_default();
        // Chapters the manifest lists in subfolders (`parts/03.ron`) are watched too.
        let manifest = epistle::narrative::fsio::read_text_capped(&dir.join("story.ron"), epistle::narrative::ron_tree::MAX_FILE_BYTES);
        for name in manifest.map(|m| epistle::narrative::manifest::listed_files(&m)).unwrap_or_default() {
            let p = dir.join(name);
            files.push((p.clone(), modified(&p)));
        }
        files.sort();
        files.dedup();
        files
    }
    std::thread::spawn(move || {
        let mut last = stamp(&dir);
        loop {
            std::thread::sleep(std::time::Duration::from_millis(250));
            let now = stamp(&dir);
            if now != last {
                last = now;
                for _ in 0..20 {
                    if proxy.send_event(WinitUserEvent::WakeUp).is_err() {
                        return; // The window is gone.
                    }
                    std::thread::sleep(std::time::Duration::from_millis(100));
                }
            }
        }
    });
}

pub fn main() -> ExitCode {
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
            // Live editing: saving a chapter reloads the story in the running game.
            .set(AssetPlugin {
                file_path: root.to_string_lossy().into_owned(),
                watch_for_changes_override: Some(!args.no_watch),
                ..default()
            })
            .set(LogPlugin { filter: "warn,epistle=info,wgpu=error,naga=warn".into(), ..default() }),
    );
    let mut plugin = EpistlePlugin::new(format!("{folder}/story.ron")).with_display_dir(story_dir.display().to_string());
    if let Some(dir) = args.data_dir {
        plugin = plugin.with_data_dir(dir);
    }
    if let Some(node) = args.start.clone() {
        plugin = plugin.with_start(node, args.sets.clone());
    } else if !args.sets.is_empty() {
        // `--set` alone: begin at the story's start with those values.
        plugin = plugin.with_start(String::new(), args.sets.clone());
    }
    if let Some(seed) = args.seed {
        plugin = plugin.with_seed(seed);
    }
    app.add_plugins((plugin, EpistleUiPlugin));
    if !args.no_watch {
        let dir = absolute.clone();
        app.add_systems(Startup, move |proxy: Option<Res<EventLoopProxyWrapper>>| {
            if let Some(proxy) = proxy {
                wake_on_edits(dir.clone(), (**proxy).clone());
            }
        });
    }
    match app.run() {
        AppExit::Success => ExitCode::SUCCESS,
        AppExit::Error(code) => ExitCode::from(code.get()),
    }
}
