//! The bevy_ui example (`examples/bevy-ui-reader`) read to an ending: its plugin, run
//! headless with the engine, pressed button by button the way a player clicks.

#[path = "../../examples/bevy-ui-reader/reader.rs"]
mod reader;

use bevy::asset::AssetPlugin;
use bevy::prelude::*;
use bevy::state::app::StatesPlugin;
use epistle::plugin::{DataStore, EpistlePlugin, Session};
use reader::{Action, Locked, ReaderPlugin};

/// The texts on screen, in order.
fn texts(app: &mut App) -> Vec<String> {
    app.world_mut().query::<&Text>().iter(app.world()).map(|t| t.0.clone()).collect()
}

#[test]
fn the_bevy_ui_example_reads_the_tutorial_to_an_ending() {
    let stories = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("stories");
    let mut app = App::new();
    app.add_plugins((MinimalPlugins, StatesPlugin, AssetPlugin { file_path: stories.display().to_string(), ..default() }));
    app.add_plugins(EpistlePlugin::new("tutorial/story.ron").with_store(DataStore::memory("test")).with_seed(3));
    // What DefaultPlugins would bring for the reader: fonts, and the mouse wheel.
    app.init_asset::<Font>().add_message::<bevy::input::mouse::MouseWheel>();
    app.add_plugins(ReaderPlugin);
    // A seeded walk over the buttons a player could press, until the story ends.
    let mut seed = 0x2545_f491_u64;
    let mut pressed = 0;
    for _ in 0..3000 {
        app.update();
        if session_ended(&app) {
            break;
        }
        let mut buttons = app.world_mut().query_filtered::<(Entity, &Action), (With<Button>, Without<Locked>)>();
        let open: Vec<(Entity, Action)> = buttons.iter(app.world()).map(|(e, a)| (e, *a)).collect();
        if open.is_empty() {
            std::thread::sleep(std::time::Duration::from_millis(2));
            continue;
        }
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let (button, _) = open[(seed % open.len() as u64) as usize];
        app.world_mut().entity_mut(button).insert(Interaction::Pressed);
        pressed += 1;
    }
    assert!(session_ended(&app), "no ending after {pressed} presses");
    app.update();
    let shown = texts(&mut app);
    assert!(shown.iter().any(|t| t.starts_with("The end: ")), "{shown:?}");
    // The page offers to read again, and doing so starts over.
    let mut again = app.world_mut().query::<(Entity, &Action)>();
    let read_again = again.iter(app.world()).find(|(_, a)| **a == Action::ReadAgain).map(|(e, _)| e);
    let read_again = read_again.expect("a Read again button");
    app.world_mut().entity_mut(read_again).insert(Interaction::Pressed);
    app.update();
    app.update();
    assert_eq!(app.world().resource::<Session>().runner().map(|r| r.state().turn), Some(0));
}

fn session_ended(app: &App) -> bool {
    app.world().resource::<Session>().runner().is_some_and(|r| r.ended().is_some())
}
