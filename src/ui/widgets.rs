//! Small widgets shared by the screens. Each is a free function that adds itself to a
//! `Ui` and returns its `Response`, like egui's own.

use super::theme::{Palette, mix, story_font};
use bevy_egui::egui::{
    self, Align2, Color32, FontFamily, FontId, Response, RichText, Sense, Stroke, StrokeKind, Ui, Vec2, WidgetInfo, WidgetType,
    text::{LayoutJob, TextFormat},
};

/// The width of the reading column, in points, for a body size: about 66 characters.
pub fn column_width(font_size: f32) -> f32 {
    font_size * 33.0
}

/// Lays out `add` in a centred column at most `width` wide, with the page's margins.
pub fn centred_column<R>(ui: &mut Ui, width: f32, add: impl FnOnce(&mut Ui) -> R) -> R {
    let avail = ui.available_width();
    let width = width.min(avail - 48.0).max(200.0_f32.min(avail));
    let side = ((avail - width) / 2.0).max(0.0);
    ui.horizontal_top(|ui| {
        ui.add_space(side);
        ui.vertical(|ui| {
            ui.set_width(width);
            add(ui)
        })
        .inner
    })
    .inner
}

/// Text in spaced capitals, for chapter titles, speaker names and small headings.
pub fn small_caps(text: &str, size: f32, colour: Color32) -> LayoutJob {
    let format = TextFormat {
        font_id: FontId::new(size, FontFamily::Proportional),
        extra_letter_spacing: size * 0.12,
        color: colour,
        ..Default::default()
    };
    LayoutJob::single_section(text.to_uppercase(), format)
}

/// A paragraph of the story, set in the serif with generous leading.
pub fn paragraph(ui: &Ui, text: &str, size: f32, colour: Color32, italic: bool, wrap: f32) -> LayoutJob {
    let family = story_font(ui.ctx(), italic);
    let format = TextFormat { font_id: FontId::new(size, family), line_height: Some(size * 1.6), color: colour, ..Default::default() };
    let mut job = LayoutJob::single_section(text.to_string(), format);
    job.wrap.max_width = wrap;
    job
}

/// A large menu button of fixed width, as on the title screen.
pub fn menu_button(ui: &mut Ui, text: &str, enabled: bool, width: f32) -> Response {
    let button =
        egui::Button::new(RichText::new(text).size(ui.text_style_height(&egui::TextStyle::Button) * 1.1)).min_size(Vec2::new(width, 0.0));
    let r = ui.add_enabled(enabled, button);
    note_focus(ui, &r, text);
    r
}

/// A plain button whose label is noted when it has the keyboard focus.
pub fn button(ui: &mut Ui, text: &str) -> Response {
    let r = ui.button(text);
    note_focus(ui, &r, text);
    r
}

/// A small button whose label is noted when it has the keyboard focus.
pub fn small_button(ui: &mut Ui, text: &str) -> Response {
    let r = ui.small_button(text);
    note_focus(ui, &r, text);
    r
}

const FOCUS_LABEL: &str = "epistle_focus_label";

/// Notes the label of the widget that has the keyboard focus (each widget notes its
/// own every frame), so pages and tests can wait on it: see [`focused_label`].
pub fn note_focus(ui: &Ui, r: &Response, label: &str) {
    if r.has_focus() {
        let pass = ui.ctx().cumulative_pass_nr();
        ui.data_mut(|d| d.insert_temp(egui::Id::new(FOCUS_LABEL), (r.id, label.to_string(), pass)));
    }
}

/// The label of the widget with the keyboard focus, if it noted one this pass (a
/// focus left on a widget no longer drawn names nothing).
pub fn focused_label(ctx: &egui::Context) -> Option<String> {
    let focused = ctx.memory(|m| m.focused())?;
    let (id, label, pass): (egui::Id, String, u64) = ctx.data(|d| d.get_temp(egui::Id::new(FOCUS_LABEL)))?;
    (id == focused && pass == ctx.cumulative_pass_nr()).then_some(label)
}

/// A choice: its number key, its text (wrapped), and a frame that lights up when
/// hovered or focused. A disabled choice is drawn faint, with its reason below.
pub fn choice_button(
    ui: &mut Ui,
    number: usize,
    text: &str,
    enabled: bool,
    reason: Option<&str>,
    palette: &Palette,
    size: f32,
) -> Response {
    let width = ui.available_width();
    let pad = Vec2::new(18.0, 12.0);
    let number_w = size * 1.6;
    let ink = if enabled { palette.text } else { mix(palette.text, palette.bg, 0.5) };
    let galley = ui.painter().layout_job(paragraph(ui, text, size, ink, false, width - number_w - pad.x * 2.0));
    let reason_galley = reason
        .filter(|r| !r.is_empty())
        .map(|r| ui.painter().layout_job(paragraph(ui, r, size * 0.8, palette.muted, true, width - number_w - pad.x * 2.0)));
    let height = galley.size().y + reason_galley.as_ref().map_or(0.0, |g| g.size().y + 4.0) + pad.y * 2.0;
    let sense = if enabled { Sense::click() } else { Sense::hover() };
    let (rect, response) = ui.allocate_exact_size(Vec2::new(width, height), sense);
    let label = match reason {
        Some(r) if !enabled && !r.is_empty() => format!("{text} ({r})"),
        _ => text.to_string(),
    };
    response.widget_info(|| WidgetInfo::labeled(WidgetType::Button, enabled, &label));
    note_focus(ui, &response, &label);
    if ui.is_rect_visible(rect) {
        let lit = enabled && (response.hovered() || response.has_focus());
        let fill =
            if lit { mix(palette.bg, palette.accent, 0.16) } else { mix(palette.bg, palette.text, if enabled { 0.05 } else { 0.02 }) };
        // The focus ring itself is drawn over every screen (see `ui::page`).
        let stroke = Stroke::new(1.0, mix(palette.bg, palette.text, if lit { 0.35 } else { 0.12 }));
        let p = ui.painter();
        p.rect_filled(rect, 10.0, fill);
        p.rect_stroke(rect, 10.0, stroke, StrokeKind::Inside);
        let badge = if enabled { palette.accent } else { palette.muted };
        p.text(
            rect.left_top() + Vec2::new(pad.x + number_w * 0.35, pad.y + size * 0.8),
            Align2::CENTER_CENTER,
            number.to_string(),
            FontId::new(size * 0.85, FontFamily::Proportional),
            badge,
        );
        let text_pos = rect.left_top() + Vec2::new(pad.x + number_w, pad.y);
        let text_h = galley.size().y;
        p.galley(text_pos, galley, ink);
        if let Some(g) = reason_galley {
            p.galley(text_pos + Vec2::new(0.0, text_h + 4.0), g, palette.muted);
        }
    }
    response
}

/// The voice's mark: a row of bars, moving like a waveform while she speaks (`time`
/// given) and still otherwise.
pub fn voice_wave(ui: &mut Ui, colour: Color32, height: f32, time: Option<f64>) -> Response {
    let bars = 7;
    let (rect, response) = ui.allocate_exact_size(Vec2::new(height * 1.6, height), Sense::hover());
    let step = rect.width() / bars as f32;
    for i in 0..bars {
        let phase = i as f64 * 0.9;
        let amp = match time {
            Some(t) => 0.35 + 0.65 * (0.5 + 0.5 * (t * 7.0 + phase).sin() * (t * 2.3 + phase * 0.5).cos()).abs() as f32,
            // At rest: a gentle fixed shape, louder in the middle.
            None => 0.3 + 0.5 * (1.0 - ((i as f32 - 3.0) / 3.0).abs()),
        };
        let h = rect.height() * amp;
        let x = rect.left() + step * (i as f32 + 0.5);
        ui.painter().line_segment(
            [egui::pos2(x, rect.center().y - h / 2.0), egui::pos2(x, rect.center().y + h / 2.0)],
            Stroke::new(step * 0.45, colour),
        );
    }
    response
}

/// A modal question: `Some(true)` when confirmed, `Some(false)` when cancelled (the
/// Cancel button, Escape, or a click outside), `None` while it waits. Cancel has the
/// keyboard focus, so a stray Enter never destroys anything.
pub fn confirm(ui: &mut Ui, title: &str, body: &str, yes: &str, palette: &Palette) -> Option<bool> {
    let frame = egui::Frame::NONE
        .fill(palette.bg)
        .stroke(Stroke::new(1.0, mix(palette.bg, palette.text, 0.25)))
        .corner_radius(12)
        .inner_margin(egui::Margin::same(28));
    let modal = egui::Modal::new(egui::Id::new(("epistle_confirm", title))).frame(frame).show(ui.ctx(), |ui| {
        ui.set_max_width(420.0);
        ui.label(RichText::new(title).font(FontId::new(24.0, story_font(ui.ctx(), false))).color(palette.text));
        ui.add_space(6.0);
        ui.label(RichText::new(body).color(palette.muted));
        ui.add_space(14.0);
        ui.horizontal(|ui| {
            let no = button(ui, "Cancel");
            if ui.memory(|m| m.focused().is_none()) {
                no.request_focus();
            }
            let yes = button(ui, yes);
            if yes.clicked() {
                Some(true)
            } else if no.clicked() {
                Some(false)
            } else {
                None
            }
        })
        .inner
    });
    if modal.inner.is_some() {
        return modal.inner;
    }
    modal.should_close().then_some(false)
}

/// A screen's heading with a "Back (Esc)" button on the right, which takes the
/// keyboard focus when nothing else has it. Returns whether the player went back
/// (by the button or the Escape key).
pub fn screen_header(ui: &mut Ui, title: &str, palette: &Palette) -> bool {
    let mut back = ui.input_mut(|i| i.consume_key(egui::Modifiers::NONE, egui::Key::Escape));
    ui.horizontal(|ui| {
        ui.label(RichText::new(title).font(FontId::new(34.0, story_font(ui.ctx(), false))).color(palette.text));
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            let button = button(ui, "Back (Esc)");
            if ui.memory(|m| m.focused().is_none()) {
                button.request_focus();
            }
            back |= button.clicked();
        });
    });
    back
}
