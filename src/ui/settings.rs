//! The settings screen: text speed, text size, theme, reduced motion, full screen.
//! Changes apply at once and are saved by the plugin.

use super::theme::Palette;
use super::widgets::{button, centred_column, paragraph, screen_header};
use super::{MoodPalette, ScreenPass, UiState, page, palette_now};
use super::{Screen, Settings, TextSpeed, ThemeChoice};
use bevy::prelude::*;
use bevy_egui::egui::{self, RichText, Ui};
use bevy_egui::{EguiContexts, EguiPrimaryContextPass};

/// What the settings screen shows.
#[derive(Clone, Debug, Default)]
pub struct SettingsView {
    /// The settings now.
    pub settings: Settings,
    /// The colours.
    pub palette: Palette,
}

/// What the player did on the settings screen.
#[derive(Clone, Debug, PartialEq)]
pub enum SettingsAction {
    /// The settings changed to these.
    Change(Settings),
    /// Back to the previous screen.
    Back,
}

/// The settings screen.
pub fn settings_screen(ui: &mut Ui, view: &SettingsView) -> Option<SettingsAction> {
    let p = &view.palette;
    let mut s = view.settings.clone();
    let mut action = None;
    // Its own scroll state: the play screen's (scrolled to the bottom) must not carry over.
    egui::ScrollArea::vertical().id_salt("settings").auto_shrink([false, false]).show(ui, |ui| {
        centred_column(ui, 640.0, |ui| {
            ui.add_space(18.0);
            if screen_header(ui, "Settings", p) {
                action = Some(SettingsAction::Back);
            }
            ui.add_space(14.0);
            let heading = |ui: &mut Ui, t: &str| {
                ui.add_space(10.0);
                ui.label(RichText::new(t).strong().color(p.text));
            };
            heading(ui, "Text speed");
            ui.horizontal(|ui| {
                for speed in TextSpeed::ALL {
                    ui.radio_value(&mut s.text_speed, speed, speed.label());
                }
            });
            heading(ui, "Text size");
            ui.add(egui::Slider::new(&mut s.font_size, Settings::FONT_RANGE).step_by(1.0).suffix(" pt"));
            let sample = paragraph(
                ui,
                "The alarm on the thirty-first floor is a recording of birds.",
                s.font_size,
                p.muted,
                false,
                ui.available_width(),
            );
            ui.label(sample);
            heading(ui, "Theme");
            ui.horizontal(|ui| {
                for theme in ThemeChoice::ALL {
                    ui.radio_value(&mut s.theme, theme, theme.label());
                }
            });
            heading(ui, "Comfort");
            ui.checkbox(&mut s.reduce_motion, "Reduce motion (no glow, waveform or colour fades)");
            ui.checkbox(&mut s.fullscreen, "Full screen");
            ui.add_space(18.0);
            if button(ui, "Restore defaults").clicked() {
                s = Settings::default();
            }
            ui.add_space(8.0);
            ui.label(RichText::new("Changes apply at once and are kept for next time.").small().color(p.muted));
        });
    });
    if action.is_none() && s != view.settings {
        action = Some(SettingsAction::Change(s));
    }
    action
}

fn show(
    mut contexts: EguiContexts,
    mut settings: ResMut<Settings>,
    mood: Res<MoodPalette>,
    mut ui_state: ResMut<UiState>,
    mut next: ResMut<NextState<Screen>>,
) -> Result {
    let ctx = contexts.ctx_mut()?;
    let palette = palette_now(ctx, &mood);
    let v = SettingsView { settings: settings.clone(), palette };
    match page(ctx, &palette, |ui| settings_screen(ui, &v)) {
        Some(SettingsAction::Change(s)) => *settings = s,
        Some(SettingsAction::Back) => next.set(ui_state.back_to.take().unwrap_or(Screen::Title)),
        None => {}
    }
    Ok(())
}

pub(super) fn plugin(app: &mut App) {
    app.add_systems(EguiPrimaryContextPass, show.in_set(ScreenPass).run_if(in_state(Screen::Settings)));
}
