//! The title screen: the story's title and author, and the way in.

use super::Screen;
use super::theme::{Palette, story_font};
use super::widgets::{confirm, menu_button, small_caps};
use super::{Confirm, MoodPalette, ScreenPass, UiState, page, palette_now};
use crate::plugin::{Gallery, Library, Session, SlotId, SlotList, SlotState, StoryCommand};
use bevy::prelude::*;
use bevy_egui::egui::{self, Align, FontId, Layout, RichText, Ui};
use bevy_egui::{EguiContexts, EguiPrimaryContextPass};

/// What the title screen shows.
#[derive(Clone, Debug, Default)]
pub struct TitleView {
    /// The story's title.
    pub title: String,
    /// Its author.
    pub author: String,
    /// Where the autosave is, when there is one: "Chapter — a line of text".
    pub continue_from: Option<String>,
    /// Endings found and endings in all.
    pub endings: (usize, usize),
    /// Ask before a new game replaces the autosave.
    pub confirm_new: bool,
    /// The game ships other stories: offer the library.
    pub library: bool,
    /// The colours.
    pub palette: Palette,
}

/// What the player chose on the title screen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TitleAction {
    /// Start from the beginning (asks first when an autosave exists).
    NewGame,
    /// Confirmed: start from the beginning.
    ConfirmNewGame,
    /// Not now.
    CancelNewGame,
    /// Resume the autosave.
    Continue,
    /// Open the saves screen.
    Load,
    /// Open the endings gallery.
    Endings,
    /// Open the settings.
    Settings,
    /// Open the library of stories.
    Library,
    /// Leave the game.
    Quit,
}

/// The title screen.
pub fn title_screen(ui: &mut Ui, view: &TitleView) -> Option<TitleAction> {
    let mut action = None;
    let p = &view.palette;
    let h = ui.available_height();
    ui.with_layout(Layout::top_down(Align::Center), |ui| {
        ui.add_space((h * 0.16).max(24.0));
        ui.label(small_caps("a story", 13.0, p.muted));
        ui.add_space(4.0);
        ui.label(RichText::new(&view.title).font(FontId::new(54.0, story_font(ui.ctx(), false))).color(p.text));
        if !view.author.is_empty() {
            ui.label(RichText::new(format!("by {}", view.author)).font(FontId::new(19.0, story_font(ui.ctx(), true))).color(p.muted));
        }
        ui.add_space(18.0);
        let (rule, _) = ui.allocate_exact_size(egui::vec2(56.0, 2.0), egui::Sense::hover());
        ui.painter().rect_filled(rule, 1.0, p.accent);
        ui.add_space(26.0);
        let w = 300.0;
        let has_save = view.continue_from.is_some();
        // The most likely wish goes first and has the keyboard focus.
        let mut buttons = Vec::new();
        if has_save {
            buttons.push(("Continue", true, TitleAction::Continue));
            buttons.push(("New game", true, TitleAction::NewGame));
        } else {
            buttons.push(("New game", true, TitleAction::NewGame));
            buttons.push(("Continue", false, TitleAction::Continue));
        }
        buttons.extend([
            ("Load", true, TitleAction::Load),
            ("Endings", true, TitleAction::Endings),
            ("Settings", true, TitleAction::Settings),
        ]);
        if view.library {
            buttons.push(("Other stories", true, TitleAction::Library));
        }
        // A page is left by closing its tab; quitting would only freeze the canvas.
        if !cfg!(target_arch = "wasm32") {
            buttons.push(("Quit", true, TitleAction::Quit));
        }
        for (i, (label, enabled, a)) in buttons.into_iter().enumerate() {
            let r = menu_button(ui, label, enabled, w);
            if i == 0 && !view.confirm_new && ui.memory(|m| m.focused().is_none()) {
                r.request_focus();
            }
            if r.clicked() {
                action = Some(a);
            }
        }
        ui.add_space(16.0);
        if let Some(from) = &view.continue_from {
            ui.label(RichText::new(format!("Last read: {from}")).small().color(p.muted));
        }
        let (found, all) = view.endings;
        ui.label(RichText::new(format!("{found} of {all} endings found")).small().color(p.muted));
        ui.add_space(8.0);
        ui.label(RichText::new("Arrows or Tab to move · Enter to choose").small().color(p.muted));
    });
    if view.confirm_new {
        match confirm(ui, "Start a new story?", "Your autosave will be replaced by the new game. Saved slots are kept.", "Start anew", p) {
            Some(true) => action = Some(TitleAction::ConfirmNewGame),
            Some(false) => action = Some(TitleAction::CancelNewGame),
            None => {}
        }
    }
    action
}

/// Builds the title view from the resources.
pub fn view(session: &Session, slots: &SlotList, gallery: &Gallery, confirm_new: bool, palette: Palette, library: bool) -> TitleView {
    let Some(story) = session.story() else { return TitleView { palette, ..Default::default() } };
    let continue_from = match slots.get(SlotId::Auto) {
        Some(SlotState::Saved { chapter, preview, .. }) => {
            Some(if preview.is_empty() { chapter.clone() } else { format!("{chapter} — {preview}") })
        }
        _ => None,
    };
    let found = story.endings.iter().filter(|e| gallery.reached.contains(&e.id)).count();
    TitleView {
        title: story.title.clone(),
        author: story.author.clone(),
        continue_from,
        endings: (found, story.endings.len()),
        confirm_new,
        palette,
        library,
    }
}

#[allow(clippy::too_many_arguments)]
fn show(
    mut contexts: EguiContexts,
    session: Res<Session>,
    slots: Res<SlotList>,
    gallery: Res<Gallery>,
    mood: Res<MoodPalette>,
    mut ui_state: ResMut<UiState>,
    mut commands: MessageWriter<StoryCommand>,
    mut next: ResMut<NextState<Screen>>,
    mut exit: MessageWriter<AppExit>,
    library: Res<Library>,
) -> Result {
    let ctx = contexts.ctx_mut()?;
    let palette = palette_now(ctx, &mood);
    let v = view(&session, &slots, &gallery, ui_state.confirm == Some(Confirm::NewGame), palette, library.entries().len() > 1);
    let Some(action) = page(ctx, &palette, |ui| title_screen(ui, &v)) else { return Ok(()) };
    match action {
        TitleAction::NewGame if v.continue_from.is_some() => ui_state.confirm = Some(Confirm::NewGame),
        TitleAction::NewGame | TitleAction::ConfirmNewGame => {
            ui_state.confirm = None;
            commands.write(StoryCommand::NewGame);
        }
        TitleAction::CancelNewGame => ui_state.confirm = None,
        TitleAction::Continue => {
            commands.write(StoryCommand::Continue);
        }
        TitleAction::Load => {
            ui_state.saves_can_save = false;
            ui_state.back_to = Some(Screen::Title);
            next.set(Screen::Saves);
        }
        TitleAction::Endings => {
            ui_state.back_to = Some(Screen::Title);
            next.set(Screen::Endings);
        }
        TitleAction::Settings => {
            ui_state.back_to = Some(Screen::Title);
            next.set(Screen::Settings);
        }
        TitleAction::Library => next.set(Screen::Library),
        TitleAction::Quit => {
            exit.write(AppExit::Success);
        }
    }
    Ok(())
}

pub(super) fn plugin(app: &mut App) {
    app.add_systems(EguiPrimaryContextPass, show.in_set(ScreenPass).run_if(in_state(Screen::Title)));
}
