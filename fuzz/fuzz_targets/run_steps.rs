#![no_main]
//! The bytes as a reader of Dear Someone: a seed, then choices, undo, restart, saves.
use std::sync::{Arc, OnceLock};
static STORY: OnceLock<Arc<epistle::narrative::Story>> = OnceLock::new();
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let story = STORY.get_or_init(|| {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../stories/dear-someone");
        Arc::new(epistle::narrative::load_dir(&dir).story.expect("Dear Someone loads"))
    });
    epistle::narrative::fuzzing::run_steps(story, data);
});
