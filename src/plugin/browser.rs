//! The page around the game, in a browser: `localStorage` for the player's data,
//! downloads and uploads for exported saves, and the story the page asks for. Only
//! built for `wasm32`. (The signals the page listens for are the front end's:
//! `ui/web.rs`.)
//!
//! Browser callbacks (a picked file arriving) happen outside Bevy's schedule: they
//! leave what they bring in a queue and wake the app, whose systems drain it.

use super::store::lock;
use bevy::prelude::*;
use bevy::winit::{EventLoopProxy, WinitUserEvent};
use std::sync::Mutex;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

/// Entries are named `epistle/<key>`, so other apps on the same site are left alone.
const PREFIX: &str = "epistle/";

fn storage() -> Result<web_sys::Storage, String> {
    let window = web_sys::window().ok_or("no browser window")?;
    match window.local_storage() {
        Ok(Some(s)) => Ok(s),
        Ok(None) => Err("the browser has no storage for this page".into()),
        Err(e) => Err(describe(&e)),
    }
}

/// A browser error in words for the player: a full store says what to do.
fn describe(e: &JsValue) -> String {
    let name = e.dyn_ref::<web_sys::DomException>().map(web_sys::DomException::name).unwrap_or_default();
    match name.as_str() {
        "QuotaExceededError" | "NS_ERROR_DOM_QUOTA_REACHED" => {
            "the browser's storage for this site is full: export saves you want to keep, then delete some".into()
        }
        "SecurityError" => "the browser does not allow this page to store data (private browsing, or site data blocked)".into(),
        "" => e.as_string().unwrap_or_else(|| "the browser refused".into()),
        other => format!("the browser refused ({other})"),
    }
}

/// Whether storage can be written and read back (a probe entry, removed at once).
pub fn storage_works() -> Result<(), String> {
    let s = storage()?;
    let key = format!("{PREFIX}.probe");
    s.set_item(&key, "1").map_err(|e| describe(&e))?;
    let back = s.get_item(&key).map_err(|e| describe(&e))?;
    let _ = s.remove_item(&key);
    if back.as_deref() == Some("1") { Ok(()) } else { Err("storage did not keep what was written".into()) }
}

/// An entry's text.
pub fn storage_get(key: &str) -> Result<Option<String>, String> {
    storage()?.get_item(&format!("{PREFIX}{key}")).map_err(|e| describe(&e))
}

/// Replaces an entry (the browser writes it whole or not at all).
pub fn storage_set(key: &str, text: &str) -> Result<(), String> {
    storage()?.set_item(&format!("{PREFIX}{key}"), text).map_err(|e| describe(&e))
}

/// Removes an entry.
pub fn storage_remove(key: &str) -> Result<(), String> {
    storage()?.remove_item(&format!("{PREFIX}{key}")).map_err(|e| describe(&e))
}

/// Offers `text` as a file download named `name`.
pub fn download(name: &str, text: &str) -> Result<(), String> {
    let window = web_sys::window().ok_or("no browser window")?;
    let document = window.document().ok_or("no document")?;
    let parts = js_sys::Array::of1(&JsValue::from_str(text));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type("application/octet-stream");
    let blob = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options).map_err(|e| describe(&e))?;
    let url = web_sys::Url::create_object_url_with_blob(&blob).map_err(|e| describe(&e))?;
    let link: web_sys::HtmlAnchorElement =
        document.create_element("a").map_err(|e| describe(&e))?.dyn_into().map_err(|_| "cannot make a link".to_string())?;
    link.set_href(&url);
    link.set_download(name);
    link.click();
    // The download has started from the link; the URL is let go a little later, as
    // some browsers read it after `click` returns.
    let revoke = Closure::once_into_js(move || {
        let _ = web_sys::Url::revoke_object_url(&url);
    });
    let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(revoke.unchecked_ref(), 10_000);
    Ok(())
}

/// Files the player picked, waiting for the app: name and bytes.
static PICKED: Mutex<Vec<(String, Vec<u8>)>> = Mutex::new(Vec::new());

/// Wakes the app when a callback brought something (the game sleeps when idle).
static WAKER: Mutex<Option<EventLoopProxy<WinitUserEvent>>> = Mutex::new(None);

/// Lets browser callbacks wake the app.
pub fn set_waker(proxy: EventLoopProxy<WinitUserEvent>) {
    *lock(&WAKER) = Some(proxy);
}

fn wake() {
    if let Some(p) = lock(&WAKER).as_ref() {
        let _ = p.send_event(WinitUserEvent::WakeUp);
    }
}

/// Takes the files picked since the last call.
pub fn take_picked() -> Vec<(String, Vec<u8>)> {
    std::mem::take(&mut *lock(&PICKED))
}

/// Opens the browser's file picker for a save file; what the player picks arrives
/// through [`take_picked`].
pub fn pick_file() -> Result<(), String> {
    let document = web_sys::window().and_then(|w| w.document()).ok_or("no document")?;
    let input: web_sys::HtmlInputElement =
        document.create_element("input").map_err(|e| describe(&e))?.dyn_into().map_err(|_| "cannot make a file picker".to_string())?;
    input.set_type("file");
    input.set_accept(".ron,text/plain");
    let picker = input.clone();
    let on_change = Closure::once_into_js(move || {
        let Some(file) = picker.files().and_then(|f| f.get(0)) else { return };
        let name = file.name();
        let on_bytes = Closure::once(move |buffer: JsValue| {
            let bytes = js_sys::Uint8Array::new(&buffer).to_vec();
            lock(&PICKED).push((name, bytes));
            wake();
        });
        let _ = file.array_buffer().then(&on_bytes);
        // Called once by the browser, later; it frees itself after running.
        on_bytes.forget();
    });
    input.add_event_listener_with_callback("change", on_change.unchecked_ref()).map_err(|e| describe(&e))?;
    input.click();
    Ok(())
}

/// The story the page asks for with `?story=<folder>`, if it names one safely.
pub fn requested_story() -> Option<String> {
    let search = web_sys::window()?.location().search().ok()?;
    let name = search.trim_start_matches('?').split('&').find_map(|kv| kv.strip_prefix("story="))?;
    let ok = !name.is_empty() && name.len() <= 64 && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    ok.then(|| name.to_string())
}
