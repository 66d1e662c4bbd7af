#![no_main]
//! The bytes as a condition, an effect and a passage's markup.
libfuzzer_sys::fuzz_target!(|data: &[u8]| epistle::narrative::fuzzing::expr_and_markup(data));
