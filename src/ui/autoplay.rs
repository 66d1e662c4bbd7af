//! A scripted run for end-to-end tests and screenshots: take a fixed path of choices,
//! capture the title and play screens, report where the story got to, and exit.
//!
//! It drives the game only through what a player could do: [`StoryCommand`]s and the
//! typewriter's "press".

use super::Screen;
use super::reveal::{Reveal, passage_lengths};
use crate::plugin::{Session, StoryCommand};
use bevy::prelude::*;
use bevy::render::view::screenshot::{Screenshot, save_to_disk};
use bevy::winit::{UpdateMode, WinitSettings};
use std::path::PathBuf;

/// The script. Insert it before adding the plugin to run the game unattended.
#[derive(Resource, Clone, Debug, Default)]
pub struct Autoplay {
    /// Choices to take, by their number on screen (1 is the first choice shown).
    pub choices: Vec<usize>,
    /// Where to write `title.png`, `play-N.png` and `status.json`.
    pub screenshot_dir: Option<PathBuf>,
    /// Exit when the path is done (0 on success, 1 when a choice could not be made,
    /// 2 when the story failed to load).
    pub exit_after: bool,
    /// Let another program capture the screen: print `EPISTLE_SHOT <path>` and wait
    /// (up to 20 s) until that file exists, instead of using Bevy's screenshot API.
    /// Under Xvfb with a software renderer, Bevy's captures can miss the egui pass;
    /// the X server's own image (`import -window root`) is what a player sees.
    pub external_screenshots: bool,
}

/// Where the script is.
#[derive(Resource, Debug, Default)]
struct Progress {
    step: usize,
    frames: u32,
    /// A screenshot being written, and the frames waited for it.
    pending: Option<(PathBuf, u32)>,
    done: bool,
    /// The screen the step is on.
    screen: Option<Screen>,
    /// When this step began (real seconds).
    since: f64,
    /// The run is over with this exit code, once the last screenshot lands.
    finishing: Option<u8>,
    taken: Vec<String>,
}

/// Frames to let a screen settle (layout, fonts, the palette fade) before capturing.
const SETTLE: u32 = 30;

/// The status line: where the story got to.
#[derive(serde::Serialize)]
struct Status<'a> {
    #[serde(flatten)]
    place: crate::plugin::session::Place<'a>,
    choices_taken: &'a [String],
    screenshots: Vec<String>,
}

#[allow(clippy::too_many_arguments)]
fn drive(
    script: Res<Autoplay>,
    mut progress: ResMut<Progress>,
    screen: Res<State<Screen>>,
    session: Res<Session>,
    mut reveal: ResMut<Reveal>,
    mut commands: Commands,
    mut story: MessageWriter<StoryCommand>,
    mut exit: MessageWriter<AppExit>,
    time: Res<Time<Real>>,
) {
    if progress.done {
        return;
    }
    // Wait for a screenshot to reach the disk before going on.
    if let Some((path, waited)) = progress.pending.take() {
        // Frames are slow under a software renderer; 2400 is a generous 20 s or more.
        if !path.exists() && waited < 2400 {
            progress.pending = Some((path, waited + 1));
            return;
        }
        if !path.exists() {
            error!("the screenshot {} was never written", path.display());
        }
    }
    if let Some(code) = progress.finishing {
        finish(&script, &mut progress, &session, &mut exit, code);
        return;
    }
    // Each new screen settles afresh.
    if progress.screen != Some(*screen.get()) {
        progress.screen = Some(*screen.get());
        progress.frames = 0;
    }
    // Settle for some frames and some real time: the first frames after start-up
    // can come before the window is even shown.
    let now = time.elapsed_secs_f64();
    if progress.frames == 0 {
        progress.since = now;
    }
    progress.frames += 1;
    // The very first capture waits longer: the renderer compiles its pipelines in the
    // background, and under a software renderer the first frames are only the clear
    // colour.
    let wait = if progress.step == 0 { 6.0 } else { 1.5 };
    if progress.frames < SETTLE || now - progress.since < wait {
        progress.frames = progress.frames.min(SETTLE - 1);
        return;
    }
    let shot = |name: &str, commands: &mut Commands| -> Option<(PathBuf, u32)> {
        let dir = script.screenshot_dir.as_ref()?;
        let path = dir.join(name);
        let _ = std::fs::create_dir_all(dir);
        let _ = std::fs::remove_file(&path);
        if script.external_screenshots {
            println!("EPISTLE_SHOT {}", path.display());
        } else {
            commands.spawn(Screenshot::primary_window()).observe(save_to_disk(path.clone()));
        }
        Some((path, 0))
    };
    match screen.get() {
        Screen::Loading => {}
        Screen::Error => {
            progress.pending = shot("error.png", &mut commands);
            progress.finishing = Some(2);
        }
        Screen::Title if progress.step == 0 => {
            progress.pending = shot("title.png", &mut commands);
            progress.step = 1;
            progress.frames = 0;
            story.write(StoryCommand::NewGame);
        }
        Screen::Playing => {
            let Some(runner) = session.runner() else { return };
            // Show the whole page, as a player pressing through it would.
            *reveal = Reveal::all(passage_lengths(&session).len());
            let k = progress.step - 1;
            if progress.pending.is_none() && progress.frames == SETTLE {
                progress.pending = shot(&format!("play-{k}.png"), &mut commands);
                return;
            }
            let Some(&n) = script.choices.get(k) else {
                progress.finishing = Some(0);
                return;
            };
            let offered = runner.choices();
            let Some(c) = offered.get(n.wrapping_sub(1)).filter(|c| c.enabled) else {
                error!("autoplay: choice {n} is not available at step {}", k + 1);
                progress.finishing = Some(1);
                return;
            };
            progress.taken.push(c.text.clone());
            story.write(StoryCommand::Choose { index: c.index, input: c.input.as_ref().map(|i| i.1.clone()) });
            progress.step += 1;
            progress.frames = 0;
        }
        _ => {}
    }
}

fn finish(script: &Autoplay, progress: &mut Progress, session: &Session, exit: &mut MessageWriter<AppExit>, code: u8) {
    progress.done = true;
    let screenshots = script
        .screenshot_dir
        .as_ref()
        .and_then(|d| std::fs::read_dir(d).ok())
        .map(|rd| rd.filter_map(|e| e.ok()?.file_name().into_string().ok()).filter(|n| n.ends_with(".png")).collect())
        .unwrap_or_default();
    let status = Status { place: session.place(), choices_taken: &progress.taken, screenshots };
    let json = serde_json::to_string(&status).unwrap_or_default();
    println!("EPISTLE_STATUS {json}");
    if let Some(dir) = &script.screenshot_dir
        && let Err(e) = crate::plugin::persist::write_atomic(&dir.join("status.json"), &json)
    {
        error!("cannot write status.json: {e}");
    }
    if script.exit_after {
        exit.write(if code == 0 { AppExit::Success } else { AppExit::from_code(code) });
    }
}

pub(super) fn plugin(app: &mut App) {
    if !app.world().contains_resource::<Autoplay>() {
        return;
    }
    // Unattended runs render every frame: screenshots need frames to capture.
    app.insert_resource(WinitSettings { focused_mode: UpdateMode::Continuous, unfocused_mode: UpdateMode::Continuous });
    app.init_resource::<Progress>();
    app.add_systems(Update, drive.after(crate::plugin::EpistleSet::Commands).after(super::reveal::tick));
}
