//! The error screen: a story that failed to load, with every diagnostic (file, line,
//! column, message, the likely fix), rendered from the same data as `quill check`.

use super::Screen;
use super::theme::{Palette, story_font};
use super::widgets::{button, centred_column, small_caps};
use super::{MoodPalette, ScreenPass, page, palette_now};
use crate::narrative::{LocatedDiagnostic, Severity};
use crate::plugin::{LoadErrors, StoryCommand};
use bevy::prelude::*;
use bevy_egui::egui::{self, Color32, FontId, RichText, Ui};
use bevy_egui::{EguiContexts, EguiPrimaryContextPass};

/// What the error screen shows.
#[derive(Clone, Debug, Default)]
pub struct ErrorView {
    /// Where the story was looked for.
    pub story: String,
    /// Every diagnostic.
    pub diagnostics: Vec<LocatedDiagnostic>,
    /// The colours.
    pub palette: Palette,
}

/// What the player did on the error screen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorAction {
    /// Load the story again (after fixing it).
    Retry,
    /// Leave the game.
    Quit,
}

/// The error screen.
pub fn error_screen(ui: &mut Ui, view: &ErrorView) -> Option<ErrorAction> {
    let p = &view.palette;
    let mut action = None;
    let errors = view.diagnostics.iter().filter(|d| d.severity == Severity::Error).count();
    // Its own scroll state: the play screen's (scrolled to the bottom) must not carry over.
    egui::ScrollArea::vertical().id_salt("error").auto_shrink([false, false]).show(ui, |ui| {
        centred_column(ui, 860.0, |ui| {
            ui.add_space(18.0);
            ui.label(RichText::new("This story could not be opened").font(FontId::new(32.0, story_font(ui.ctx(), false))).color(p.text));
            let s = if errors == 1 { "" } else { "s" };
            ui.label(RichText::new(format!("{errors} problem{s} in {}. Fix them and press Try again.", view.story)).color(p.muted));
            ui.add_space(8.0);
            ui.horizontal(|ui| {
                let retry = button(ui, "Try again");
                if ui.memory(|m| m.focused().is_none()) {
                    retry.request_focus();
                }
                if retry.clicked() {
                    action = Some(ErrorAction::Retry);
                }
                if !cfg!(target_arch = "wasm32") && button(ui, "Quit").clicked() {
                    action = Some(ErrorAction::Quit);
                }
            });
            ui.add_space(12.0);
            for d in &view.diagnostics {
                diagnostic(ui, d, p);
                ui.add_space(8.0);
            }
        });
    });
    action
}

fn diagnostic(ui: &mut Ui, d: &LocatedDiagnostic, p: &Palette) {
    let (kind, colour) = match d.severity {
        Severity::Error => ("error", Color32::from_rgb(0xc0, 0x3a, 0x2b)),
        Severity::Warning => ("warning", Color32::from_rgb(0xb0, 0x7a, 0x10)),
    };
    let colour = if p.light { colour } else { super::theme::mix(colour, Color32::WHITE, 0.35) };
    egui::Frame::NONE.fill(p.panel).corner_radius(8).inner_margin(egui::Margin::symmetric(16, 12)).show(ui, |ui| {
        ui.set_width(ui.available_width());
        ui.label(small_caps(&format!("{kind} {}", d.code), 12.0, colour));
        ui.label(RichText::new(&d.message).color(p.text).strong());
        for l in &d.labels {
            let text = format!(
                "{}:{}:{}{}",
                l.file,
                l.start.line,
                l.start.column,
                if l.message.is_empty() { String::new() } else { format!(" — {}", l.message) }
            );
            ui.label(RichText::new(text).monospace().color(if l.primary { p.text } else { p.muted }));
        }
        if let Some(h) = &d.help {
            ui.label(RichText::new(format!("help: {h}")).color(p.accent));
        }
        for n in &d.notes {
            ui.label(RichText::new(format!("note: {n}")).small().color(p.muted));
        }
    });
}

fn show(
    mut contexts: EguiContexts,
    errors: Res<LoadErrors>,
    mood: Res<MoodPalette>,
    mut commands: MessageWriter<StoryCommand>,
    mut exit: MessageWriter<AppExit>,
) -> Result {
    let ctx = contexts.ctx_mut()?;
    let palette = palette_now(ctx, &mood);
    let v = ErrorView { story: errors.story.clone(), diagnostics: errors.diagnostics.clone(), palette };
    match page(ctx, &palette, |ui| error_screen(ui, &v)) {
        Some(ErrorAction::Retry) => {
            commands.write(StoryCommand::Reload);
        }
        Some(ErrorAction::Quit) => {
            exit.write(AppExit::Success);
        }
        None => {}
    }
    Ok(())
}

/// While loading: a quiet page, so the window is never blank.
fn loading(mut contexts: EguiContexts, mood: Res<MoodPalette>) -> Result {
    let ctx = contexts.ctx_mut()?;
    let palette = palette_now(ctx, &mood);
    page(ctx, &palette, |ui| {
        ui.centered_and_justified(|ui| ui.label(RichText::new("Opening the story…").color(palette.muted)));
    });
    Ok(())
}

pub(super) fn plugin(app: &mut App) {
    app.add_systems(EguiPrimaryContextPass, show.in_set(ScreenPass).run_if(in_state(Screen::Error)));
    app.add_systems(EguiPrimaryContextPass, loading.in_set(ScreenPass).run_if(in_state(Screen::Loading)));
}
