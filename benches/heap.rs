//! Heap used by a loaded story: counts live bytes through a wrapping allocator.
//! Run with `cargo bench --no-default-features --bench heap`.

// The one `unsafe` in the project: a `GlobalAlloc` must be an unsafe impl.
#![allow(unsafe_code)]

use epistle::narrative::{load_dir, synth};
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

struct Counting;
static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards every call to the system allocator unchanged; only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        let now = LIVE.fetch_add(l.size(), Ordering::Relaxed) + l.size();
        PEAK.fetch_max(now, Ordering::Relaxed);
        // SAFETY: same layout, passed through.
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        LIVE.fetch_sub(l.size(), Ordering::Relaxed);
        // SAFETY: `p` came from `alloc` with this layout.
        unsafe { System.dealloc(p, l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, new_size: usize) -> *mut u8 {
        // Counted as the system does it: grown or shrunk where it lies when it can
        // be (so a shrink does not count the old and new blocks at once).
        if new_size >= l.size() {
            let now = LIVE.fetch_add(new_size - l.size(), Ordering::Relaxed) + new_size - l.size();
            PEAK.fetch_max(now, Ordering::Relaxed);
        } else {
            LIVE.fetch_sub(l.size() - new_size, Ordering::Relaxed);
        }
        // SAFETY: `p` came from `alloc` with layout `l`; the caller upholds the rest.
        unsafe { System.realloc(p, l, new_size) }
    }
}

#[path = "peers/common.rs"]
mod common;

#[global_allocator]
static A: Counting = Counting;

/// The bytes of every literal in the story's passages and choices, as written (a
/// short literal written many times counts each time, though it is held once).
fn prose_bytes(story: &epistle::narrative::Story) -> usize {
    let mut bytes = 0;
    for n in &story.nodes {
        let texts = n.passages.iter().map(|p| &p.text).chain(n.choices.iter().map(|c| &c.text));
        for t in texts {
            t.each_literal(&mut |s| bytes += s.len());
        }
    }
    bytes
}

fn main() {
    for n in [1_000usize, 10_000, 50_000] {
        let s = synth::story(n);
        let source_bytes: usize = s.manifest.len() + s.chapters.iter().map(|c| c.1.len()).sum::<usize>();
        let before = LIVE.load(Ordering::Relaxed);
        PEAK.store(before, Ordering::Relaxed);
        let story = s.compile().story;
        let live = LIVE.load(Ordering::Relaxed) - before;
        let peak = PEAK.load(Ordering::Relaxed) - before;
        println!(
            "heap/{n}: the loaded story holds {:.1} MB (peak while loading {:.1} MB; source text {:.1} MB)",
            live as f64 / 1e6,
            peak as f64 / 1e6,
            source_bytes as f64 / 1e6
        );
        drop(story);
    }
    // The stories of the comparison with inkjs and bladeink (benches/peers).
    for n in [1_000usize, 10_000, 50_000] {
        let Some(dir) = common::story_dir(n) else { continue };
        let before = LIVE.load(Ordering::Relaxed);
        PEAK.store(before, Ordering::Relaxed);
        let story = load_dir(&dir).story;
        let live = LIVE.load(Ordering::Relaxed) - before;
        let peak = PEAK.load(Ordering::Relaxed) - before;
        let prose = story.as_ref().map_or(0, prose_bytes);
        println!(
            "heap/peers/{n}: the loaded story holds {:.1} MB (peak while loading {:.1} MB); its prose as written is {:.1} MB",
            live as f64 / 1e6,
            peak as f64 / 1e6,
            prose as f64 / 1e6
        );
        drop(story);
    }
}
