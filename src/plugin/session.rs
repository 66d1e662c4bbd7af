//! The session: the loaded story and the runner playing it, as a resource, and the
//! systems that load the story and carry out [`StoryCommand`]s.

use super::backlog::{BacklogEntry, transcript};
use super::library::{Library, LibraryEntry, StorySource};
use super::messages::{EngineError, PageReason, StoryCommand, StoryNotice};
use super::persist::{self, DataStore, Gallery, SlotError, SlotId, SlotList, read_slot, slot_text};
use super::{EpistleConfig, StoryAsset};
use crate::narrative::{LocatedDiagnostic, Runner, Save, SaveError, Story};
use bevy::asset::AssetLoadFailedEvent;
use bevy::prelude::*;
use std::sync::Arc;

/// The handle of the story being played.
#[derive(Resource, Clone, Debug)]
pub struct StoryHandle(pub Handle<StoryAsset>);

/// Why the story could not be loaded: every diagnostic, for the error screen.
#[derive(Resource, Clone, Debug, Default)]
pub struct LoadErrors {
    /// Where the story was looked for.
    pub story: String,
    /// Every problem, errors first.
    pub diagnostics: Vec<LocatedDiagnostic>,
}

/// The story and the playthrough in progress.
#[derive(Resource, Default, Debug)]
pub struct Session {
    story: Option<Arc<Story>>,
    runner: Option<Runner>,
    backlog: Vec<BacklogEntry>,
    reload_errors: Vec<LocatedDiagnostic>,
    /// A writer is at work: the story was edited while playing, or the game began at
    /// a chosen node. Failed expectations are shown then, never to a player.
    writing: bool,
    status: StoryStatus,
    /// A story was opened from the library and has not been taken up yet.
    opening: bool,
    /// The writer's `start` was used (it applies once, to the first story).
    started_at: bool,
}

/// Whether the story is loading, ready or broken: see [`Session::status`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum StoryStatus {
    /// Not loaded yet (or reloading).
    #[default]
    Loading,
    /// Loaded: a game can start (or is in progress: [`Session::runner`]).
    Ready,
    /// It could not be loaded; [`LoadErrors`] says why.
    Failed,
}

/// Where a playthrough is, by ids: see [`Session::place`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Place<'a> {
    /// The node's id.
    pub node: &'a str,
    /// The chapter's title.
    pub chapter: &'a str,
    /// Choices made.
    pub turn: u32,
    /// The ending's id, at an ending.
    pub ended: Option<&'a str>,
}

impl Session {
    /// The loaded story.
    pub fn story(&self) -> Option<&Arc<Story>> {
        self.story.as_ref()
    }

    /// Whether the story is loading, ready or broken.
    pub fn status(&self) -> StoryStatus {
        self.status
    }

    /// The playthrough in progress.
    pub fn runner(&self) -> Option<&Runner> {
        self.runner.as_ref()
    }

    /// Where the playthrough is (empty fields before a game starts): what the
    /// end-to-end runs and the web page report.
    pub fn place(&self) -> Place<'_> {
        let Some(r) = self.runner() else { return Place::default() };
        let story = r.story();
        Place {
            node: story.node(r.state().node).id.as_str(),
            chapter: story.chapter_title(r.state().node),
            turn: r.state().turn,
            ended: r.ended().and_then(|e| story.ending(e)).map(|e| e.id.as_str()),
        }
    }

    /// Everything read in this playthrough, with the choices made.
    pub fn backlog(&self) -> &[BacklogEntry] {
        &self.backlog
    }

    /// Problems in an edited version of the story that could not be loaded while a
    /// game was in progress; empty once a good version loads.
    pub fn reload_errors(&self) -> &[LocatedDiagnostic] {
        &self.reload_errors
    }

    /// Whether a writer is at work (a live edit happened, or the game began at a
    /// chosen node): then failed expectations are shown.
    pub fn writing(&self) -> bool {
        self.writing
    }

    /// Carries the playthrough in progress over to an edited version of the story:
    /// same place, state migrated, new text. Returns what changed, or why it could not
    /// (then the old version keeps running).
    fn live_reload(&mut self, story: Arc<Story>) -> Result<Vec<String>, String> {
        let Some(runner) = self.runner.as_ref() else { return Err("no game is in progress".into()) };
        let here = runner.story().node(runner.state().node).id.clone();
        let moved = match runner.migrate_to(Arc::clone(&story)) {
            Err(SaveError::NodeGone { .. }) => {
                Save::capture(runner).replay(Arc::clone(&story)).map_err(|e| format!("`{here}` was removed, and {e}"))?
            }
            other => other.map_err(|e| e.to_string())?,
        };
        let (runner, migration) = moved;
        let mut lines = vec![format!("The story was edited; you are still at `{here}`.")];
        lines.extend(migration.lines().into_iter().skip(1));
        self.story = Some(story);
        self.reload_errors.clear();
        self.writing = true;
        self.set_runner(runner);
        Ok(lines)
    }

    /// Leaves the open story for another: the playthrough ends (its autosave stays)
    /// and the next story is taken up when its asset is ready.
    fn close(&mut self) {
        self.story = None;
        self.runner = None;
        self.backlog.clear();
        self.reload_errors.clear();
        self.writing = false;
        self.status = StoryStatus::Loading;
        self.opening = true;
    }

    /// Replaces the story (a new load); any playthrough of the old one ends.
    pub fn set_story(&mut self, story: Arc<Story>) {
        self.story = Some(story);
        self.status = StoryStatus::Ready;
        self.runner = None;
        self.backlog.clear();
    }

    fn set_runner(&mut self, runner: Runner) {
        self.backlog = transcript(&runner);
        self.runner = Some(runner);
    }

    /// After a choice: the backlog grows by the choice and the page it led to, as
    /// [`transcript`] would have it, without replaying the playthrough (a choice at
    /// turn 300 costs what one at turn 1 does).
    fn chose(&mut self, runner: Runner, text: String) {
        let input = runner.log().last().and_then(|e| e.input.clone());
        let text = match input {
            Some(input) => format!("{text}: “{input}”"),
            None => text,
        };
        self.backlog.push(BacklogEntry::Choice { text, turn: runner.log().len() });
        self.backlog.extend(runner.page().passages.iter().map(|p| BacklogEntry::Passage { speaker: p.speaker, text: p.text.clone() }));
        self.runner = Some(runner);
    }
}

/// Starts loading every story of the library; the first is opened.
fn start_loading(
    mut commands: Commands,
    config: Res<EpistleConfig>,
    assets: Res<AssetServer>,
    mut stories: ResMut<Assets<StoryAsset>>,
    mut library: ResMut<Library>,
    mut notices: MessageWriter<StoryNotice>,
) {
    for source in &config.stories {
        let handle = load_source(source, &assets, &mut stories);
        library.push(LibraryEntry { source: source.clone(), handle });
    }
    if let Some(first) = library.current_entry() {
        commands.insert_resource(StoryHandle(first.handle.clone()));
        notices.write(StoryNotice::StoryLoading);
    }
}

/// Starts loading a story: through the asset server, or compiled from memory.
fn load_source(source: &StorySource, assets: &AssetServer, stories: &mut Assets<StoryAsset>) -> Handle<StoryAsset> {
    match source {
        StorySource::Asset { path, .. } => assets.load::<StoryAsset>(path.clone()),
        StorySource::Memory { .. } => {
            stories.add(source.compile_in_memory().unwrap_or(StoryAsset { story: None, diagnostics: Vec::new() }))
        }
    }
}

/// What happened to the open story's asset this frame.
enum Happened {
    Failed(String),
    Loaded,
    Modified,
}

/// Moves to the title screen or the error screen when the story finishes loading (or
/// reloading).
#[allow(clippy::too_many_arguments)]
fn watch_story(
    mut events: MessageReader<AssetEvent<StoryAsset>>,
    mut failed: MessageReader<AssetLoadFailedEvent<StoryAsset>>,
    handle: Option<Res<StoryHandle>>,
    stories: Res<Assets<StoryAsset>>,
    assets: Res<AssetServer>,
    config: Res<EpistleConfig>,
    library: Res<Library>,
    data: Res<DataStore>,
    mut session: ResMut<Session>,
    mut errors: ResMut<LoadErrors>,
    mut slots: ResMut<SlotList>,
    mut gallery: ResMut<Gallery>,
    mut notices: MessageWriter<StoryNotice>,
) {
    let Some(handle) = handle else { return };
    let display_dir = library.current_entry().map(|e| e.source.display_dir().to_string()).unwrap_or_default();
    let mut happened: Vec<Happened> = Vec::new();
    for e in failed.read() {
        if e.id != handle.0.id() {
            continue;
        }
        happened.push(Happened::Failed(match &e.error {
            bevy::asset::AssetLoadError::AssetReaderError(r) => format!("cannot read the story: {r}"),
            other => other.to_string(),
        }));
    }
    for e in events.read() {
        match e {
            AssetEvent::Added { id } if *id == handle.0.id() => happened.push(Happened::Loaded),
            AssetEvent::Modified { id } if *id == handle.0.id() => happened.push(Happened::Modified),
            _ => {}
        }
    }
    // A story opened from the library may have loaded long ago: no event will come.
    if session.opening && happened.is_empty() {
        if stories.get(handle.0.id()).is_some() {
            happened.push(Happened::Loaded);
        } else if let Some(bevy::asset::LoadState::Failed(e)) = assets.get_load_state(handle.0.id()) {
            happened.push(Happened::Failed(e.to_string()));
        }
    }
    for what in happened {
        session.opening = false;
        let id = handle.0.id();
        if let Happened::Failed(message) = what {
            *errors = LoadErrors { story: display_dir.clone(), diagnostics: vec![reader_diagnostic(&display_dir, message)] };
            session.status = StoryStatus::Failed;
            notices.write(StoryNotice::StoryFailed);
            continue;
        }
        let Some(asset) = stories.get(id) else { continue };
        // Live editing: a file of the story changed while a game is in progress. The
        // game goes on in the new version, or, if it is broken, in the old one.
        if matches!(what, Happened::Modified) && session.runner().is_some() {
            match &asset.story {
                Some(story) => match session.live_reload(Arc::clone(story)) {
                    Ok(lines) => {
                        info!("reloaded the edited story");
                        notices.write(StoryNotice::Reloaded(lines));
                        notices.write(StoryNotice::PageChanged(PageReason::Edited));
                    }
                    Err(why) => {
                        notices.write(StoryNotice::Problem(EngineError::EditedStory(why)));
                    }
                },
                None => {
                    session.reload_errors = asset.diagnostics.clone();
                    notices.write(StoryNotice::ReloadFailed);
                }
            }
            continue;
        }
        match &asset.story {
            Some(story) => {
                for w in &asset.diagnostics {
                    warn!("{}", w.one_line());
                }
                *slots = persist::list_slots(&data, story);
                let (read, problem) = Gallery::read(&data, &story.id);
                *gallery = read;
                if let Some(p) = problem {
                    warn!("{p}");
                    notices.write(StoryNotice::Problem(EngineError::GalleryUnreadable(p)));
                }
                session.set_story(Arc::clone(story));
                notices.write(StoryNotice::StoryReady);
                // A writer asked to begin somewhere (the first story only): straight
                // into the scene.
                if let Some((node, sets)) = config.start.as_ref().filter(|_| library.current() == 0 && !session.started_at) {
                    session.started_at = true;
                    let seed = config.seed.unwrap_or_else(clock_seed);
                    // An empty node means the story's own start.
                    let node = if node.is_empty() { story.node(story.start).id.as_str() } else { node.as_str() };
                    match Runner::start_at(Arc::clone(story), seed, node, sets) {
                        Ok(r) => {
                            session.set_runner(r);
                            session.writing = true;
                            notices.write(StoryNotice::PageChanged(PageReason::NewGame));
                        }
                        Err(err) => {
                            *errors = LoadErrors {
                                story: display_dir.clone(),
                                diagnostics: vec![reader_diagnostic(&display_dir, format!("cannot start there: {err}"))],
                            };
                            session.status = StoryStatus::Failed;
                            notices.write(StoryNotice::StoryFailed);
                        }
                    }
                }
            }
            None => {
                *errors = LoadErrors { story: display_dir.clone(), diagnostics: asset.diagnostics.clone() };
                session.status = StoryStatus::Failed;
                notices.write(StoryNotice::StoryFailed);
            }
        }
    }
}

/// A diagnostic for a story that could not even be opened (no manifest, an
/// unreadable folder), so the error screen lists it like any other.
fn reader_diagnostic(display_dir: &str, message: String) -> LocatedDiagnostic {
    use crate::narrative::{Severity, source::LineCol};
    let file = format!("{display_dir}/{}", crate::narrative::load::MANIFEST);
    LocatedDiagnostic {
        severity: Severity::Error,
        code: crate::narrative::Code::FileUnreadable.as_str(),
        message,
        labels: vec![crate::narrative::diagnostic::LocatedLabel {
            file,
            start: LineCol { line: 1, column: 1 },
            end: LineCol { line: 1, column: 1 },
            message: "expected the story's manifest here".into(),
            primary: true,
        }],
        help: Some("a story is a folder holding `story.ron` and the chapter files it lists".into()),
        notes: Vec::new(),
    }
}

/// What one command did, for the notices and the autosave.
struct Outcome {
    page: Option<PageReason>,
    autosave: bool,
}

/// Carries out the front end's commands.
#[allow(clippy::too_many_arguments)]
fn apply_commands(
    mut commands: MessageReader<StoryCommand>,
    mut session: ResMut<Session>,
    config: Res<EpistleConfig>,
    data: Res<DataStore>,
    mut slots: ResMut<SlotList>,
    mut gallery: ResMut<Gallery>,
    mut notices: MessageWriter<StoryNotice>,
    mut handle: Option<ResMut<StoryHandle>>,
    assets: Res<AssetServer>,
    mut library: ResMut<Library>,
    mut stories: ResMut<Assets<StoryAsset>>,
    display_dirs: Res<super::asset::DisplayDirs>,
    mut autosaver: ResMut<super::autosave::Autosaver>,
) {
    for command in commands.read() {
        let open = match command {
            StoryCommand::Reload => {
                if let Some(h) = &handle
                    && let Some(path) = h.0.path()
                {
                    assets.reload(path.clone());
                    session.status = StoryStatus::Loading;
                    notices.write(StoryNotice::StoryLoading);
                }
                continue;
            }
            StoryCommand::Open(index) => Some(*index),
            StoryCommand::OpenSource(source) => {
                if let StorySource::Asset { path, display_dir } = source {
                    display_dirs.insert(path, display_dir);
                }
                let handle = load_source(source, &assets, &mut stories);
                Some(library.push(LibraryEntry { source: source.clone(), handle }))
            }
            _ => None,
        };
        if let Some(index) = open {
            if !library.open(index) {
                notices.write(StoryNotice::Problem(EngineError::UnknownStory(index)));
                continue;
            }
            let Some(entry) = library.current_entry() else { continue };
            match handle.as_mut() {
                Some(h) => h.0 = entry.handle.clone(),
                None => continue,
            }
            session.close();
            notices.write(StoryNotice::StoryLoading);
            continue;
        }
        let Some(story) = session.story.clone() else {
            notices.write(StoryNotice::Problem(EngineError::NotLoaded));
            continue;
        };
        // A command that reads slots sees the autosave of a choice made this frame.
        if !matches!(command, StoryCommand::Choose { .. } | StoryCommand::Undo(_) | StoryCommand::NewGame) {
            for e in autosaver.flush() {
                notices.write(StoryNotice::Problem(EngineError::Autosave(e)));
            }
        }
        let outcome = match run(command, &mut session, &story, &config, &data, &mut notices) {
            Ok(o) => o,
            Err(message) => {
                notices.write(StoryNotice::Problem(message));
                continue;
            }
        };
        // What the autosave now holds, known without reading it back (the writer
        // reports a failed write on the next frame, and the slot is read again then).
        let mut autosaved = None;
        if outcome.autosave
            && !data.is_off()
            && let Some(r) = session.runner()
        {
            autosaver.save(&data, &story.id, r);
            autosaved = Some(persist::SlotState::of_runner(r, persist::now()));
        }
        if let Some(reason) = outcome.page {
            notices.write(StoryNotice::PageChanged(reason));
            record_ending(&session, &story, &data, &mut gallery, &mut notices);
        }
        // Choices, undo and a new game change only the autosave; anything else may
        // touch any slot.
        match command {
            StoryCommand::Choose { .. } | StoryCommand::Undo(_) | StoryCommand::NewGame | StoryCommand::Continue => match autosaved {
                Some(state) => slots.set(SlotId::Auto, state),
                None => slots.refresh(&data, &story, SlotId::Auto),
            },
            _ => *slots = persist::list_slots(&data, &story),
        }
    }
}

fn run(
    command: &StoryCommand,
    session: &mut Session,
    story: &Arc<Story>,
    config: &EpistleConfig,
    data: &DataStore,
    notices: &mut MessageWriter<StoryNotice>,
) -> Result<Outcome, EngineError> {
    let page = |reason| Outcome { page: Some(reason), autosave: true };
    match command {
        StoryCommand::NewGame => {
            let seed = config.seed.unwrap_or_else(clock_seed);
            session.set_runner(Runner::new(Arc::clone(story), seed));
            Ok(page(PageReason::NewGame))
        }
        StoryCommand::Continue => load(session, story, data, SlotId::Auto, notices),
        StoryCommand::Load(slot) => load(session, story, data, *slot, notices),
        StoryCommand::Choose { index, input } => {
            let Some(mut runner) = session.runner.take() else { return Err(EngineError::NoGame) };
            let text = runner.choices().into_iter().find(|c| c.index == *index).map(|c| c.text).unwrap_or_default();
            match runner.choose(*index, input.as_deref()) {
                Ok(()) => session.chose(runner, text),
                Err(e) => {
                    session.runner = Some(runner);
                    return Err(EngineError::Choice(e));
                }
            }
            Ok(page(PageReason::Chose))
        }
        StoryCommand::Undo(steps) => {
            let Some(mut runner) = session.runner.take() else { return Err(EngineError::NoGame) };
            let undone = runner.undo(*steps);
            session.set_runner(runner);
            if undone == 0 {
                return Err(EngineError::NothingToUndo);
            }
            Ok(page(PageReason::Undo))
        }
        StoryCommand::Save(slot) => {
            let Some(runner) = session.runner() else { return Err(EngineError::NoGame) };
            data.write(&slot.key(&story.id), &slot_text(&Save::capture(runner), persist::now()))
                .map_err(|why| EngineError::Save { slot: *slot, why })?;
            notices.write(StoryNotice::Saved(*slot));
            Ok(Outcome { page: None, autosave: false })
        }
        StoryCommand::Delete(slot) => {
            data.remove(&slot.key(&story.id)).map_err(|why| EngineError::Delete { slot: *slot, why })?;
            notices.write(StoryNotice::Deleted(*slot));
            Ok(Outcome { page: None, autosave: false })
        }
        StoryCommand::Reload | StoryCommand::Open(_) | StoryCommand::OpenSource(_) => Ok(Outcome { page: None, autosave: false }),
        StoryCommand::Export(slot) => {
            let export = |why: SlotError| EngineError::Export { slot: *slot, why };
            let text = data.read(&slot.key(&story.id)).map_err(|e| export(e.into()))?.ok_or(EngineError::EmptySlot(*slot))?;
            persist::check_slot(&text, story).map_err(export)?;
            let name = export_name(&story.id, *slot);
            let to = super::transfer::hand_over(&name, &text).map_err(|e| export(SlotError::HandOver(e)))?;
            notices.write(StoryNotice::Exported { slot: *slot, to });
            Ok(Outcome { page: None, autosave: false })
        }
        StoryCommand::Import { name, bytes } => {
            let import = |why: SlotError| EngineError::Import { name: name.clone(), why };
            let text = std::str::from_utf8(bytes).map_err(|_| import(SlotError::NotText))?;
            persist::check_slot(text, story).map_err(import)?;
            let free = (1..=persist::MANUAL_SLOTS)
                .map(SlotId::Manual)
                .find(|s| matches!(data.read(&s.key(&story.id)), Ok(None)))
                .ok_or_else(|| EngineError::NoFreeSlot { name: name.clone() })?;
            data.write(&free.key(&story.id), text).map_err(|e| import(e.into()))?;
            notices.write(StoryNotice::Imported(free));
            Ok(Outcome { page: None, autosave: false })
        }
    }
}

/// Loads a slot through the core's migration: an edited story still loads the save
/// and the notice says what changed; a save whose place was removed replays its
/// choices instead.
fn load(
    session: &mut Session,
    story: &Arc<Story>,
    data: &DataStore,
    slot: SlotId,
    notices: &mut MessageWriter<StoryNotice>,
) -> Result<Outcome, EngineError> {
    let (save, _) = read_slot(data, slot, story).map_err(|why| EngineError::Load { slot, why })?.ok_or(EngineError::EmptySlot(slot))?;
    let restored = match save.restore(Arc::clone(story)) {
        Err(SaveError::NodeGone { .. }) => save.replay(Arc::clone(story)),
        other => other,
    };
    let (runner, migration) = restored.map_err(|e| EngineError::Load { slot, why: e.into() })?;
    session.set_runner(runner);
    notices.write(StoryNotice::Loaded { slot, migration: migration.lines() });
    Ok(Outcome { page: Some(PageReason::Loaded), autosave: slot != SlotId::Auto })
}

/// The name an exported save is offered under: `dear_someone-slot-2.ron`.
fn export_name(story_id: &str, slot: SlotId) -> String {
    let which = match slot {
        SlotId::Auto => "autosave".to_string(),
        SlotId::Manual(n) => format!("slot-{n}"),
    };
    format!("{story_id}-{which}.ron")
}

/// Records a reached ending in the gallery.
fn record_ending(session: &Session, story: &Story, data: &DataStore, gallery: &mut Gallery, notices: &mut MessageWriter<StoryNotice>) {
    let Some(ending) = session.runner().and_then(Runner::ended) else { return };
    let Some(decl) = story.ending(ending) else { return };
    let first = gallery.reached.insert(decl.id.clone());
    if first
        && !data.is_off()
        && let Err(e) = gallery.write(data, &story.id)
    {
        notices.write(StoryNotice::Problem(EngineError::Gallery(e)));
    }
    notices.write(StoryNotice::EndingReached { id: decl.id.clone(), first });
}

fn clock_seed() -> u64 {
    // The clock's bits (milliseconds with a fraction), mixed so close times differ.
    super::store::now_millis().to_bits().wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ 0x5eed
}

pub(super) fn plugin(app: &mut App) {
    app.init_resource::<Session>().init_resource::<LoadErrors>().init_resource::<Library>();
    app.add_systems(Startup, start_loading);
    app.add_systems(Update, (watch_story, apply_commands).chain().in_set(super::EpistleSet::Commands));
}
