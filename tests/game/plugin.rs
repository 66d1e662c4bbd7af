//! The plugin without a window (`MinimalPlugins`): load a fixture story as an asset,
//! play it through messages, save, load, undo, migrate, and survive broken files.

use super::{data_dir, fixtures};
use bevy::asset::AssetPlugin;
use bevy::prelude::*;
use bevy::state::app::StatesPlugin;
use epistle::narrative::{CharacterId, ChoiceIndex, EndingId};
use epistle::plugin::{
    DataStore, EngineError, EpistlePlugin, EpistleSet, Gallery, Library, LoadErrors, Session, SlotError, SlotId, SlotList, SlotState,
    StoryCommand, StoryNotice, StorySource, StoryStatus,
};
use epistle::ui::{Settings, TextSpeed, prefs};
use std::path::Path;

/// Every notice sent, for assertions.
#[derive(Resource, Default)]
struct Heard(Vec<StoryNotice>);

fn hear(mut reader: MessageReader<StoryNotice>, mut heard: ResMut<Heard>) {
    heard.0.extend(reader.read().cloned());
}

fn app(story: &str, data: &Path) -> App {
    let mut app = App::new();
    app.add_plugins((MinimalPlugins, StatesPlugin, AssetPlugin { file_path: fixtures().display().to_string(), ..default() }));
    app.add_plugins(EpistlePlugin::new(format!("{story}/story.ron")).with_data_dir(data).with_seed(7));
    app.init_resource::<Heard>().add_systems(Update, hear.after(EpistleSet::Commands));
    app
}

/// Small helpers over a headless app (YarnSpinner-Rust's `tests/utils` style).
trait AppExt {
    /// Updates until `done` holds (the asset loads on another thread); false on timeout.
    fn until(&mut self, done: impl Fn(&World) -> bool) -> bool;
    /// Sends a command and lets the plugin carry it out.
    fn command(&mut self, c: StoryCommand);
    /// Whether a game is in progress.
    fn playing(&self) -> bool;
    fn session(&self) -> &Session;
    fn node(&self) -> String;
    fn heard(&self) -> &[StoryNotice];
}

impl AppExt for App {
    fn until(&mut self, done: impl Fn(&World) -> bool) -> bool {
        for _ in 0..2000 {
            self.update();
            if done(self.world()) {
                return true;
            }
            std::thread::sleep(std::time::Duration::from_millis(2));
        }
        false
    }

    fn command(&mut self, c: StoryCommand) {
        self.world_mut().write_message(c);
        self.update();
        self.update();
    }

    fn playing(&self) -> bool {
        self.session().runner().is_some()
    }

    fn session(&self) -> &Session {
        self.world().resource::<Session>()
    }

    fn node(&self) -> String {
        let r = self.session().runner().expect("a game is in progress");
        r.story().node(r.state().node).id.to_string()
    }

    fn heard(&self) -> &[StoryNotice] {
        &self.world().resource::<Heard>().0
    }
}

fn at_title(story: &str, data: &Path) -> App {
    let mut app = app(story, data);
    assert!(app.until(|w| w.resource::<Session>().status() == StoryStatus::Ready), "the story never reached the title screen");
    app
}

#[test]
fn loads_a_story_as_an_asset() {
    let app = at_title("tiny", &data_dir("loads"));
    let story = app.session().story().expect("loaded");
    assert_eq!(story.title, "The Little Lamp");
    assert_eq!(story.author, "Test Writer");
    assert!(app.heard().contains(&StoryNotice::StoryReady));
    assert!(!app.world().resource::<SlotList>().loadable(SlotId::Auto), "no autosave yet");
}

#[test]
fn plays_to_an_ending_through_messages() {
    let data = data_dir("ending");
    let mut app = at_title("tiny", &data);
    app.command(StoryCommand::NewGame);
    assert!(app.playing());
    assert_eq!(app.node(), "hall");
    // "Walk away" is the third choice of the hall.
    app.command(StoryCommand::Choose { index: ChoiceIndex(2), input: None });
    assert_eq!(app.node(), "dark_end");
    assert!(app.heard().contains(&StoryNotice::EndingReached { id: "dark".into(), first: true }));
    assert!(app.world().resource::<Gallery>().reached.contains("dark"));
    // The backlog grew by the choice and its page, exactly as a full replay has it.
    let r = app.session().runner().expect("a game is in progress");
    assert_eq!(app.session().backlog(), epistle::plugin::backlog::transcript(r).as_slice());
    // The slot list follows the autosave without re-reading every slot.
    assert!(app.world().resource::<SlotList>().loadable(SlotId::Auto));
    // The gallery and the autosave are on disk, and survive a restart.
    assert!(data.join("tiny/endings.ron").is_file());
    assert!(data.join("tiny/autosave.ron").is_file());
    let again = at_title("tiny", &data);
    assert!(again.world().resource::<Gallery>().reached.contains("dark"));
    assert!(again.world().resource::<SlotList>().loadable(SlotId::Auto));
}

#[test]
fn persistence_is_replaceable_or_off() {
    // Off: the game plays to an ending, nothing is written, the gallery lives in memory.
    let data = data_dir("off");
    let mut app = App::new();
    app.add_plugins((MinimalPlugins, StatesPlugin, AssetPlugin { file_path: fixtures().display().to_string(), ..default() }));
    app.add_plugins(EpistlePlugin::new("tiny/story.ron").with_data_dir(&data).with_store(DataStore::off()).with_seed(7));
    app.init_resource::<Heard>().add_systems(Update, hear.after(EpistleSet::Commands));
    assert!(app.until(|w| w.resource::<Session>().status() == StoryStatus::Ready));
    app.command(StoryCommand::NewGame);
    app.command(StoryCommand::Choose { index: ChoiceIndex(2), input: None });
    assert!(app.heard().contains(&StoryNotice::EndingReached { id: "dark".into(), first: true }));
    assert!(app.world().resource::<Gallery>().reached.contains("dark"));
    assert!(!app.world().resource::<SlotList>().loadable(SlotId::Auto), "no autosave");
    assert_eq!(std::fs::read_dir(&data).map(|d| d.count()).unwrap_or(0), 0, "nothing was written");
    assert!(!app.heard().iter().any(|n| matches!(n, StoryNotice::Problem(_))), "{:?}", app.heard());

    // A store of the game's own: every write goes through it.
    #[derive(Default, Clone)]
    struct Counting(std::sync::Arc<std::sync::Mutex<std::collections::BTreeMap<String, String>>>);
    impl epistle::plugin::Storage for Counting {
        fn read(&self, key: &str) -> Result<Option<String>, epistle::plugin::StoreError> {
            Ok(self.0.lock().map_err(|_| epistle::plugin::StoreError::Refused("poisoned".into()))?.get(key).cloned())
        }
        fn write(&self, key: &str, text: &str) -> Result<(), epistle::plugin::StoreError> {
            self.0.lock().map_err(|_| epistle::plugin::StoreError::Refused("poisoned".into()))?.insert(key.into(), text.into());
            Ok(())
        }
        fn remove(&self, key: &str) -> Result<(), epistle::plugin::StoreError> {
            self.0.lock().map_err(|_| epistle::plugin::StoreError::Refused("poisoned".into()))?.remove(key);
            Ok(())
        }
    }
    let mine = Counting::default();
    let mut app = App::new();
    app.add_plugins((MinimalPlugins, StatesPlugin, AssetPlugin { file_path: fixtures().display().to_string(), ..default() }));
    app.add_plugins(EpistlePlugin::new("tiny/story.ron").with_store(DataStore::custom(mine.clone())).with_seed(7));
    assert!(app.until(|w| w.resource::<Session>().status() == StoryStatus::Ready));
    app.command(StoryCommand::NewGame);
    app.command(StoryCommand::Save(SlotId::Manual(1)));
    app.command(StoryCommand::Choose { index: ChoiceIndex(2), input: None });
    let keys: Vec<String> = mine.0.lock().map(|m| m.keys().cloned().collect()).unwrap_or_default();
    assert_eq!(keys, ["tiny/autosave.ron", "tiny/endings.ron", "tiny/slot-1.ron"]);
    assert!(app.world().resource::<SlotList>().loadable(SlotId::Manual(1)));
}

/// A story held in memory: one choice, one ending.
fn pocket_story() -> StorySource {
    let manifest = r#"Story(id: "pocket", title: "Pocket", start: "a", files: ["a.ron"], endings: [Ending(id: "done", title: "Done")])"#;
    let chapter = r#"Chapter(title: "One", nodes: [
        Node(id: "a", text: ["A pocket story."], choices: [Choice(text: "Close it", to: "b")]),
        Node(id: "b", text: ["Closed."], ending: "done"),
    ])"#;
    StorySource::memory("pocket", manifest, [("a.ron".to_string(), chapter.to_string())])
}

#[test]
fn several_stories_from_folders_and_memory_switch_at_runtime() {
    let data = data_dir("library");
    let mut app = App::new();
    app.add_plugins((MinimalPlugins, StatesPlugin, AssetPlugin { file_path: fixtures().display().to_string(), ..default() }));
    app.add_plugins(
        EpistlePlugin::from_source(pocket_story()).with_story(StorySource::asset("tiny/story.ron")).with_data_dir(&data).with_seed(7),
    );
    app.init_resource::<Heard>().add_systems(Update, hear.after(EpistleSet::Commands));
    // The story from memory opens first and plays to its ending.
    assert!(app.until(|w| w.resource::<Session>().status() == StoryStatus::Ready));
    assert_eq!(app.session().story().map(|s| s.title.as_str()), Some("Pocket"));
    app.command(StoryCommand::NewGame);
    app.command(StoryCommand::Choose { index: ChoiceIndex(0), input: None });
    assert!(app.heard().contains(&StoryNotice::EndingReached { id: "done".into(), first: true }));

    // Switching: the folder story opens, with its own slots and gallery.
    app.command(StoryCommand::Open(1));
    assert!(app.until(|w| w.resource::<Session>().status() == StoryStatus::Ready));
    assert_eq!(app.session().story().map(|s| s.title.as_str()), Some("The Little Lamp"));
    assert!(!app.playing(), "the pocket story's game was left");
    assert!(app.world().resource::<Gallery>().reached.is_empty(), "each story has its own gallery");
    app.command(StoryCommand::NewGame);
    assert_eq!(app.node(), "hall");

    // And back: the pocket story's autosave and gallery are still there.
    app.command(StoryCommand::Open(0));
    assert!(app.until(|w| w.resource::<Session>().story().is_some_and(|s| s.id == "pocket")));
    assert!(app.world().resource::<Gallery>().reached.contains("done"));
    assert!(app.world().resource::<SlotList>().loadable(SlotId::Auto));

    // A story added while the game runs; a place the library does not have is refused.
    let mut broken = pocket_story();
    if let StorySource::Memory { manifest, .. } = &mut broken {
        *manifest = manifest.replace("start: \"a\"", "start: \"nowhere\"");
    }
    app.command(StoryCommand::OpenSource(broken));
    assert!(app.until(|w| w.resource::<Session>().status() == StoryStatus::Failed));
    let errors = app.world().resource::<LoadErrors>();
    assert!(errors.diagnostics.iter().any(|d| d.location().starts_with("pocket/story.ron:1:")), "{:?}", errors.diagnostics);
    assert_eq!(app.world().resource::<Library>().entries().len(), 3);
    app.command(StoryCommand::Open(7));
    assert!(app.heard().iter().any(|n| matches!(n, StoryNotice::Problem(EngineError::UnknownStory(_)))));
}

#[test]
fn a_corrupt_gallery_or_settings_file_is_reported_and_kept_aside() {
    let data = data_dir("corrupt-gallery");
    std::fs::create_dir_all(data.join("tiny")).ok();
    std::fs::write(data.join("tiny/endings.ron"), "Gallery(reached: [\"dark\"").ok();
    std::fs::write(data.join("settings.ron"), "Settings(font_size: twelve)").ok();
    let mut app = at_title("tiny", &data);
    app.update();
    let problems: Vec<String> = app
        .heard()
        .iter()
        .filter_map(|n| match n {
            StoryNotice::Problem(p) => Some(p.to_string()),
            _ => None,
        })
        .collect();
    assert!(problems.iter().any(|p| p.contains("endings gallery") && p.contains("endings.ron.corrupt-1")), "{problems:?}");
    // Settings are the front end's: it reads them through the same store.
    let (settings, problem) = prefs::load(&DataStore::dir(&data));
    assert_eq!(settings, Settings::default());
    let problem = problem.unwrap_or_default();
    assert!(problem.contains("settings file") && problem.contains("settings.ron.corrupt-1"), "{problem}");
    // The player's files are kept, renamed; the game goes on with fresh ones.
    assert_eq!(std::fs::read_to_string(data.join("tiny/endings.ron.corrupt-1")).unwrap_or_default(), "Gallery(reached: [\"dark\"");
    assert!(data.join("settings.ron.corrupt-1").is_file());
    app.command(StoryCommand::NewGame);
    app.command(StoryCommand::Choose { index: ChoiceIndex(2), input: None });
    assert!(app.world().resource::<Gallery>().reached.contains("dark"));
    assert!(data.join("tiny/endings.ron").is_file() && data.join("tiny/endings.ron.corrupt-1").is_file());
}

#[test]
fn a_refused_choice_is_a_problem_not_a_panic() {
    let mut app = at_title("tiny", &data_dir("refused"));
    app.command(StoryCommand::NewGame);
    // The secret door is locked until the lamp is lit.
    app.command(StoryCommand::Choose { index: ChoiceIndex(1), input: None });
    assert_eq!(app.node(), "hall");
    assert!(
        app.heard().iter().any(
            |n| matches!(n, StoryNotice::Problem(p) if matches!(p, EngineError::Choice(_)) && p.to_string().contains("not available"))
        )
    );
    app.command(StoryCommand::Choose { index: ChoiceIndex(99), input: None });
    assert_eq!(app.node(), "hall");
}

#[test]
fn text_prompt_names_the_voice_and_history_records_it() {
    let mut app = at_title("tiny", &data_dir("prompt"));
    app.command(StoryCommand::NewGame);
    app.command(StoryCommand::Choose { index: ChoiceIndex(0), input: Some("  Beacon ".into()) });
    assert_eq!(app.node(), "named");
    let r = app.session().runner().expect("playing");
    assert_eq!(&*r.page().passages[0].text, "I am Beacon. Thank you.");
    assert_eq!(r.character_name(CharacterId(1)), "Beacon");
    let backlog = app.session().backlog();
    assert!(
        backlog.iter().any(|e| matches!(e, epistle::plugin::BacklogEntry::Choice { text, turn: 1 } if text == "Name the lamp: “Beacon”"))
    );
    assert!(backlog.iter().any(|e| matches!(e, epistle::plugin::BacklogEntry::Passage { text, .. } if &**text == "A hall with one lamp.")));
    assert_eq!(backlog, epistle::plugin::backlog::transcript(r).as_slice(), "grown turn by turn, as a replay has it");
}

#[test]
fn save_load_and_undo() {
    let data = data_dir("save");
    let mut app = at_title("tiny", &data);
    app.command(StoryCommand::NewGame);
    app.command(StoryCommand::Choose { index: ChoiceIndex(0), input: None });
    app.command(StoryCommand::Save(SlotId::Manual(1)));
    assert!(app.heard().contains(&StoryNotice::Saved(SlotId::Manual(1))));
    match app.world().resource::<SlotList>().get(SlotId::Manual(1)) {
        Some(SlotState::Saved { chapter, preview, saved_at, turn, .. }) => {
            assert_eq!(chapter, "The Hall");
            assert_eq!(preview, "I am Lumen. Thank you.");
            assert!(saved_at.is_some_and(|t| t > 1_700_000_000));
            assert_eq!(*turn, 1);
        }
        other => panic!("slot 1 should hold a save, not {other:?}"),
    }
    app.command(StoryCommand::Choose { index: ChoiceIndex(0), input: None });
    assert_eq!(app.node(), "light_end");
    app.command(StoryCommand::Load(SlotId::Manual(1)));
    assert_eq!(app.node(), "named");
    assert!(app.session().runner().is_some_and(|r| r.ended().is_none()));
    assert!(app.heard().contains(&StoryNotice::Loaded { slot: SlotId::Manual(1), migration: Vec::new() }));
    // An unchanged story replays the save's log, so undo reaches the start.
    app.command(StoryCommand::Undo(1));
    assert_eq!(app.node(), "hall");
    app.command(StoryCommand::Undo(1));
    assert!(app.heard().iter().any(|n| matches!(n, StoryNotice::Problem(EngineError::NothingToUndo))));
    // Continue resumes the autosave, which followed the undo.
    app.command(StoryCommand::Choose { index: ChoiceIndex(2), input: None });
    let mut fresh = at_title("tiny", &data);
    fresh.command(StoryCommand::Continue);
    assert_eq!(fresh.node(), "dark_end");
    // Delete removes only that slot.
    fresh.command(StoryCommand::Delete(SlotId::Manual(1)));
    assert_eq!(fresh.world().resource::<SlotList>().get(SlotId::Manual(1)), Some(&SlotState::Empty));
    assert!(data.join("tiny/autosave.ron").is_file());
}

#[test]
fn broken_and_foreign_files_are_reported_and_left_alone() {
    let data = data_dir("broken-files");
    let dir = data.join("tiny");
    std::fs::create_dir_all(&dir).expect("temp dir");
    std::fs::write(dir.join("slot-2.ron"), "Save(format: 1, story_id: \"tiny\", oops").expect("write");
    std::fs::write(dir.join("slot-3.ron"), [0xff, 0xfe, 0x00, 0x12]).expect("write");
    std::fs::write(dir.join("endings.ron"), "not ron at all {{{").expect("write");
    let mut app = at_title("tiny", &data);
    app.command(StoryCommand::NewGame);
    app.command(StoryCommand::Save(SlotId::Manual(4)));
    let foreign = std::fs::read_to_string(dir.join("slot-4.ron")).expect("saved").replace("story_id: \"tiny\"", "story_id: \"other\"");
    std::fs::write(dir.join("slot-5.ron"), foreign).expect("write");
    app.command(StoryCommand::Save(SlotId::Manual(6)));
    let slots = app.world().resource::<SlotList>().clone();
    assert!(
        matches!(slots.get(SlotId::Manual(2)), Some(SlotState::Broken(why @ SlotError::Save(_))) if why.to_string().contains("not a valid save")),
        "{slots:?}"
    );
    assert!(matches!(slots.get(SlotId::Manual(3)), Some(SlotState::Broken(_))));
    assert!(matches!(slots.get(SlotId::Manual(5)), Some(SlotState::Broken(SlotError::OtherStory(id))) if id == "other"));
    assert!(slots.loadable(SlotId::Manual(4)) && slots.loadable(SlotId::Manual(6)));
    app.command(StoryCommand::Load(SlotId::Manual(2)));
    assert!(app.heard().iter().any(|n| matches!(n, StoryNotice::Problem(p @ EngineError::Load { slot: SlotId::Manual(2), .. }) if p.to_string().contains("Slot 2 cannot be loaded"))));
    // Nothing touched the broken files.
    assert_eq!(std::fs::read(dir.join("slot-3.ron")).expect("still there"), [0xff, 0xfe, 0x00, 0x12]);
    assert!(std::fs::read_to_string(dir.join("slot-2.ron")).expect("still there").ends_with("oops"));
    // No temporary files are left behind by the atomic writes.
    let leftovers: Vec<_> = std::fs::read_dir(&dir)
        .expect("dir")
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty());
}

#[test]
fn an_imported_save_is_checked_then_goes_to_the_first_empty_slot() {
    let home = data_dir("import-home");
    let mut app = at_title("tiny", &home);
    app.command(StoryCommand::NewGame);
    app.command(StoryCommand::Choose { index: ChoiceIndex(0), input: None });
    app.command(StoryCommand::Save(SlotId::Manual(1)));
    let exported = std::fs::read(home.join("tiny/slot-1.ron")).expect("saved");

    let away = data_dir("import-away");
    let mut other = at_title("tiny", &away);
    other.command(StoryCommand::NewGame);
    other.command(StoryCommand::Save(SlotId::Manual(1)));
    other.command(StoryCommand::Import { name: "backup.ron".into(), bytes: exported.clone() });
    assert!(other.heard().contains(&StoryNotice::Imported(SlotId::Manual(2))), "{:?}", other.heard());
    other.command(StoryCommand::Load(SlotId::Manual(2)));
    assert_eq!(other.node(), "named");

    // Not a save, another story's save, not text: refused, and nothing is written.
    let foreign = String::from_utf8(exported.clone()).expect("text").replace("story_id: \"tiny\"", "story_id: \"other\"");
    for (name, bytes, why) in [
        ("notes.txt", b"dear diary".to_vec(), "notes.txt cannot be imported"),
        ("theirs.ron", foreign.into_bytes(), "another story, `other`"),
        ("photo.png", vec![0x89, 0x50, 0xff, 0xfe], "not text"),
    ] {
        other.command(StoryCommand::Import { name: name.into(), bytes });
        assert!(
            other.heard().iter().any(|n| matches!(n, StoryNotice::Problem(p @ EngineError::Import { .. }) if p.to_string().contains(why))),
            "{name}: {:?}",
            other.heard()
        );
    }
    assert_eq!(other.world().resource::<SlotList>().get(SlotId::Manual(3)), Some(&SlotState::Empty));

    // With every slot full, the player is told to make room.
    for n in 3..=8 {
        other.command(StoryCommand::Save(SlotId::Manual(n)));
    }
    other.command(StoryCommand::Import { name: "backup.ron".into(), bytes: exported });
    assert!(other.heard().iter().any(|n| matches!(n, StoryNotice::Problem(EngineError::NoFreeSlot { .. }))));
}

#[test]
fn exports_never_overwrite_an_earlier_one() {
    let folder = data_dir("exports");
    let first = epistle::plugin::transfer::export_to(&folder, "tiny-slot-1.ron", "one").expect("written");
    let second = epistle::plugin::transfer::export_to(&folder, "tiny-slot-1.ron", "two").expect("written");
    assert_eq!(first, folder.join("tiny-slot-1.ron"));
    assert_eq!(second, folder.join("tiny-slot-1 (2).ron"));
    assert_eq!(std::fs::read_to_string(first).expect("kept"), "one");
}

#[test]
fn a_save_from_an_older_story_migrates_and_says_what_changed() {
    let data = data_dir("migrate");
    let mut old = at_title("tiny", &data);
    old.command(StoryCommand::NewGame);
    old.command(StoryCommand::Choose { index: ChoiceIndex(0), input: None });
    old.command(StoryCommand::Save(SlotId::Manual(1)));
    // The same story id, edited: version 1.1.0 adds the variable `warmth`.
    let mut new = at_title("tiny-v2", &data);
    new.command(StoryCommand::Load(SlotId::Manual(1)));
    assert_eq!(new.node(), "named");
    let migration = new
        .heard()
        .iter()
        .find_map(|n| match n {
            StoryNotice::Loaded { migration, .. } => Some(migration.clone()),
            _ => None,
        })
        .expect("loaded");
    assert!(migration.iter().any(|l| l.contains("version 1.0.0")), "{migration:?}");
    assert!(migration.iter().any(|l| l.contains("`warmth`")), "{migration:?}");
    new.command(StoryCommand::Choose { index: ChoiceIndex(0), input: None });
    assert_eq!(new.session().runner().map(|r| r.page().passages[0].text.to_string()), Some("It glows, 3 times warmer.".into()));
}

#[test]
fn a_broken_story_lists_every_diagnostic() {
    let mut app = app("broken", &data_dir("broken-story"));
    assert!(app.until(|w| w.resource::<Session>().status() == StoryStatus::Failed));
    let errors = app.world().resource::<LoadErrors>();
    assert_eq!(errors.diagnostics.len(), 2, "{:?}", errors.diagnostics);
    let where_: Vec<String> = errors.diagnostics.iter().map(|d| d.location()).collect();
    assert!(where_[0].ends_with("01-a.ron:4:78"), "{where_:?}");
    assert!(where_[1].ends_with("01-a.ron:5:36"), "{where_:?}");
    assert!(errors.diagnostics[0].message.contains("unknown node `nowhere`"));
    assert!(app.heard().contains(&StoryNotice::StoryFailed));
}

#[test]
fn a_missing_story_shows_the_error_screen() {
    let mut app = app("no-such-story", &data_dir("missing"));
    assert!(app.until(|w| w.resource::<Session>().status() == StoryStatus::Failed));
    let errors = app.world().resource::<LoadErrors>();
    assert_eq!(errors.diagnostics.len(), 1);
    assert_eq!(errors.diagnostics[0].code, "E0004");
    assert!(errors.diagnostics[0].location().contains("story.ron"));
}

#[test]
fn settings_persist_and_old_files_load() {
    let data = DataStore::dir(data_dir("settings"));
    let settings = Settings { text_speed: TextSpeed::Fast, ..Settings::default() };
    prefs::save(&data, &settings).expect("written");
    let text = data.read(Settings::FILE).expect("readable").expect("written");
    assert!(text.contains("Fast"));
    assert_eq!(prefs::load(&data), (settings, None));
    // A file with fewer fields (an older version) keeps loading; the rest default.
    data.write(Settings::FILE, "(font_size: 99.0)").expect("write");
    let (s, problem) = prefs::load(&data);
    assert_eq!(problem, None);
    assert_eq!(s.font_size, 32.0, "clamped into range");
    assert_eq!(s.text_speed, TextSpeed::Normal);
}

#[test]
fn try_again_reloads_a_fixed_story() {
    // A copy of the broken story in a folder of its own, to fix while the game runs.
    let root = data_dir("reload-assets");
    let dir = root.join("story");
    std::fs::create_dir_all(&dir).expect("temp dir");
    for f in ["story.ron", "01-a.ron"] {
        std::fs::copy(fixtures().join("broken").join(f), dir.join(f)).expect("copy");
    }
    let mut app = App::new();
    app.add_plugins((MinimalPlugins, StatesPlugin, AssetPlugin { file_path: root.display().to_string(), ..default() }));
    app.add_plugins(EpistlePlugin::new("story/story.ron").with_data_dir(data_dir("reload-data")));
    assert!(app.until(|w| w.resource::<Session>().status() == StoryStatus::Failed));
    let fixed =
        std::fs::read_to_string(dir.join("01-a.ron")).expect("read").replace("\"nowhere\"", "\"begin\"").replace("{missing_var}", "Bye.");
    std::fs::write(dir.join("01-a.ron"), fixed).expect("write");
    app.world_mut().write_message(StoryCommand::Reload);
    assert!(app.until(|w| w.resource::<Session>().status() == StoryStatus::Ready), "the fixed story should load");
}

/// A copy of the tiny story in a folder of its own, to edit while the game runs.
fn editable(test: &str) -> (App, std::path::PathBuf) {
    let root = data_dir(&format!("{test}-assets"));
    let dir = root.join("story");
    std::fs::create_dir_all(&dir).expect("temp dir");
    for f in ["story.ron", "01-hall.ron"] {
        std::fs::copy(fixtures().join("tiny").join(f), dir.join(f)).expect("copy");
    }
    let mut app = App::new();
    app.add_plugins((MinimalPlugins, StatesPlugin, AssetPlugin { file_path: root.display().to_string(), ..default() }));
    app.add_plugins(EpistlePlugin::new("story/story.ron").with_data_dir(data_dir(&format!("{test}-data"))).with_seed(7));
    app.init_resource::<Heard>().add_systems(Update, hear.after(EpistleSet::Commands));
    assert!(app.until(|w| w.resource::<Session>().status() == StoryStatus::Ready));
    (app, dir)
}

/// What a writer's editor does: rewrite the file, and the asset server notices.
fn edit(app: &mut App, dir: &Path, from: &str, to: &str) {
    let file = dir.join("01-hall.ron");
    let text = std::fs::read_to_string(&file).expect("read").replace(from, to);
    std::fs::write(&file, text).expect("write");
    let assets = app.world().resource::<AssetServer>().clone();
    assets.reload("story/story.ron");
}

#[test]
fn live_editing_keeps_the_reader_in_place_and_survives_a_broken_save() {
    let (mut app, dir) = editable("live");
    app.command(StoryCommand::NewGame);
    app.command(StoryCommand::Choose { index: ChoiceIndex(0), input: Some("Ember".into()) });
    assert_eq!(app.node(), "named");

    // A good edit: same place, same state, the new text.
    edit(&mut app, &dir, "I am {lamp_name}. Thank you.", "I am {lamp_name}, and I am listening.");
    assert!(app.until(|w| w.resource::<Heard>().0.iter().any(|n| matches!(n, StoryNotice::Reloaded(_)))), "no reload");
    assert_eq!(app.node(), "named");
    let text: Vec<String> =
        app.session().runner().map(|r| r.page().passages.iter().map(|p| p.text.to_string()).collect()).unwrap_or_default();
    assert_eq!(text, ["I am Ember, and I am listening."]);
    assert!(app.playing());

    // A broken edit: the old version keeps running, and the errors are listed.
    edit(&mut app, &dir, "to: \"light_end\"", "to: \"lite_end\"");
    assert!(app.until(|w| !w.resource::<Session>().reload_errors().is_empty()), "the broken edit was not reported");
    let errors: Vec<String> = app.session().reload_errors().iter().map(|d| d.one_line()).collect();
    assert!(errors.iter().any(|e| e.contains("E0100") && e.contains("01-hall.ron:")), "{errors:?}");
    assert_eq!(app.node(), "named");
    app.command(StoryCommand::Choose { index: ChoiceIndex(0), input: None });
    assert_eq!(app.session().runner().and_then(|r| r.ended()), Some(EndingId(0)), "the last good version still plays");

    // Fixing it clears the errors.
    app.command(StoryCommand::Undo(1));
    edit(&mut app, &dir, "to: \"lite_end\"", "to: \"light_end\"");
    assert!(app.until(|w| w.resource::<Session>().reload_errors().is_empty()), "the fix was not picked up");
    assert_eq!(app.node(), "named");
}

#[test]
fn a_writer_can_begin_at_any_node_with_any_state() {
    let mut app = App::new();
    app.add_plugins((MinimalPlugins, StatesPlugin, AssetPlugin { file_path: fixtures().display().to_string(), ..default() }));
    app.add_plugins(EpistlePlugin::new("tiny/story.ron").with_data_dir(data_dir("start")).with_start("hall", vec!["lit=true".into()]));
    assert!(app.until(|w| w.resource::<Session>().runner().is_some()), "did not begin playing");
    assert_eq!(app.node(), "hall");
    let secret = app.session().runner().map(|r| r.choices().into_iter().any(|c| c.text.starts_with("Open the secret") && c.enabled));
    assert_eq!(secret, Some(true), "`lit=true` unlocks the secret door");

    let mut bad = App::new();
    bad.add_plugins((MinimalPlugins, StatesPlugin, AssetPlugin { file_path: fixtures().display().to_string(), ..default() }));
    bad.add_plugins(EpistlePlugin::new("tiny/story.ron").with_data_dir(data_dir("start-bad")).with_start("hal", vec![]));
    assert!(bad.until(|w| w.resource::<Session>().status() == StoryStatus::Failed));
    let errors = bad.world().resource::<LoadErrors>();
    assert!(errors.diagnostics.iter().any(|d| d.message.contains("did you mean `hall`?")), "{:?}", errors.diagnostics);
}
