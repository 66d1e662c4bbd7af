//! The library: the stories the game ships, when it ships more than one. Each shows
//! its title, author and how many endings the player has found; choosing one opens it
//! (the game in progress keeps its autosave).

use super::Screen;
use super::theme::{Palette, story_font};
use super::widgets::{centred_column, menu_button, screen_header, small_caps};
use super::{MoodPalette, ScreenPass, UiState, page, palette_now};
use crate::plugin::{DataStore, Gallery, Library, StoryAsset, StoryCommand};
use bevy::prelude::*;
use bevy_egui::egui::{self, FontId, RichText, Ui};
use bevy_egui::{EguiContexts, EguiPrimaryContextPass};

/// One story on the shelf.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Shelved {
    /// Its title (its folder's name until it has loaded).
    pub title: String,
    /// Its author.
    pub author: String,
    /// "2 of 7 endings found", or why it cannot be played.
    pub note: String,
    /// It can be opened (it loaded without errors).
    pub playable: bool,
    /// It is the story open now.
    pub current: bool,
}

/// What the library shows.
#[derive(Clone, Debug, Default)]
pub struct LibraryView {
    /// Every story, in the library's order.
    pub stories: Vec<Shelved>,
    /// The colours.
    pub palette: Palette,
}

/// What the player did in the library.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LibraryAction {
    /// Open the story at this place.
    Open(usize),
    /// Back to the title screen.
    Back,
}

/// The library screen.
pub fn library_screen(ui: &mut Ui, view: &LibraryView) -> Option<LibraryAction> {
    let p = &view.palette;
    let mut action = None;
    egui::ScrollArea::vertical().id_salt("library").auto_shrink([false, false]).show(ui, |ui| {
        centred_column(ui, 720.0, |ui| {
            ui.add_space(18.0);
            if screen_header(ui, "Library", p) {
                action = Some(LibraryAction::Back);
            }
            ui.add_space(12.0);
            for (i, s) in view.stories.iter().enumerate() {
                egui::Frame::NONE.fill(p.panel).corner_radius(10).inner_margin(egui::Margin::symmetric(18, 14)).show(ui, |ui| {
                    ui.set_width(ui.available_width());
                    if s.current {
                        ui.label(small_caps("open now", 11.0, p.accent));
                    }
                    ui.label(RichText::new(&s.title).font(FontId::new(24.0, story_font(ui.ctx(), false))).color(p.text));
                    if !s.author.is_empty() {
                        ui.label(
                            RichText::new(format!("by {}", s.author)).font(FontId::new(16.0, story_font(ui.ctx(), true))).color(p.muted),
                        );
                    }
                    ui.label(RichText::new(&s.note).small().color(p.muted));
                    ui.add_space(4.0);
                    let label = if s.current { format!("Back to {}", s.title) } else { format!("Read {}", s.title) };
                    let r = menu_button(ui, &label, s.playable || s.current, 260.0);
                    if i == 0 && ui.memory(|m| m.focused().is_none()) {
                        r.request_focus();
                    }
                    if r.clicked() {
                        action = Some(if s.current { LibraryAction::Back } else { LibraryAction::Open(i) });
                    }
                });
                ui.add_space(8.0);
            }
        });
    });
    action
}

/// Builds the shelf from the library, the loaded stories and each story's gallery.
pub fn view(library: &Library, stories: &Assets<StoryAsset>, data: &DataStore, palette: Palette) -> LibraryView {
    let stories = library
        .entries()
        .iter()
        .enumerate()
        .map(|(i, entry)| {
            let folder = entry.source.display_dir().rsplit('/').next().unwrap_or_default().to_string();
            let current = i == library.current();
            match stories.get(entry.handle.id()) {
                Some(StoryAsset { story: Some(story), .. }) => {
                    let (gallery, _) = Gallery::read(data, &story.id);
                    let found = story.endings.iter().filter(|e| gallery.reached.contains(&e.id)).count();
                    Shelved {
                        title: story.title.clone(),
                        author: story.author.clone(),
                        note: format!("{found} of {} endings found", story.endings.len()),
                        playable: true,
                        current,
                    }
                }
                Some(asset) => Shelved {
                    title: folder,
                    note: format!("Cannot be read: {} problems", asset.errors().count()),
                    current,
                    ..Shelved::default()
                },
                None => Shelved { title: folder, note: "Loading…".to_string(), current, ..Shelved::default() },
            }
        })
        .collect();
    LibraryView { stories, palette }
}

/// What the library shows, kept between frames: the galleries are read from the store
/// only when a story loads, the library changes or an ending is found.
#[derive(Default)]
struct Shelf(Option<LibraryView>);

#[allow(clippy::too_many_arguments)]
fn show(
    mut contexts: EguiContexts,
    library: Res<Library>,
    stories: Res<Assets<StoryAsset>>,
    gallery: Res<Gallery>,
    data: Res<DataStore>,
    mood: Res<MoodPalette>,
    mut shelf: Local<Shelf>,
    mut ui_state: ResMut<UiState>,
    mut commands: MessageWriter<StoryCommand>,
    mut next: ResMut<NextState<Screen>>,
) -> Result {
    let ctx = contexts.ctx_mut()?;
    let palette = palette_now(ctx, &mood);
    if shelf.0.is_none() || library.is_changed() || stories.is_changed() || gallery.is_changed() {
        shelf.0 = Some(view(&library, &stories, &data, palette));
    }
    let Some(v) = shelf.0.as_mut() else { return Ok(()) };
    v.palette = palette;
    match page(ctx, &palette, |ui| library_screen(ui, v)) {
        Some(LibraryAction::Open(i)) => {
            ui_state.migration.clear();
            commands.write(StoryCommand::Open(i));
        }
        Some(LibraryAction::Back) => next.set(Screen::Title),
        None => {}
    }
    Ok(())
}

pub(super) fn plugin(app: &mut App) {
    app.add_systems(EguiPrimaryContextPass, show.in_set(ScreenPass).run_if(in_state(Screen::Library)));
}
