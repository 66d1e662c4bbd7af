//! Keeps an idle game idle. bevy_egui 0.42 tells egui the keyboard modifiers on every
//! update, as an input event; egui treats any event as a reason to repaint, and
//! bevy_egui turns that repaint into another update: the app never rests (about 70%
//! of a core on the title screen). This drops the event when the modifiers did not
//! change (egui keeps the last ones it was told), so with no input and nothing
//! animating, nothing is redrawn.

use bevy::platform::collections::HashMap;
use bevy::prelude::*;
use bevy_egui::egui::{Event, Modifiers};
use bevy_egui::{EguiInput, EguiInputSet};

fn drop_unchanged_modifiers(mut inputs: Query<(Entity, &mut EguiInput)>, mut last: Local<HashMap<Entity, Modifiers>>) {
    for (entity, mut input) in &mut inputs {
        let prev = last.get(&entity).copied();
        let mut now = prev;
        input.events.retain(|e| match e {
            Event::ModifiersChanged(m) => {
                let keep = now != Some(*m);
                now = Some(*m);
                keep
            }
            _ => true,
        });
        if let Some(m) = now {
            last.insert(entity, m);
        }
    }
}

pub(super) fn plugin(app: &mut App) {
    app.add_systems(PreUpdate, drop_unchanged_modifiers.after(EguiInputSet::WriteEguiEvents));
}
