//! The player's settings (text speed and size, theme, motion, full screen): the front
//! end's, not the engine's. Persisted as `settings.ron` in the engine's [`DataStore`]. Every
//! field has a default (`#[serde(default)]`), so a file from an older version, or a
//! hand-edited one missing fields, still loads.

use crate::plugin::DataStore;
use bevy::prelude::*;
use serde::{Deserialize, Serialize};

/// How fast the typewriter reveals text.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum TextSpeed {
    /// 25 characters a second.
    Slow,
    /// 50 characters a second.
    #[default]
    Normal,
    /// 110 characters a second.
    Fast,
    /// Whole passages at once.
    Instant,
}

impl TextSpeed {
    /// Characters per second; `None` for instant.
    pub fn chars_per_second(self) -> Option<f32> {
        match self {
            TextSpeed::Slow => Some(25.0),
            TextSpeed::Normal => Some(50.0),
            TextSpeed::Fast => Some(110.0),
            TextSpeed::Instant => None,
        }
    }

    /// Every speed, slowest first.
    pub const ALL: [TextSpeed; 4] = [TextSpeed::Slow, TextSpeed::Normal, TextSpeed::Fast, TextSpeed::Instant];

    /// Its name in the settings screen.
    pub fn label(self) -> &'static str {
        match self {
            TextSpeed::Slow => "Slow",
            TextSpeed::Normal => "Normal",
            TextSpeed::Fast => "Fast",
            TextSpeed::Instant => "Instant",
        }
    }
}

/// The colour theme.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum ThemeChoice {
    /// Warm paper tones that follow the scene's mood.
    #[default]
    Warm,
    /// Dark, still tinted by the mood.
    Dark,
    /// Black and white with a strong accent; ignores the mood.
    HighContrast,
}

impl ThemeChoice {
    /// Every theme.
    pub const ALL: [ThemeChoice; 3] = [ThemeChoice::Warm, ThemeChoice::Dark, ThemeChoice::HighContrast];

    /// Its name in the settings screen.
    pub fn label(self) -> &'static str {
        match self {
            ThemeChoice::Warm => "Warm",
            ThemeChoice::Dark => "Dark",
            ThemeChoice::HighContrast => "High contrast",
        }
    }
}

/// The player's settings.
#[derive(Resource, Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// Typewriter speed.
    pub text_speed: TextSpeed,
    /// Body text size in points (16–32).
    pub font_size: f32,
    /// Colour theme.
    pub theme: ThemeChoice,
    /// No glow, waveform or palette fades.
    pub reduce_motion: bool,
    /// Borderless full screen.
    pub fullscreen: bool,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings { text_speed: TextSpeed::Normal, font_size: 21.0, theme: ThemeChoice::Warm, reduce_motion: false, fullscreen: false }
    }
}

impl Settings {
    /// The smallest and largest body text sizes offered.
    pub const FONT_RANGE: std::ops::RangeInclusive<f32> = 16.0..=32.0;

    /// The file name within the data directory.
    pub const FILE: &'static str = "settings.ron";

    /// Brings values from a hand-edited file back into range.
    fn sanitised(mut self) -> Settings {
        if !self.font_size.is_finite() {
            self.font_size = Settings::default().font_size;
        }
        self.font_size = self.font_size.clamp(*Settings::FONT_RANGE.start(), *Settings::FONT_RANGE.end());
        self
    }
}

/// Reads the settings; a missing entry gives the defaults. One that cannot be read is
/// set aside (renamed, never overwritten) and reported in the second value, and the
/// defaults are used.
pub fn load(data: &DataStore) -> (Settings, Option<String>) {
    let why = match data.read(Settings::FILE) {
        Ok(None) => return (Settings::default(), None),
        Ok(Some(text)) => match ron::from_str::<Settings>(&text) {
            Ok(s) => return (s.sanitised(), None),
            Err(e) => e.to_string(),
        },
        Err(e) => e.to_string(),
    };
    (Settings::default(), Some(crate::plugin::persist::set_aside_report(data, Settings::FILE, "the settings file", &why)))
}

/// Reads the settings from the engine's store before the first frame; a file that
/// cannot be read is reported on screen and kept aside.
fn load_at_startup(mut commands: Commands, data: Option<Res<DataStore>>, mut ui: ResMut<super::UiState>) {
    let Some(data) = data else { return };
    let (settings, problem) = load(&data);
    commands.insert_resource(settings);
    if let Some(p) = problem {
        warn!("{p}");
        ui.toast(super::capitalise(&p));
    }
}

/// Writes the settings whenever they change (after the first frame, so loading them
/// does not rewrite the file).
fn persist(settings: Res<Settings>, data: Res<DataStore>, mut last: Local<Option<Settings>>) {
    let Some(prev) = last.as_ref() else {
        *last = Some(settings.clone());
        return;
    };
    if *prev == *settings {
        return;
    }
    *last = Some(settings.clone());
    if let Err(e) = save(&data, &settings) {
        warn!("cannot save settings: {e}");
    }
}

/// Writes the settings, all at once.
pub fn save(data: &DataStore, settings: &Settings) -> Result<(), String> {
    let text =
        ron::ser::to_string_pretty(settings, ron::ser::PrettyConfig::default()).map_err(|e| format!("cannot encode settings: {e}"))?;
    data.write(Settings::FILE, &text).map_err(|e| e.to_string())
}

pub(super) fn plugin(app: &mut App) {
    app.init_resource::<Settings>();
    app.add_systems(PreStartup, load_at_startup);
    app.add_systems(Last, persist.run_if(resource_changed::<Settings>));
}
