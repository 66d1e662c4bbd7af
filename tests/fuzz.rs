//! The stable fuzz driver: the four targets of `epistle::narrative::fuzzing`, fed a
//! corpus seeded from the shipped stories and fixtures, then mutated by a seeded
//! generator. A short run is part of every `cargo test`; a long one is
//!
//! ```text
//! EPISTLE_FUZZ_ITERS=200000 cargo test --release --test tests fuzz::
//! ```
//!
//! (cargo-fuzz drives the same targets with coverage guidance: see `fuzz/README.md`).
//! A failing input is written to `target/fuzz-failures/` and named in the panic.

use crate::support::{root, story};
use epistle::narrative::fuzzing;
use epistle::narrative::state::StoryRng;
use epistle::narrative::{Runner, Save, Story};
use std::path::Path;
use std::sync::Arc;

/// Mutated inputs per seed input (`EPISTLE_FUZZ_ITERS` overrides).
fn iterations() -> usize {
    std::env::var("EPISTLE_FUZZ_ITERS").ok().and_then(|v| v.parse().ok()).unwrap_or(40)
}

/// Pieces of the format a mutation splices in: they reach deeper than random bytes.
const DICTIONARY: &[&str] = &[
    "{if ",
    "}",
    "{",
    "|",
    "{seq: a | b}",
    "(",
    ")",
    "[",
    "]",
    "\"",
    "'",
    ",",
    "\n=====\n",
    "next: ",
    "Random([(1, \"start\")])",
    "Random([])",
    "when: ",
    "do: [",
    "+",
    "+n+n+n",
    "&&",
    "||",
    "!",
    "-",
    "==",
    "9223372036854775807",
    "-9223372036854775808",
    "visits(start)",
    "seen(",
    "turns()",
    "s = s + s",
    "n += 99999999999",
    "\u{202e}",
    "\u{1b}[2J",
    "\u{feff}",
    "Choice(text: \"x\", to: \"start\")",
    "Node(id: \"z\", text: [\"z\"], next: \"z\")",
    "ending: \"end\"",
    "fallback: true",
    "input: Input(var: \"s\")",
];

fn mutate(rng: &mut StoryRng, input: &[u8]) -> Vec<u8> {
    let mut v = input.to_vec();
    for _ in 0..=rng.below(4) {
        let len = v.len() as u32;
        let at = if len == 0 { 0 } else { rng.below(len) as usize };
        match rng.below(6) {
            0 if !v.is_empty() => v[at] ^= 1 << rng.below(8),
            1 => v.insert(at, rng.below(256) as u8),
            2 if !v.is_empty() => {
                let end = (at + 1 + rng.below(16) as usize).min(v.len());
                v.drain(at..end);
            }
            3 if !v.is_empty() => {
                let end = (at + 1 + rng.below(64) as usize).min(v.len());
                let piece = v[at..end].to_vec();
                let to = rng.below(v.len() as u32) as usize;
                v.splice(to..to, piece);
            }
            _ => {
                let word = DICTIONARY[rng.below(DICTIONARY.len() as u32) as usize].as_bytes();
                v.splice(at..at, word.iter().copied());
            }
        }
    }
    v
}

/// Runs `target` on each seed and on mutations of it; a panic saves the input.
fn fuzz(name: &str, seeds: &[Vec<u8>], target: impl Fn(&[u8]) + std::panic::RefUnwindSafe) {
    // `EPISTLE_FUZZ_CORPUS=fuzz/corpus` writes the seeds for cargo-fuzz.
    if let Some(dir) = std::env::var_os("EPISTLE_FUZZ_CORPUS") {
        let dir = Path::new(&dir).join(name);
        let _ = std::fs::create_dir_all(&dir);
        for s in seeds {
            let _ = std::fs::write(dir.join(format!("{:016x}", hash(s))), s);
        }
    }
    let mut rng = StoryRng::seeded(0x5eed ^ name.len() as u64);
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let mut failure = None;
    'all: for seed in seeds {
        let mut inputs = vec![seed.clone()];
        inputs.extend((0..iterations()).map(|_| mutate(&mut rng, seed)));
        for input in inputs {
            if let Err(e) = std::panic::catch_unwind(|| target(&input)) {
                let why =
                    e.downcast_ref::<String>().cloned().or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string())).unwrap_or_default();
                failure = Some((input, why));
                break 'all;
            }
        }
    }
    std::panic::set_hook(hook);
    if let Some((input, why)) = failure {
        let dir = root().join("target/fuzz-failures");
        let _ = std::fs::create_dir_all(&dir);
        let path = dir.join(format!("{name}-{:016x}.bin", hash(&input)));
        let _ = std::fs::write(&path, &input);
        panic!("fuzz target `{name}` failed: {why}\ninput saved to {}", path.display());
    }
}

fn hash(b: &[u8]) -> u64 {
    b.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &x| (h ^ u64::from(x)).wrapping_mul(0x100_0000_01b3))
}

/// A story folder as one fuzz input: the manifest, then its chapters in listed order.
fn folder_input(dir: &Path) -> Option<Vec<u8>> {
    let manifest = std::fs::read_to_string(dir.join("story.ron")).ok()?;
    let names = epistle::narrative::manifest::listed_files(&manifest);
    let mut out = manifest.clone();
    for n in &names {
        out.push_str("\n=====\n");
        out.push_str(&std::fs::read_to_string(dir.join(n)).ok()?);
    }
    Some(out.into_bytes())
}

fn fixture_folders() -> Vec<Vec<u8>> {
    let mut dirs: Vec<_> = std::fs::read_dir(root().join("tests/fixtures/diagnostics"))
        .map(|rd| rd.filter_map(Result::ok).map(|e| e.path()).collect())
        .unwrap_or_default();
    dirs.sort();
    dirs.push(root().join("stories/tutorial"));
    dirs.iter().filter_map(|d| folder_input(d)).collect()
}

#[test]
fn fuzz_load_story() {
    fuzz("load_story", &fixture_folders(), fuzzing::load_story);
}

#[test]
fn fuzz_expr_and_markup() {
    let seeds: Vec<Vec<u8>> = [
        "n > 2 && b",
        "n += 1",
        "{if n > 1: many | few} {s}",
        "visits(start) + turns() * -n",
        "s == 'x' || !b",
        "{seq: a | {n} | c}",
        "big = big * big",
        "toggle b",
        "s = s + s + s",
    ]
    .iter()
    .map(|s| s.as_bytes().to_vec())
    .collect();
    fuzz("expr_and_markup", &seeds, fuzzing::expr_and_markup);
}

/// Saves of real playthroughs: the start, a few choices in, and an ending.
fn saves_of(story: &Arc<Story>) -> Vec<Vec<u8>> {
    let mut r = Runner::new(Arc::clone(story), 7);
    let mut out = vec![Save::capture(&r).to_ron().into_bytes()];
    for _ in 0..60 {
        let Some(c) = r.choices().into_iter().find(|c| c.enabled) else { break };
        let _ = r.choose(c.index, None);
        if r.log().len() % 20 == 3 {
            out.push(Save::capture(&r).to_ron().into_bytes());
        }
    }
    out.push(Save::capture(&r).to_ron().into_bytes());
    out
}

#[test]
fn fuzz_save_into_story() {
    let tutorial = story("stories/tutorial");
    let seeds = saves_of(&tutorial);
    fuzz("save_into_story", &seeds, |d| fuzzing::save_into_story(&tutorial, d));
}

#[test]
fn fuzz_run_steps() {
    let seeds: Vec<Vec<u8>> = vec![
        vec![0; 40],
        (0..=255u8).collect(),
        [1u8, 2, 3, 4, 5, 6, 7, 8].iter().copied().chain((0..200).map(|i| (i * 7 % 253) as u8)).collect(),
    ];
    for name in ["stories/tutorial", "stories/dear-someone"] {
        let s = story(name);
        fuzz("run_steps", &seeds, |d| fuzzing::run_steps(&s, d));
    }
}
