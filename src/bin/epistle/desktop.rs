//! The desktop game: reads the arguments, opens a window, and reloads the story when
//! its files change.

use bevy::asset::AssetPlugin;
use bevy::log::LogPlugin;
use bevy::prelude::*;
use bevy::window::{Window, WindowPlugin, WindowResolution};
use bevy::winit::{EventLoopProxy, EventLoopProxyWrapper, WinitUserEvent};
use clap::Parser;
use epistle::plugin::{EpistlePlugin, StorySource};
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

/// The stories the game ships (`stories/` beside the executable, or in the source
/// tree), *Dear Someone* first.
fn bundled_stories() -> Vec<PathBuf> {
    let rel = Path::new("stories");
    let candidates = [
        Some(Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)),
        std::env::current_exe().ok().and_then(|e| e.parent().map(|d| d.join(rel))),
        Some(rel.to_path_buf()),
    ];
    let root = candidates.into_iter().flatten().find(|p| p.join("dear-someone").join("story.ron").is_file());
    let Some(root) = root else { return vec![rel.join("dear-someone")] };
    let mut found: Vec<PathBuf> = std::fs::read_dir(&root)
        .map(|rd| rd.filter_map(Result::ok).map(|e| e.path()).filter(|p| p.join("story.ron").is_file()).collect())
        .unwrap_or_default();
    found.sort_by_key(|p| (p.file_name() != Some("dear-someone".as_ref()), p.clone()));
    if found.is_empty() {
        found.push(root.join("dear-someone"));
    }
    found
}

/// Wakes the sleeping game when a file under `root` changes (subfolders included),
/// for a couple of seconds, so Bevy's file watcher can reload the story and the game
/// redraws. The watcher is the operating system's (inotify, FSEvents, ...): nothing
/// is polled.
fn wake_on_edits(root: PathBuf, proxy: EventLoopProxy<WinitUserEvent>) {
    use notify::Watcher;
    let (tx, rx) = std::sync::mpsc::channel::<notify::Result<notify::Event>>();
    let mut watcher = match notify::recommended_watcher(tx) {
        Ok(w) => w,
        Err(e) => {
            warn!("live editing: cannot watch the story's files: {e}");
            return;
        }
    };
    if let Err(e) = watcher.watch(&root, notify::RecursiveMode::Recursive) {
        warn!("live editing: cannot watch {}: {e}", root.display());
        return;
    }
    std::thread::spawn(move || {
        // The watcher lives as long as this thread.
        let _watcher = watcher;
        while let Ok(event) = rx.recv() {
            let Ok(event) = event else { continue };
            if event.kind.is_access() {
                continue;
            }
            // Wake now and for two seconds after the last change: Bevy debounces its
            // own events, and the reload finishes on a later frame.
            let mut until = std::time::Instant::now() + std::time::Duration::from_secs(2);
            while std::time::Instant::now() < until {
                if proxy.send_event(WinitUserEvent::WakeUp).is_err() {
                    return; // The window is gone.
                }
                if let Ok(Ok(e)) = rx.recv_timeout(std::time::Duration::from_millis(100))
                    && !e.kind.is_access()
                {
                    until = std::time::Instant::now() + std::time::Duration::from_secs(2);
                }
            }
        }
    });
}

pub fn main() -> ExitCode {
    let args = Args::parse();
    // The story named on the command line, or every story the game ships (the library
    // screen lists them). They share a parent folder, the asset root.
    let stories = match args.story.clone() {
        Some(dir) => vec![dir],
        None => bundled_stories(),
    };
    // A missing folder is not an error here: the game shows it on its error screen.
    let absolute = |dir: &Path| std::fs::canonicalize(dir).unwrap_or_else(|_| std::env::current_dir().unwrap_or_default().join(dir));
    let first = absolute(&stories[0]);
    let root = first.parent().map(Path::to_path_buf).unwrap_or_default();
    let folder = |dir: &Path| absolute(dir).file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();

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
    let mut plugin = EpistlePlugin::new(format!("{}/story.ron", folder(&stories[0]))).with_display_dir(stories[0].display().to_string());
    for dir in &stories[1..] {
        plugin = plugin.with_story(StorySource::asset(format!("{}/story.ron", folder(dir))).shown_as(dir.display().to_string()));
    }
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
        let watched = if args.story.is_some() { first.clone() } else { root.clone() };
        app.add_systems(Startup, move |proxy: Option<Res<EventLoopProxyWrapper>>| {
            if let Some(proxy) = proxy {
                wake_on_edits(watched.clone(), (**proxy).clone());
            }
        });
    }
    match app.run() {
        AppExit::Success => ExitCode::SUCCESS,
        AppExit::Error(code) => ExitCode::from(code.get()),
    }
}
