//! The one integration-test binary (every test binary links the whole crate, so one
//! binary saves minutes). Each module below is a family of tests.

// Shared helpers: paths, loading, running quill, expected-output files.
mod support;

// Diagnostics: one fixture story per diagnostic code, with its expected rendering.
mod diagnostics;
// The runtime: choices, conditions, variations, fallbacks, input, undo, determinism.
mod runtime;
// Saves: round trips, migration across story edits, replay, corrupt files.
mod saves;
// The stable fuzz driver: four targets, a seeded corpus, mutations (short in CI).
mod fuzz;
// Writing v2: concise forms, typed text in the tools, pinned outcomes, recorded witnesses.
mod writing;
// Proving a story: expectations, guided search, the balance report.
mod proofs;
// The language server over its real transport.
mod lsp;
// Hostile input: every bug an outside attack found stays fixed.
mod hostile;
// Property tests: random play never breaks state; random bytes never panic the loader.
mod props;
// The shipped stories: clean, and their recorded endings still reached.
mod stories;
// House rules: the core stays free of Bevy and egui; files say what they hold.
mod tidy;
// The game front end: the Bevy plugin headless, and every egui screen (feature `game`).
#[cfg(feature = "game")]
mod game;
