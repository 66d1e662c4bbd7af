//! The saves screen: the autosave and the manual slots, each with its chapter, a line
//! of text and the date; save (asking before overwriting), load, delete, export. It
//! says where saves are kept (a folder, or the browser's storage) and how to import a
//! save file. A file that cannot be read is shown with the reason and left alone.

use super::Screen;
use super::theme::{Palette, story_font};
use super::widgets::{button, centred_column, confirm, small_caps};
use super::{Confirm, MoodPalette, ScreenPass, UiState, page, palette_now};
use crate::plugin::persist::format_date;
use crate::plugin::transfer;
use crate::plugin::{DataStore, SlotId, SlotInfo, SlotList, SlotState, StoryCommand};
use bevy::prelude::*;
use bevy_egui::egui::{self, FontId, Key, RichText, Ui};
use bevy_egui::{EguiContexts, EguiPrimaryContextPass};

/// What the saves screen shows.
#[derive(Clone, Debug, Default)]
pub struct SavesView {
    /// Every slot, the autosave first.
    pub slots: Vec<SlotInfo>,
    /// A game is in progress, so it can be saved.
    pub can_save: bool,
    /// A question waiting for an answer.
    pub confirm: Option<Confirm>,
    /// Where saves are kept, in words (and a warning when they will not last).
    pub storage_note: String,
    /// Saves will not outlive the app: the note is a warning.
    pub temporary: bool,
    /// How to import a save file here.
    pub import_hint: String,
    /// An "Import a save file…" button is offered (the browser's file picker).
    pub can_pick: bool,
    /// The colours.
    pub palette: Palette,
}

/// What the player did on the saves screen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SavesAction {
    /// Save to a slot (asks first when it holds a save).
    Save(SlotId),
    /// Load a slot (asks first when a game is in progress).
    Load(SlotId),
    /// Delete a slot (asks first).
    Delete(SlotId),
    /// Hand a copy of a slot to the player (a download, a file).
    Export(SlotId),
    /// Open the file picker to import a save file.
    Import,
    /// Yes to the open question.
    Confirmed(Confirm),
    /// No to the open question.
    Cancelled,
    /// Back to the previous screen.
    Back,
}

/// The saves screen.
pub fn saves_screen(ui: &mut Ui, view: &SavesView) -> Option<SavesAction> {
    let p = &view.palette;
    let mut action = None;
    if view.confirm.is_none() && ui.input_mut(|i| i.consume_key(egui::Modifiers::NONE, Key::Escape)) {
        action = Some(SavesAction::Back);
    }
    // Its own scroll state: the play screen's (scrolled to the bottom) must not carry over.
    egui::ScrollArea::vertical().id_salt("saves").auto_shrink([false, false]).show(ui, |ui| {
        centred_column(ui, 760.0, |ui| {
            ui.add_space(18.0);
            ui.horizontal(|ui| {
                let title = if view.can_save { "Save or load" } else { "Load a game" };
                ui.label(RichText::new(title).font(FontId::new(34.0, story_font(ui.ctx(), false))).color(p.text));
                ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                    let back = button(ui, "Back (Esc)");
                    if view.confirm.is_none() && ui.memory(|m| m.focused().is_none()) {
                        back.request_focus();
                    }
                    if back.clicked() {
                        action = Some(SavesAction::Back);
                    }
                    if view.can_pick && button(ui, "Import a save file…").clicked() {
                        action = Some(SavesAction::Import);
                    }
                });
            });
            // Where saves live comes first: a player about to trust the page with a
            // game should not have to scroll to learn it.
            let note = RichText::new(&view.storage_note).color(if view.temporary { p.accent } else { p.muted });
            ui.label(if view.temporary { note.strong() } else { note.small() });
            ui.label(RichText::new(&view.import_hint).small().color(p.muted));
            ui.add_space(12.0);
            for slot in &view.slots {
                if let Some(a) = slot_row(ui, slot, view) {
                    action = Some(a);
                }
                ui.add_space(8.0);
            }
            ui.add_space(18.0);
        });
    });
    if let Some(c) = view.confirm {
        let (title, body, yes) = match c {
            Confirm::Overwrite(s) => {
                (format!("Overwrite {}?", s.label().to_lowercase()), "The save in this slot will be replaced.".to_string(), "Overwrite")
            }
            Confirm::Delete(s) => (format!("Delete {}?", s.label().to_lowercase()), "This cannot be undone.".to_string(), "Delete"),
            Confirm::Load(s) => (
                format!("Load {}?", s.label().to_lowercase()),
                "The game in progress will be left; anything since its last save is kept only in the autosave until you choose again."
                    .to_string(),
                "Load",
            ),
            Confirm::NewGame => ("Start a new story?".to_string(), String::new(), "Start"),
        };
        match confirm(ui, &title, &body, yes, p) {
            Some(true) => action = Some(SavesAction::Confirmed(c)),
            Some(false) => action = Some(SavesAction::Cancelled),
            None => {}
        }
    }
    action
}

fn slot_row(ui: &mut Ui, slot: &SlotInfo, view: &SavesView) -> Option<SavesAction> {
    let p = &view.palette;
    let mut action = None;
    egui::Frame::NONE.fill(p.panel).corner_radius(10).inner_margin(egui::Margin::symmetric(18, 14)).show(ui, |ui| {
        ui.set_width(ui.available_width());
        ui.horizontal(|ui| {
            ui.vertical(|ui| {
                ui.set_width((ui.available_width() - 400.0).max(200.0));
                ui.label(small_caps(&slot.id.label(), 12.0, p.accent));
                match &slot.state {
                    SlotState::Empty => {
                        ui.label(RichText::new("Empty").italics().color(p.muted));
                    }
                    SlotState::Saved { chapter, preview, saved_at, turn, ended } => {
                        ui.label(RichText::new(chapter).font(FontId::new(19.0, story_font(ui.ctx(), false))).color(p.text));
                        if !preview.is_empty() {
                            ui.label(RichText::new(preview).font(FontId::new(15.0, story_font(ui.ctx(), true))).color(p.muted));
                        }
                        let when = saved_at.map_or("date unknown".to_string(), format_date);
                        let at = if ended.is_some() { "at an ending".to_string() } else { format!("{turn} choices made") };
                        ui.label(RichText::new(format!("{when} · {at}")).small().color(p.muted));
                    }
                    SlotState::Broken(why) => {
                        ui.label(RichText::new("This file cannot be loaded").color(p.text));
                        ui.label(RichText::new(why.to_string()).small().color(p.muted));
                    }
                }
            });
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                let saved = matches!(slot.state, SlotState::Saved { .. });
                let filled = !matches!(slot.state, SlotState::Empty);
                let name = slot.id.label();
                if saved && button(ui, "Export").on_hover_text(format!("Export {name} as a file")).clicked() {
                    action = Some(SavesAction::Export(slot.id));
                }
                if filled && button(ui, "Delete").on_hover_text(format!("Delete {name}")).clicked() {
                    action = Some(SavesAction::Delete(slot.id));
                }
                if saved && button(ui, "Load").on_hover_text(format!("Load {name}")).clicked() {
                    action = Some(SavesAction::Load(slot.id));
                }
                if view.can_save && slot.id != SlotId::Auto && button(ui, "Save here").on_hover_text(format!("Save to {name}")).clicked() {
                    action = Some(SavesAction::Save(slot.id));
                }
            });
        });
    });
    action
}

#[allow(clippy::too_many_arguments)]
fn show(
    mut contexts: EguiContexts,
    slots: Res<SlotList>,
    store: Res<DataStore>,
    mood: Res<MoodPalette>,
    mut ui_state: ResMut<UiState>,
    mut commands: MessageWriter<StoryCommand>,
    mut next: ResMut<NextState<Screen>>,
) -> Result {
    let ctx = contexts.ctx_mut()?;
    let palette = palette_now(ctx, &mood);
    let v = SavesView {
        slots: slots.0.clone(),
        can_save: ui_state.saves_can_save,
        confirm: ui_state.confirm,
        storage_note: store.location(),
        temporary: store.is_temporary(),
        import_hint: transfer::import_hint().to_string(),
        can_pick: transfer::can_pick(),
        palette,
    };
    let Some(action) = page(ctx, &palette, |ui| saves_screen(ui, &v)) else { return Ok(()) };
    let filled = |id: SlotId| !matches!(slots.get(id), Some(SlotState::Empty) | None);
    match action {
        SavesAction::Save(id) if filled(id) => ui_state.confirm = Some(Confirm::Overwrite(id)),
        SavesAction::Save(id) | SavesAction::Confirmed(Confirm::Overwrite(id)) => {
            ui_state.confirm = None;
            commands.write(StoryCommand::Save(id));
        }
        SavesAction::Load(id) if v.can_save => ui_state.confirm = Some(Confirm::Load(id)),
        SavesAction::Load(id) | SavesAction::Confirmed(Confirm::Load(id)) => {
            ui_state.confirm = None;
            commands.write(StoryCommand::Load(id));
        }
        SavesAction::Delete(id) => ui_state.confirm = Some(Confirm::Delete(id)),
        SavesAction::Confirmed(Confirm::Delete(id)) => {
            ui_state.confirm = None;
            commands.write(StoryCommand::Delete(id));
        }
        SavesAction::Export(id) => {
            commands.write(StoryCommand::Export(id));
        }
        SavesAction::Import => {
            if let Err(e) = transfer::pick() {
                ui_state.toast(format!("Cannot open the file picker: {e}"));
            }
        }
        SavesAction::Confirmed(Confirm::NewGame) | SavesAction::Cancelled => ui_state.confirm = None,
        SavesAction::Back => {
            ui_state.confirm = None;
            next.set(ui_state.back_to.take().unwrap_or(Screen::Title));
        }
    }
    Ok(())
}

pub(super) fn plugin(app: &mut App) {
    app.add_systems(EguiPrimaryContextPass, show.in_set(ScreenPass).run_if(in_state(Screen::Saves)));
}
