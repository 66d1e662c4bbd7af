//! The egui front end: one screen per [`Screen`] state, the theme, and the widgets.
//!
//! A screen is a plain function of a view model that returns an action
//! (`fn play_screen(ui, &PlayView) -> Option<PlayAction>`), so tests drive it without
//! Bevy. Each screen file also holds the thin Bevy system that builds its view from
//! resources and turns its action into [`StoryCommand`]s or a state change. The UI
//! never mutates story state directly.

pub mod autoplay;
pub mod drop;
pub mod endings;
pub mod error;
pub mod idle;
pub mod library;
pub mod play;
pub mod prefs;
pub mod reveal;
pub mod saves;
pub mod settings;
pub mod theme;
pub mod title;
#[cfg(target_arch = "wasm32")]
pub mod web;
pub mod widgets;

use crate::plugin::{PageReason, Session, SlotId, StoryNotice};
use bevy::prelude::*;
use bevy::winit::{UpdateMode, WinitSettings};
use bevy_egui::egui::{self, Color32};
use bevy_egui::{EguiContext, EguiContexts, EguiPlugin, EguiPreUpdateSet, EguiPrimaryContextPass};
pub use prefs::{Settings, TextSpeed, ThemeChoice};
use std::time::Duration;
use theme::Palette;

/// The screens of the game. The front end follows the engine's notices: `Loading`
/// while a story loads, `Title` when it is ready, `Playing` when a page changes,
/// `Error` when it failed; the player moves to the others.
#[derive(States, Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Screen {
    /// The story is loading.
    #[default]
    Loading,
    /// The title screen.
    Title,
    /// Reading.
    Playing,
    /// Save slots (saving is offered only when a game is in progress).
    Saves,
    /// The endings gallery.
    Endings,
    /// Settings.
    Settings,
    /// The story failed to load; every diagnostic is listed.
    Error,
    /// The stories the game ships, when it ships more than one.
    Library,
}

/// What the front end shows that a page or a test may wait on: the label of the
/// widget with the keyboard focus, and whether the page's text is all revealed. The
/// front end fills it; the web build publishes it with the status.
#[derive(Resource, Clone, Debug, Default, PartialEq, Eq)]
pub struct FrontStatus {
    /// The focused widget's label, if a widget has the focus.
    pub focus: Option<String>,
    /// On the play screen: the text is revealed and the choices are shown.
    pub revealed: bool,
}

/// Moves between screens as the engine reports: loading, ready, failed, a new page.
/// A live edit (the page changed under the reader) leaves the screen as it is.
fn follow_engine(mut notices: MessageReader<StoryNotice>, mut next: ResMut<NextState<Screen>>) {
    for n in notices.read() {
        match n {
            StoryNotice::StoryLoading => next.set(Screen::Loading),
            StoryNotice::StoryReady => next.set(Screen::Title),
            StoryNotice::StoryFailed => next.set(Screen::Error),
            StoryNotice::PageChanged(PageReason::Edited) => {}
            StoryNotice::PageChanged(_) => next.set(Screen::Playing),
            _ => {}
        }
    }
}

/// Front-end state that is not the story's: dialogs, panels, messages.
#[derive(Resource, Debug, Default)]
pub struct UiState {
    /// The saves screen lets the player save (a game is in progress), not only load.
    pub saves_can_save: bool,
    /// The screen to return to from saves, endings or settings.
    pub back_to: Option<Screen>,
    /// The history panel is open.
    pub history_open: bool,
    /// The choice whose text prompt is open, and what has been typed.
    pub prompt: Option<(u32, String)>,
    /// When the prompt opened (egui seconds), to keep the number key that opened it
    /// out of the text.
    pub prompt_opened: f64,
    /// A question waiting for the player's yes or no.
    pub confirm: Option<Confirm>,
    /// Short messages, newest last, with the time they expire.
    pub toasts: Vec<(String, f64)>,
    /// What a loaded save's migration changed, shown on the play screen until dismissed.
    pub migration: Vec<String>,
}

impl UiState {
    /// Shows a short message for a few seconds.
    pub fn toast(&mut self, text: impl Into<String>) {
        self.toasts.push((text.into(), f64::NEG_INFINITY));
    }
}

/// A question the player must answer before something irreversible happens.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Confirm {
    /// Start a new game although an autosave exists.
    NewGame,
    /// Overwrite this slot.
    Overwrite(SlotId),
    /// Delete this slot.
    Delete(SlotId),
    /// Load this slot, leaving the game in progress.
    Load(SlotId),
}

/// The palette on screen, fading from the previous mood to the current one.
#[derive(Resource, Clone, Copy, Debug)]
pub struct MoodPalette {
    from: Palette,
    to: Palette,
    started: f64,
}

impl Default for MoodPalette {
    fn default() -> MoodPalette {
        let p = Palette::for_mood(Default::default(), None);
        MoodPalette { from: p, to: p, started: 0.0 }
    }
}

/// How long the palette takes to shift to a new mood, in seconds.
const MOOD_FADE: f64 = 1.2;

impl MoodPalette {
    /// The palette at time `now`, and whether it is still changing.
    pub fn at(&self, now: f64) -> (Palette, bool) {
        let t = ((now - self.started) / MOOD_FADE).clamp(0.0, 1.0) as f32;
        // Ease in and out, so the shift is felt rather than seen.
        let eased = t * t * (3.0 - 2.0 * t);
        (self.from.lerp(&self.to, eased), t < 1.0)
    }

    fn retarget(&mut self, to: Palette, now: f64, instant: bool) {
        if to == self.to {
            return;
        }
        let (current, _) = self.at(now);
        *self = MoodPalette { from: if instant { to } else { current }, to, started: now };
    }
}

/// The mood of the node the reader is at, from its `mood:` tag.
pub fn current_mood(session: &Session) -> Option<String> {
    let r = session.runner()?;
    r.story().node(r.state().node).tag("mood").map(str::to_string)
}

/// Shows `add` as the whole window: the page's colour, generous margins, and the
/// toasts on top. Returns what `add` returned.
pub fn page<R>(ctx: &egui::Context, palette: &Palette, add: impl FnOnce(&mut egui::Ui) -> R) -> R {
    let mut root = egui::Ui::new(
        ctx.clone(),
        egui::Id::new("epistle_page"),
        egui::UiBuilder::new().layer_id(egui::LayerId::background()).max_rect(ctx.viewport_rect()),
    );
    let frame = egui::Frame::NONE.fill(palette.bg).inner_margin(egui::Margin::symmetric(32, 24));
    let inner = egui::CentralPanel::default().frame(frame).show(&mut root, add).inner;
    focus_ring(ctx, palette);
    inner
}

/// Rings the widget with the keyboard focus, whatever it is, on top of everything:
/// a keyboard player always sees where they are.
fn focus_ring(ctx: &egui::Context, palette: &Palette) {
    let Some(id) = ctx.memory(|m| m.focused()) else { return };
    let Some(r) = ctx.read_response(id) else { return };
    let painter = ctx.layer_painter(egui::LayerId::new(egui::Order::Tooltip, egui::Id::new("epistle_focus")));
    painter.rect_stroke(r.rect.expand(3.0), 11.0, egui::Stroke::new(2.0, palette.accent), egui::StrokeKind::Outside);
}

/// Shows the toasts in the bottom corner.
fn toasts(ctx: &egui::Context, palette: &Palette, toasts: &[(String, f64)]) {
    if toasts.is_empty() {
        return;
    }
    egui::Area::new(egui::Id::new("epistle_toasts")).anchor(egui::Align2::CENTER_BOTTOM, egui::vec2(0.0, -28.0)).interactable(false).show(
        ctx,
        |ui| {
            for (text, _) in toasts {
                egui::Frame::NONE
                    .fill(palette.text)
                    .corner_radius(8)
                    .inner_margin(egui::Margin::symmetric(16, 10))
                    .show(ui, |ui| ui.label(egui::RichText::new(text).color(palette.bg)));
            }
        },
    );
}

fn setup(mut commands: Commands) {
    // egui smooths its own edges: multisampling would only multiply the fill cost
    // (four samples a pixel, then a resolve), which a software renderer feels.
    commands.spawn((Camera2d, bevy::render::view::Msaa::Off));
}

/// Gives each new egui context the fonts before its first pass, so the first frame
/// (the one the web page waits for) is drawn in them.
fn fonts_for_new_contexts(mut contexts: Query<&mut EguiContext, Added<EguiContext>>) {
    for mut ctx in &mut contexts {
        theme::install_fonts(ctx.get_mut());
    }
}

/// The window sleeps while nothing happens, but a story loading is not a window
/// event, and a resized window needs a few frames for egui to lay the screen out at
/// the new size (in a browser it got one, at the old layout, and then slept). From
/// the start of loading, or a resize, until the next screen has been drawn a few
/// times, ask for frame after frame (in a browser, this is also the wait before the
/// loading cover lifts).
fn awake_while_settling(
    screen: Res<State<Screen>>,
    mut resized: MessageReader<bevy::window::WindowResized>,
    mut drawn: Local<u32>,
    mut redraw: MessageWriter<bevy::window::RequestRedraw>,
) {
    if *screen.get() == Screen::Loading || resized.read().count() > 0 {
        *drawn = 0;
    } else if *drawn >= 3 {
        return;
    } else {
        *drawn += 1;
    }
    redraw.write(bevy::window::RequestRedraw);
}

/// Keeps the style in step with the settings and the mood.
/// With `EPISTLE_DEBUG_REPAINT` set, logs why each frame was drawn (for idle checks).
#[allow(clippy::too_many_arguments)]
fn style(
    mut contexts: EguiContexts,
    settings: Res<Settings>,
    session: Res<Session>,
    state: Res<State<Screen>>,
    mut mood: ResMut<MoodPalette>,
    mut clear: ResMut<ClearColor>,
    mut last: Local<Option<(Palette, u32)>>,
) -> Result {
    let ctx = contexts.ctx_mut()?;
    let now = ctx.input(|i| i.time);
    if std::env::var_os("EPISTLE_DEBUG_REPAINT").is_some() {
        info!("repaint causes: {:?} events {:?}", ctx.repaint_causes(), ctx.input(|i| i.raw.events.clone()));
    }
    let scene = if *state.get() == Screen::Playing { current_mood(&session) } else { None };
    mood.retarget(Palette::for_mood(settings.theme, scene.as_deref()), now, settings.reduce_motion);
    let (palette, fading) = mood.at(now);
    if fading {
        ctx.request_repaint();
    }
    let key = (palette, settings.font_size.to_bits());
    if last.as_ref() != Some(&key) {
        // The same style whatever the system's light or dark preference: the theme is
        // the player's choice in the settings.
        let style = theme::style(&palette, settings.font_size);
        ctx.set_style_of(egui::Theme::Dark, style.clone());
        ctx.set_style_of(egui::Theme::Light, style);
        let c = palette.bg;
        clear.0 = Color::srgb_u8(c.r(), c.g(), c.b());
        *last = Some(key);
    }
    Ok(())
}

/// Turns notices into toasts and drops expired ones.
fn notices(mut reader: MessageReader<StoryNotice>, mut ui: ResMut<UiState>, session: Res<Session>, time: Res<Time<Real>>) {
    let now = time.elapsed_secs_f64();
    for n in reader.read() {
        let text = match n {
            StoryNotice::Saved(slot) => format!("Saved to {}", slot.label().to_lowercase()),
            StoryNotice::Deleted(slot) => format!("{} deleted", slot.label()),
            StoryNotice::Exported { slot, to } => format!("{} exported to {to}", slot.label()),
            StoryNotice::Imported(slot) => format!("Imported into {}", slot.label().to_lowercase()),
            StoryNotice::Problem(p) => capitalise(&p.to_string()),
            StoryNotice::EndingReached { id, first: true } => {
                let title = session.story().and_then(|s| s.endings.iter().find(|e| &e.id == id)).map_or(id.clone(), |e| e.title.clone());
                format!("New ending found: {title}")
            }
            StoryNotice::Loaded { migration, .. } => {
                ui.migration.clone_from(migration);
                ui.history_open = false;
                ui.prompt = None;
                continue;
            }
            StoryNotice::Reloaded(lines) => {
                ui.migration.clone_from(lines);
                ui.prompt = None;
                continue;
            }
            StoryNotice::PageChanged(_) => {
                ui.prompt = None;
                continue;
            }
            _ => continue,
        };
        ui.toasts.push((text, now + 4.0));
    }
    for t in ui.toasts.iter_mut().filter(|t| t.1 == f64::NEG_INFINITY) {
        t.1 = now + 4.0;
    }
    if ui.toasts.iter().any(|t| t.1 <= now) {
        ui.toasts.retain(|t| t.1 > now);
    }
}

pub(crate) fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    c.next().map_or(String::new(), |f| f.to_uppercase().chain(c).collect())
}

/// Draws the toasts over whichever screen is showing.
fn show_toasts(mut contexts: EguiContexts, ui: Res<UiState>, mood: Res<MoodPalette>) -> Result {
    let ctx = contexts.ctx_mut()?;
    let (palette, _) = mood.at(ctx.input(|i| i.time));
    toasts(ctx, &palette, &ui.toasts);
    Ok(())
}

/// Notes which widget has the keyboard focus (by the label it noted, see
/// [`widgets::note_focus`]) and whether the page is revealed, for pages and tests to
/// wait on.
fn front_status(
    mut contexts: EguiContexts,
    reveal: Res<reveal::Reveal>,
    screen: Res<State<Screen>>,
    mut status: ResMut<FrontStatus>,
) -> Result {
    let ctx = contexts.ctx_mut()?;
    let mut next = status.clone();
    next.focus = widgets::focused_label(ctx);
    next.revealed = *screen.get() == Screen::Playing && reveal.done;
    if next != *status {
        *status = next;
    }
    Ok(())
}

/// Applies the full-screen setting to the window.
fn window_mode(settings: Res<Settings>, mut windows: Query<&mut Window, With<bevy::window::PrimaryWindow>>) {
    use bevy::window::{MonitorSelection, WindowMode};
    for mut w in &mut windows {
        let mode = if settings.fullscreen { WindowMode::BorderlessFullscreen(MonitorSelection::Current) } else { WindowMode::Windowed };
        if w.mode != mode {
            w.mode = mode;
        }
    }
}

/// The palette of the page right now (for screens' systems).
pub fn palette_now(ctx: &egui::Context, mood: &MoodPalette) -> Palette {
    mood.at(ctx.input(|i| i.time)).0
}

/// Colour of hairlines on a page.
pub fn rule(palette: &Palette) -> Color32 {
    theme::mix(palette.bg, palette.text, 0.18)
}

/// The egui front end as a plugin: every screen, the theme, the widgets. Add it beside
/// [`crate::plugin::EpistlePlugin`] for the bundled game's screens; leave it out to
/// drive the engine from a front end of your own.
#[derive(Clone, Copy, Debug, Default)]
pub struct EpistleUiPlugin;

impl Plugin for EpistleUiPlugin {
    fn build(&self, app: &mut App) {
        plugin(app);
    }
}

/// The screens and everything they share (see [`EpistleUiPlugin`]).
fn plugin(app: &mut App) {
    if !app.is_plugin_added::<EguiPlugin>() {
        app.add_plugins(EguiPlugin::default());
    }
    // Reactive: with no input and nothing animating, nothing is redrawn. Animations
    // ask egui for a repaint, which wakes the loop. (Bevy's own default is a game loop
    // that redraws continuously while focused.)
    // Without input the loop still wakes every 30 s (a minute when unfocused), so
    // expired messages disappear; raw mouse motion elsewhere on the desktop does not
    // wake it.
    app.insert_resource(WinitSettings {
        focused_mode: UpdateMode::reactive_low_power(Duration::from_secs(30)),
        unfocused_mode: UpdateMode::reactive_low_power(Duration::from_secs(60)),
    });
    app.init_resource::<ClearColor>().init_resource::<UiState>().init_resource::<MoodPalette>();
    app.add_systems(Startup, setup);
    app.add_systems(Update, (notices.after(crate::plugin::EpistleSet::Commands), window_mode.run_if(resource_changed::<Settings>)));
    app.add_systems(Last, awake_while_settling);
    app.add_systems(PreUpdate, fonts_for_new_contexts.after(EguiPreUpdateSet::InitContexts).before(EguiPreUpdateSet::BeginPass));
    app.add_systems(EguiPrimaryContextPass, style.before(ScreenPass));
    app.add_systems(EguiPrimaryContextPass, (show_toasts, front_status).after(ScreenPass));
    app.init_resource::<FrontStatus>();
    app.init_state::<Screen>();
    app.add_systems(Update, follow_engine.after(crate::plugin::EpistleSet::Commands));
    app.configure_sets(EguiPrimaryContextPass, ScreenPass);
    app.add_plugins((
        reveal::plugin,
        title::plugin,
        play::plugin,
        saves::plugin,
        endings::plugin,
        settings::plugin,
        error::plugin,
        autoplay::plugin,
        idle::plugin,
        prefs::plugin,
        drop::plugin,
        library::plugin,
    ));
    #[cfg(target_arch = "wasm32")]
    app.add_plugins(web::plugin);
}

/// The system set the screens draw in (after the style is set, before the toasts).
#[derive(SystemSet, Clone, Debug, PartialEq, Eq, Hash)]
pub struct ScreenPass;
