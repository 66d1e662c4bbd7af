//! The one integration-test binary (every test binary links the whole crate, so one
//! binary saves minutes). Each module below is a family of tests.

// Diagnostics: one fixture story per diagnostic code, with its expected rendering.
mod diagnostics;
