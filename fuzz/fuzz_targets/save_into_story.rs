#![no_main]
//! The bytes as a save file, restored into the tutorial.
use std::sync::{Arc, OnceLock};
static STORY: OnceLock<Arc<epistle::narrative::Story>> = OnceLock::new();
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let story = STORY.get_or_init(|| {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../stories/tutorial");
        Arc::new(epistle::narrative::load_dir(&dir).story.expect("the tutorial loads"))
    });
    epistle::narrative::fuzzing::save_into_story(story, data);
});
