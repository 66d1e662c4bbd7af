//! The signals the web page listens for: `window.epistleStatus` (the screen, the
//! story's place, the focused widget) and the `epistle-ready` event when the first
//! screen is drawn. Only built for `wasm32`.

use super::{FrontStatus, Screen};
use crate::plugin::{Session, StoryNotice};
use bevy::prelude::*;
use wasm_bindgen::prelude::*;

/// Tells the page where the game is: `window.epistleStatus` holds this JSON text
/// (the end-to-end test reads it), and the page's `epistle-status` event fires.
pub fn publish_status(json: &str) {
    let Some(window) = web_sys::window() else { return };
    let _ = js_sys::Reflect::set(&window, &JsValue::from_str("epistleStatus"), &JsValue::from_str(json));
    if let Ok(event) = web_sys::Event::new("epistle-status") {
        let _ = window.dispatch_event(&event);
    }
}

/// Tells the page the first screen is drawn (its `epistle-ready` event): the page
/// hides its loading indicator and records the time.
pub fn mark_ready() {
    let Some(window) = web_sys::window() else { return };
    if let Ok(event) = web_sys::Event::new("epistle-ready") {
        let _ = window.dispatch_event(&event);
    }
}

/// Where the game is, for the page: the screen, and the story's place.
#[derive(serde::Serialize)]
struct Status<'a> {
    screen: String,
    #[serde(flatten)]
    place: crate::plugin::Place<'a>,
    /// The focused widget's label (a test waits for it before pressing Enter).
    focus: Option<&'a str>,
    /// The page's text is revealed and its choices shown.
    revealed: bool,
}

/// Publishes the status when the page, the screen or the front end's state changes.
fn publish(
    mut notices: MessageReader<StoryNotice>,
    session: Res<Session>,
    screen: Res<State<Screen>>,
    front: Res<FrontStatus>,
    mut last: Local<Option<Screen>>,
) {
    let mut page_changed = false;
    for n in notices.read() {
        match n {
            StoryNotice::PageChanged(_) => page_changed = true,
            // The player sees these as messages on the canvas; the console keeps them.
            StoryNotice::Problem(p) => warn!("{p}"),
            _ => {}
        }
    }
    if !page_changed && *last == Some(*screen.get()) && !front.is_changed() {
        return;
    }
    *last = Some(*screen.get());
    let status =
        Status { screen: format!("{:?}", screen.get()), place: session.place(), focus: front.focus.as_deref(), revealed: front.revealed };
    if let Ok(json) = serde_json::to_string(&status) {
        publish_status(&json);
    }
}

/// Tells the page when the first screen after loading has been built: this update
/// drew it, and renders it before it hands control back to the browser (no
/// pipelined rendering on the web), so the page's next task sees it on the canvas.
fn ready_when_drawn(screen: Res<State<Screen>>, mut told: Local<bool>) {
    if *told || *screen.get() == Screen::Loading {
        return;
    }
    *told = true;
    mark_ready();
}

pub(super) fn plugin(app: &mut App) {
    app.init_resource::<FrontStatus>();
    // Last: after the front end has drawn this frame and noted its focus and reveal,
    // so the status never pairs a new page with the old page's state.
    app.add_systems(Last, publish);
    app.add_systems(Last, ready_when_drawn);
}
