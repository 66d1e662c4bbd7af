#![no_main]
//! A manifest and chapter files (parts split by a `=====` line), compiled as a story.
libfuzzer_sys::fuzz_target!(|data: &[u8]| epistle::narrative::fuzzing::load_story(data));
