//! Epistle: a narrative game engine. Branching stories written in RON, played by a
//! pure runtime ([`narrative`]), checked and tested by the `quill` tool, and shown by
//! a Bevy + egui front end (behind the default `game` feature).

pub mod narrative;
#[cfg(feature = "game")]
pub mod plugin;
#[cfg(feature = "game")]
pub mod ui;
