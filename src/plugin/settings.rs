//! The player's settings, persisted as `settings.ron` in the [`DataStore`]. Every
//! field has a default (`#[serde(default)]`), so a file from an older version, or a
//! hand-edited one missing fields, still loads.

use super::store::DataStore;
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
        Err(e) => e,
    };
    (Settings::default(), Some(super::persist::set_aside_report(data, Settings::FILE, "the settings file", &why)))
}

/// Problems found while the plugin was built (before messages exist), reported as
/// [`StoryNotice::Problem`] on the first update.
#[derive(Resource, Default)]
pub struct StartupProblems(pub Vec<String>);

fn report_startup_problems(mut problems: ResMut<StartupProblems>, mut notices: MessageWriter<super::StoryNotice>) {
    for p in problems.0.drain(..) {
        warn!("{p}");
        notices.write(super::StoryNotice::Problem(p));
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
    let text = match ron::ser::to_string_pretty(&*settings, ron::ser::PrettyConfig::default()) {
        Ok(t) => t,
        Err(e) => {
            warn!("cannot encode settings: {e}");
            return;
        }
    };
    if let Err(e) = data.write(Settings::FILE, &text) {
        warn!("cannot save settings: {e}");
    }
}

pub(super) fn plugin(app: &mut App) {
    app.init_resource::<StartupProblems>();
    app.add_systems(Last, persist.run_if(resource_changed::<Settings>));
    app.add_systems(Update, report_startup_problems.run_if(|p: Res<StartupProblems>| !p.0.is_empty()));
}
