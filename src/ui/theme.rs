//! Colours and type: a palette per scene mood and theme, the fonts, and the egui
//! style built from them.

use super::ThemeChoice;
use bevy_egui::egui::{self, Color32, FontFamily, FontId, Stroke};

/// The colours of one screen.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Palette {
    /// The page.
    pub bg: Color32,
    /// Cards and panels on the page.
    pub panel: Color32,
    /// Body text.
    pub text: Color32,
    /// Secondary text: hints, dates, chapter titles.
    pub muted: Color32,
    /// Highlights: focus rings, the current choice, headings' ornaments.
    pub accent: Color32,
    /// Whether the page is light (text colours of characters get darkened on it).
    pub light: bool,
}

/// The moods a node's `mood:` tag may name, as the format documents them.
pub const MOODS: [&str; 8] = ["grey", "amber", "warm", "rose", "night", "blue", "gold", "dawn"];

impl Default for Palette {
    fn default() -> Palette {
        Palette::for_mood(ThemeChoice::Warm, None)
    }
}

fn hex(rgb: u32) -> Color32 {
    Color32::from_rgb((rgb >> 16) as u8, (rgb >> 8) as u8, rgb as u8)
}

impl Palette {
    /// The palette for a theme and a scene's mood (an unknown or missing mood is
    /// `warm`).
    pub fn for_mood(theme: ThemeChoice, mood: Option<&str>) -> Palette {
        let mood = mood.filter(|m| MOODS.contains(m)).unwrap_or("warm");
        match theme {
            ThemeChoice::HighContrast => Palette {
                bg: Color32::BLACK,
                panel: hex(0x1a1a1a),
                text: Color32::WHITE,
                muted: hex(0xd0d0d0),
                accent: hex(0xffd84a),
                light: false,
            },
            ThemeChoice::Warm => {
                // Paper lit by the scene: ash, lamplight, peach, rose, dusk, rain, late
                // sun, first light.
                let (bg, text, accent) = match mood {
                    "grey" => (0xe8e4de, 0x3b3733, 0x8a6f55),
                    "amber" => (0xf3e2c0, 0x45321e, 0xa8682a),
                    "rose" => (0xf3dcd8, 0x47292d, 0xa84f62),
                    "night" => (0xd8d9e4, 0x272a3c, 0x5a5e94),
                    "blue" => (0xdae4ea, 0x22343f, 0x3b6e8f),
                    "gold" => (0xf4e5b6, 0x443612, 0x97731a),
                    "dawn" => (0xf7e3d6, 0x47302e, 0xbb6a4c),
                    _ => (0xf5dfc7, 0x48301f, 0xb35a34),
                };
                let (bg, text) = (hex(bg), hex(text));
                Palette { bg, panel: mix(bg, text, 0.06), text, muted: mix(text, bg, 0.45), accent: hex(accent), light: true }
            }
            ThemeChoice::Dark => {
                let (bg, accent) = match mood {
                    "grey" => (0x1f1e20, 0xb9a48c),
                    "amber" => (0x271e14, 0xe0a35a),
                    "rose" => (0x271b1f, 0xe28ea0),
                    "night" => (0x14162a, 0x9ea3e6),
                    "blue" => (0x131f28, 0x7fb6d8),
                    "gold" => (0x25200e, 0xe2c15a),
                    "dawn" => (0x291d1c, 0xf0a07c),
                    _ => (0x2a1c16, 0xf09a6a),
                };
                let bg = hex(bg);
                let text = hex(0xece3d6);
                Palette { bg, panel: mix(bg, text, 0.07), text, muted: mix(text, bg, 0.42), accent: hex(accent), light: false }
            }
        }
    }

    /// Between two palettes, `t` from 0 (self) to 1 (other).
    pub fn lerp(&self, other: &Palette, t: f32) -> Palette {
        Palette {
            bg: mix(self.bg, other.bg, t),
            panel: mix(self.panel, other.panel, t),
            text: mix(self.text, other.text, t),
            muted: mix(self.muted, other.muted, t),
            accent: mix(self.accent, other.accent, t),
            light: if t < 0.5 { self.light } else { other.light },
        }
    }

    /// A character's colour hint made readable on this page: pale hints (written for
    /// dark backgrounds) are darkened on light paper.
    pub fn speaker(&self, hint: Option<[u8; 3]>) -> Color32 {
        let Some([r, g, b]) = hint else { return self.accent };
        let c = Color32::from_rgb(r, g, b);
        if self.text == Color32::WHITE {
            return c;
        }
        if self.light { mix(c, self.text, 0.55) } else { mix(c, self.text, 0.1) }
    }
}

/// Linear mix of two colours.
pub fn mix(a: Color32, b: Color32, t: f32) -> Color32 {
    let t = t.clamp(0.0, 1.0);
    let m = |x: u8, y: u8| (f32::from(x) + (f32::from(y) - f32::from(x)) * t).round() as u8;
    Color32::from_rgb(m(a.r(), b.r()), m(a.g(), b.g()), m(a.b(), b.b()))
}

/// The serif the story is set in.
pub fn serif() -> FontFamily {
    FontFamily::Name("serif".into())
}

/// Its italic.
pub fn serif_italic() -> FontFamily {
    FontFamily::Name("serif-italic".into())
}

/// The story's serif (or its italic) as bound in `ctx`. Until the fonts are
/// installed (the first frame of a test harness) this installs them and answers with
/// egui's own proportional font, so no screen depends on setup order.
pub fn story_font(ctx: &egui::Context, italic: bool) -> FontFamily {
    let family = if italic { serif_italic() } else { serif() };
    if ctx.fonts(|f| f.definitions().families.contains_key(&family)) {
        family
    } else {
        install_fonts(ctx);
        FontFamily::Proportional
    }
}

/// The fonts: Noto Serif for the story (SIL Open Font License), Ubuntu Light for the
/// interface (Ubuntu Font Licence) and Hack for code (MIT), each falling back on the
/// others for missing glyphs. All four are cut down by `assets/fonts/subset.sh` to
/// the characters a Latin-script story uses (the full fonts stay in
/// `assets/fonts/full/` for a translation to widen).
pub fn font_definitions() -> egui::FontDefinitions {
    let mut fonts = egui::FontDefinitions::empty();
    let data = [
        ("ubuntu-light", include_bytes!("../../assets/fonts/Ubuntu-Light.ttf").as_slice()),
        ("hack", include_bytes!("../../assets/fonts/Hack-Regular.ttf").as_slice()),
        ("noto-serif", include_bytes!("../../assets/fonts/NotoSerif-Regular.ttf").as_slice()),
        ("noto-serif-italic", include_bytes!("../../assets/fonts/NotoSerif-Italic.ttf").as_slice()),
    ];
    for (name, bytes) in data {
        fonts.font_data.insert(name.into(), egui::FontData::from_static(bytes).into());
    }
    let list = |names: &[&str]| names.iter().map(|n| n.to_string()).collect::<Vec<_>>();
    fonts.families.insert(FontFamily::Proportional, list(&["ubuntu-light", "noto-serif"]));
    fonts.families.insert(FontFamily::Monospace, list(&["hack", "ubuntu-light", "noto-serif"]));
    fonts.families.insert(serif(), list(&["noto-serif", "ubuntu-light"]));
    fonts.families.insert(serif_italic(), list(&["noto-serif-italic", "noto-serif", "ubuntu-light"]));
    fonts
}

/// Installs [`font_definitions`] (from the next pass on).
pub fn install_fonts(ctx: &egui::Context) {
    ctx.set_fonts(font_definitions());
}

/// The egui style for a palette and body size: calm widgets, clear focus rings.
pub fn style(palette: &Palette, font_size: f32) -> egui::Style {
    use egui::{TextStyle, epaint::CornerRadius};
    let mut style = egui::Style::default();
    let ui_size = (font_size * 0.8).clamp(14.0, 24.0);
    style.text_styles = [
        (TextStyle::Heading, FontId::new(font_size * 1.4, FontFamily::Proportional)),
        (TextStyle::Body, FontId::new(ui_size, FontFamily::Proportional)),
        (TextStyle::Button, FontId::new(ui_size, FontFamily::Proportional)),
        (TextStyle::Small, FontId::new(ui_size * 0.8, FontFamily::Proportional)),
        (TextStyle::Monospace, FontId::new(ui_size * 0.9, FontFamily::Monospace)),
    ]
    .into();
    style.spacing.item_spacing = egui::vec2(10.0, 10.0);
    style.spacing.button_padding = egui::vec2(16.0, 8.0);
    style.spacing.interact_size.y = ui_size + 14.0;
    let v = &mut style.visuals;
    *v = if palette.light { egui::Visuals::light() } else { egui::Visuals::dark() };
    v.override_text_color = Some(palette.text);
    v.panel_fill = palette.bg;
    v.window_fill = palette.bg;
    v.extreme_bg_color = mix(palette.bg, palette.text, 0.04);
    v.faint_bg_color = palette.panel;
    v.hyperlink_color = palette.accent;
    v.selection.bg_fill = mix(palette.bg, palette.accent, 0.35);
    v.selection.stroke = Stroke::new(1.5, palette.accent);
    v.window_stroke = Stroke::new(1.0, mix(palette.bg, palette.text, 0.2));
    v.window_corner_radius = CornerRadius::same(10);
    let radius = CornerRadius::same(8);
    let w = &mut v.widgets;
    w.noninteractive.bg_fill = palette.bg;
    w.noninteractive.fg_stroke = Stroke::new(1.0, palette.text);
    w.noninteractive.bg_stroke = Stroke::new(1.0, mix(palette.bg, palette.text, 0.15));
    for (state, shade, border) in
        [(&mut w.inactive, 0.07, 0.18), (&mut w.hovered, 0.14, 0.5), (&mut w.active, 0.2, 0.7), (&mut w.open, 0.12, 0.4)]
    {
        state.bg_fill = mix(palette.bg, palette.text, shade);
        state.weak_bg_fill = state.bg_fill;
        state.bg_stroke = Stroke::new(1.0, mix(palette.bg, palette.accent, border));
        state.fg_stroke = Stroke::new(1.5, palette.text);
        state.corner_radius = radius;
        state.expansion = 0.0;
    }
    w.hovered.weak_bg_fill = mix(palette.bg, palette.accent, 0.18);
    w.hovered.bg_fill = w.hovered.weak_bg_fill;
    // The keyboard focus ring: thick and in the accent, so keyboard players always see
    // where they are.
    v.selection.stroke = Stroke::new(2.0, palette.accent);
    style.animation_time = 0.12;
    style
}
