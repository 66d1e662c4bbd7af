//! The endings gallery: every ending found in any playthrough, with its description;
//! locked ones with their hint; secret ones hidden until found; and the count.

use super::Screen;
use super::theme::{Palette, story_font};
use super::widgets::{centred_column, screen_header, small_caps};
use super::{MoodPalette, ScreenPass, UiState, page, palette_now};
use crate::plugin::{Gallery, Session};
use bevy::prelude::*;
use bevy_egui::egui::{self, FontId, RichText, Ui};
use bevy_egui::{EguiContexts, EguiPrimaryContextPass};

/// One ending in the gallery.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EndingEntry {
    /// Found: its title and description.
    Found {
        /// Its title.
        title: String,
        /// Its description.
        description: String,
    },
    /// Not yet found: the hint.
    Locked {
        /// The writer's hint.
        hint: String,
    },
    /// A secret ending not yet found: nothing is told.
    Secret,
}

/// What the gallery shows.
#[derive(Clone, Debug, Default)]
pub struct EndingsView {
    /// Every ending, in the story's order.
    pub entries: Vec<EndingEntry>,
    /// The colours.
    pub palette: Palette,
}

impl EndingsView {
    /// "3 of 7 endings found".
    pub fn count(&self) -> String {
        let found = self.entries.iter().filter(|e| matches!(e, EndingEntry::Found { .. })).count();
        format!("{found} of {} endings found", self.entries.len())
    }
}

/// What the player did in the gallery.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EndingsAction {
    /// Back to the previous screen.
    Back,
}

/// The endings gallery.
pub fn endings_screen(ui: &mut Ui, view: &EndingsView) -> Option<EndingsAction> {
    let p = &view.palette;
    let mut action = None;
    // Its own scroll state: the play screen's (scrolled to the bottom) must not carry over.
    egui::ScrollArea::vertical().id_salt("endings").auto_shrink([false, false]).show(ui, |ui| {
        centred_column(ui, 720.0, |ui| {
            ui.add_space(18.0);
            if screen_header(ui, "Endings", p) {
                action = Some(EndingsAction::Back);
            }
            ui.label(RichText::new(view.count()).color(p.muted));
            ui.add_space(12.0);
            for (i, e) in view.entries.iter().enumerate() {
                egui::Frame::NONE.fill(p.panel).corner_radius(10).inner_margin(egui::Margin::symmetric(18, 14)).show(ui, |ui| {
                    ui.set_width(ui.available_width());
                    let n = format!("ending {}", i + 1);
                    match e {
                        EndingEntry::Found { title, description } => {
                            ui.label(small_caps(&n, 11.0, p.accent));
                            ui.label(RichText::new(title).font(FontId::new(21.0, story_font(ui.ctx(), false))).color(p.text));
                            ui.label(RichText::new(description).font(FontId::new(16.0, story_font(ui.ctx(), true))).color(p.muted));
                        }
                        EndingEntry::Locked { hint } => {
                            ui.label(small_caps(&format!("{n} · locked"), 11.0, p.muted));
                            ui.label(
                                RichText::new(format!("Hint: {hint}")).font(FontId::new(16.0, story_font(ui.ctx(), true))).color(p.muted),
                            );
                        }
                        EndingEntry::Secret => {
                            ui.label(small_caps(&format!("{n} · secret"), 11.0, p.muted));
                            ui.label(RichText::new("A secret ending. Nothing more is told until you find it.").italics().color(p.muted));
                        }
                    }
                });
                ui.add_space(8.0);
            }
        });
    });
    action
}

/// Builds the gallery from the story and the endings reached.
pub fn view(session: &Session, gallery: &Gallery, palette: Palette) -> EndingsView {
    let entries = session
        .story()
        .map(|s| {
            s.endings
                .iter()
                .enumerate()
                .map(|(i, e)| {
                    if gallery.reached.contains(&e.id) {
                        EndingEntry::Found { title: e.title.clone(), description: s.ending_description_default(i as u32) }
                    } else if e.secret {
                        EndingEntry::Secret
                    } else {
                        EndingEntry::Locked { hint: e.hint.clone() }
                    }
                })
                .collect()
        })
        .unwrap_or_default();
    EndingsView { entries, palette }
}

fn show(
    mut contexts: EguiContexts,
    session: Res<Session>,
    gallery: Res<Gallery>,
    mood: Res<MoodPalette>,
    mut ui_state: ResMut<UiState>,
    mut next: ResMut<NextState<Screen>>,
) -> Result {
    let ctx = contexts.ctx_mut()?;
    let palette = palette_now(ctx, &mood);
    let v = view(&session, &gallery, palette);
    if let Some(EndingsAction::Back) = page(ctx, &palette, |ui| endings_screen(ui, &v)) {
        next.set(ui_state.back_to.take().unwrap_or(Screen::Title));
    }
    Ok(())
}

pub(super) fn plugin(app: &mut App) {
    app.add_systems(EguiPrimaryContextPass, show.in_set(ScreenPass).run_if(in_state(Screen::Endings)));
}
