//! Engine benchmarks over generated stories of 1k, 10k and 50k nodes: source to
//! playable (parse, compile, validate), one turn, and exploration speed.
//! Run with `cargo bench --no-default-features --bench engine`.

use criterion::{BatchSize, BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use epistle::narrative::explore::{Limits, explore};
use epistle::narrative::{Runner, synth};
use std::hint::black_box;
use std::sync::Arc;

fn load(c: &mut Criterion) {
    let mut g = c.benchmark_group("load");
    g.sample_size(10);
    for n in [1_000usize, 10_000, 50_000] {
        let s = synth::story(n);
        g.throughput(Throughput::Elements(n as u64));
        // The files' text as read from disk is the input; parsing, compiling and
        // validating it into a playable story is what is timed.
        g.bench_with_input(BenchmarkId::new("source_to_playable", n), &s, |b, s| {
            b.iter_batched(
                || s.files(),
                |(manifest, chapters)| {
                    let loaded = epistle::narrative::compile(manifest, chapters);
                    assert!(loaded.story.is_some());
                    loaded
                },
                BatchSize::LargeInput,
            );
        });
    }
    g.finish();
}

fn turn(c: &mut Criterion) {
    let s = synth::story(10_000);
    let Some(story) = s.compile().story.map(Arc::new) else { return };
    // A long walk: each iteration takes the first enabled choice, presents the next
    // passages and lists the choices; restarting when an ending is reached.
    let mut r = Runner::new(Arc::clone(&story), 1);
    let mut offered = Vec::new();
    c.bench_function("turn/10000", |b| {
        b.iter(|| {
            r.choices_into(&mut offered);
            let Some(pick) = offered.iter().find(|o| o.enabled).map(|o| o.index) else {
                r = Runner::new(Arc::clone(&story), 1);
                return;
            };
            let _ = r.choose(pick, None);
            black_box(r.page().passages.len());
            r.choices_into(&mut offered);
            black_box(offered.len());
            if r.log().len() > 10_000 {
                // Keep the undo log from growing without bound across iterations.
                r = Runner::new(Arc::clone(&story), 1);
            }
        });
    });
}

fn exploring(c: &mut Criterion) {
    let mut g = c.benchmark_group("explore");
    g.sample_size(10);
    for n in [1_000usize, 10_000] {
        let Some(story) = synth::story(n).compile().story else { return };
        let states = explore(&story, Limits { max_states: 200_000, ..Limits::default() }).states as u64;
        g.throughput(Throughput::Elements(states));
        g.bench_function(BenchmarkId::new("states", n), |b| {
            b.iter(|| black_box(explore(&story, Limits { max_states: 200_000, ..Limits::default() }).states))
        });
    }
    // The shape of Dear Someone: 250 nodes, six counters 0..10 moved by nearly every
    // choice, endings gated on all six. Its exact state space is far beyond the
    // bound; this measures the rate at which states are explored.
    if let Some(story) = synth::counters_story(250).compile().story {
        let limits = Limits { max_states: 300_000, ..Limits::default() };
        let states = explore(&story, limits).states as u64;
        g.throughput(Throughput::Elements(states));
        g.bench_function(BenchmarkId::new("counters", 250), |b| b.iter(|| black_box(explore(&story, limits).states)));
    }
    g.finish();
}

criterion_group!(benches, load, turn, exploring);
criterion_main!(benches);
