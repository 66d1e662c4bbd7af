//! The game's cost of one choice, through the Bevy plugin as the game runs it (the
//! session, the backlog, the autosave and the slot list; saves kept in memory so the
//! disk's fsync does not drown the figure): a choice at turn 300 costs what one at
//! turn 1 does. Timed: the frame the choice is made in. Not timed: the reader reading
//! the page, while the autosave is written on its own thread (`Autosaver::flush`
//! waits for it).
//!
//! Run with `cargo bench --profile dev --bench session`: the dev profile (Bevy
//! optimised, as the tests build it) avoids a second Bevy build; the claim is the
//! ratio between the turns.

use bevy::asset::AssetPlugin;
use bevy::prelude::*;
use bevy::state::app::StatesPlugin;
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use epistle::narrative::synth;
use epistle::plugin::autosave::Autosaver;
use epistle::plugin::{DataStore, EpistlePlugin, Session, StoryCommand, StorySource, StoryStatus};
use std::time::{Duration, Instant};

/// A game of the 1k synthetic story, ready at its title.
fn game() -> App {
    let s = synth::story(1_000);
    let mut app = App::new();
    app.add_plugins((MinimalPlugins, StatesPlugin, AssetPlugin::default()));
    app.add_plugins(
        EpistlePlugin::from_source(StorySource::memory("synthetic", s.manifest, s.chapters))
            .with_store(DataStore::memory("bench"))
            .with_seed(1),
    );
    for _ in 0..1000 {
        app.update();
        if app.world().resource::<Session>().status() == StoryStatus::Ready {
            return app;
        }
    }
    panic!("the story did not load");
}

fn turn(app: &App) -> u32 {
    app.world().resource::<Session>().runner().map_or(0, |r| r.state().turn)
}

/// Takes the first forward choice (choices 0 and 1 lead on; 2 ends the story).
fn choose(app: &mut App) {
    let index = app
        .world()
        .resource::<Session>()
        .runner()
        .and_then(|r| r.choices().into_iter().find(|c| c.enabled && c.index.0 < 2))
        .map(|c| c.index);
    let Some(index) = index else { panic!("no way forward at turn {}", turn(app)) };
    app.world_mut().write_message(StoryCommand::Choose { index, input: None });
    app.update();
}

/// Untimed: a choice, then its autosave written.
fn choose_and_settle(app: &mut App) {
    choose(app);
    app.world_mut().resource_mut::<Autosaver>().flush();
}

fn new_game(app: &mut App) {
    app.world_mut().write_message(StoryCommand::NewGame);
    app.update();
}

fn choice_at_turn(c: &mut Criterion) {
    let mut g = c.benchmark_group("session/choice_at_turn");
    g.sample_size(30);
    for start in [1u32, 300] {
        let mut app = game();
        g.bench_function(BenchmarkId::from_parameter(start), |b| {
            b.iter_custom(|iters| {
                let mut timed = Duration::ZERO;
                for _ in 0..iters {
                    // Measured between turns `start` and `start + 40`, then back.
                    if turn(&app) < start || turn(&app) >= start + 40 {
                        new_game(&mut app);
                        while turn(&app) + 1 < start {
                            choose_and_settle(&mut app);
                        }
                        app.world_mut().resource_mut::<Autosaver>().flush();
                    }
                    let t = Instant::now();
                    choose(&mut app);
                    timed += t.elapsed();
                    // The reader reads; meanwhile the autosave is written.
                    app.world_mut().resource_mut::<Autosaver>().flush();
                }
                timed
            });
        });
    }
    g.finish();
}

criterion_group!(benches, choice_at_turn);
criterion_main!(benches);
