//! `quill stats --balance`: what a writer tunes an economy of choices with. For each
//! ending, how often random and coverage-guided play reach it, each counter's
//! distribution there and (from a complete exploration) its exact range; choice points
//! that never matter; counters that reach their maximum early; endings reached only
//! through a narrow line.

use crate::random::{Tallies, mean, tally};
use crate::{Format, render};
use epistle::narrative::Story;
use epistle::narrative::explore::{Exploration, Limits, explore};
use epistle::narrative::guided::Mode;
use serde_json::json;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

/// An ending reached by fewer than this share of random playthroughs is "narrow".
const NARROW: f64 = 0.02;

/// The exploration the report takes exact ranges from: small enough to stay quick.
const EXPLORE_STATES: usize = 2_000_000;

pub fn run(dir: &Path, runs: u64, format: Format) -> ExitCode {
    let Some((loaded, story)) = render::load_playable(dir) else {
        return ExitCode::FAILURE;
    };
    let random = tally(&story, runs, 0, Mode::Random, |_, _| {});
    let guided = tally(&story, runs, 0, Mode::Guided, |_, _| {});
    let ex = explore(&story, Limits { max_states: EXPLORE_STATES, ..Limits::default() });
    let idle = epistle::narrative::balance::idle_choice_points(&story);
    match format {
        Format::Text => text(&story, &loaded, runs, &random, &guided, &ex, &idle),
        Format::Json => {
            say!("{}", serde_json::to_string_pretty(&as_json(&story, &loaded, runs, &random, &guided, &ex, &idle)).unwrap_or_default())
        }
    }
    ExitCode::SUCCESS
}

fn ints(story: &Story) -> Vec<(usize, &str)> {
    story
        .vars
        .iter()
        .enumerate()
        .filter(|(_, d)| matches!(d.default, epistle::narrative::Value::Int(_)) && d.max.is_some())
        .map(|(i, d)| (i, d.name.as_str()))
        .collect()
}

fn pct(n: u64, of: u64) -> f64 {
    100.0 * n as f64 / of.max(1) as f64
}

/// The choices every sampled path to ending `e` took, as "node: “choice”".
fn always(story: &Story, t: &Tallies, e: usize) -> Vec<String> {
    t.always[e].iter().flatten().map(|&(n, c)| format!("{}: “{}”", story.node(n).id, story.node(n).choices[c as usize].key())).collect()
}

fn narrow(story: &Story, runs: u64, random: &Tallies, guided: &Tallies) -> Vec<(usize, Vec<String>)> {
    (0..story.endings.len())
        .filter(|&e| (random.endings[e] as f64) < NARROW * runs as f64)
        .map(|e| {
            // Choices both kinds of play always took on the way there.
            let a = always(story, random, e);
            let b = always(story, guided, e);
            let both: Vec<String> = if random.endings[e] == 0 { b } else { a.into_iter().filter(|x| b.contains(x)).collect() };
            (e, both)
        })
        .collect()
}

#[allow(clippy::too_many_arguments)]
fn text(
    story: &Arc<Story>,
    loaded: &epistle::narrative::Loaded,
    runs: u64,
    random: &Tallies,
    guided: &Tallies,
    ex: &Exploration,
    idle: &[u32],
) {
    say!("Balance of `{}`: {runs} random and {runs} coverage-guided playthroughs, and an exploration.", story.id);
    let exact = if ex.complete { "exact ranges from a complete exploration" } else { "the exploration did not complete: no exact ranges" };
    say!("({exact})");
    let vars = ints(story);
    for (e, decl) in story.endings.iter().enumerate() {
        say!("\n{} “{}”: random {:.1}%, guided {:.1}%", decl.id, decl.title, pct(random.endings[e], runs), pct(guided.endings[e], runs));
        if random.endings[e] + guided.endings[e] == 0 {
            say!("  never reached by either");
            continue;
        }
        say!("  {:<18} {:>22} {:>22} {:>10}", "variable", "random min/mean/max", "guided min/mean/max", "exact");
        for &(v, name) in &vars {
            let show = |t: &Tallies| match t.finals[e].get(name) {
                Some(xs) if !xs.is_empty() => {
                    format!("{} / {:.1} / {}", xs.iter().min().unwrap_or(&0), mean(xs), xs.iter().max().unwrap_or(&0))
                }
                _ => "—".to_string(),
            };
            let range = match ex.ending_ranges.get(e).and_then(|r| r[v]) {
                Some((lo, hi)) if ex.complete => format!("{lo}..{hi}"),
                _ => "—".to_string(),
            };
            say!("  {name:<18} {:>22} {:>22} {range:>10}", show(random), show(guided));
        }
    }
    say!("\nChoice points that never matter (every option ends at the same place and changes nothing read later): {}", idle.len());
    for &n in idle.iter().take(40) {
        say!("  {}  ({})", story.node(n).id, loaded.node_location(n));
    }
    say!("\nCounters that reach their maximum in the first half of a playthrough:");
    let mut any = false;
    for &(_, name) in &vars {
        let r = random.maxed_early.get(name).copied().unwrap_or(0);
        if r > 0 {
            any = true;
            say!("  {name:<18} in {:.1}% of random playthroughs", pct(r, runs));
        }
    }
    if !any {
        say!("  none");
    }
    let narrow = narrow(story, runs, random, guided);
    say!("\nNarrow endings (reached by fewer than {:.0}% of random playthroughs):", NARROW * 100.0);
    if narrow.is_empty() {
        say!("  none");
    }
    for (e, line) in narrow {
        say!(
            "  {} ({:.1}% random){}",
            story.endings[e].id,
            pct(random.endings[e], runs),
            if line.is_empty() { "" } else { "; every path found takes:" }
        );
        for l in line.iter().take(12) {
            say!("    {l}");
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn as_json(
    story: &Arc<Story>,
    loaded: &epistle::narrative::Loaded,
    runs: u64,
    random: &Tallies,
    guided: &Tallies,
    ex: &Exploration,
    idle: &[u32],
) -> serde_json::Value {
    let vars = ints(story);
    let endings: Vec<_> = story
        .endings
        .iter()
        .enumerate()
        .map(|(e, d)| {
            let dist = |t: &Tallies| {
                vars.iter()
                    .filter_map(|&(_, name)| {
                        let xs = t.finals[e].get(name)?;
                        Some((name.to_string(), json!({"min": xs.iter().min(), "mean": mean(xs), "max": xs.iter().max()})))
                    })
                    .collect::<serde_json::Map<_, _>>()
            };
            let exact: serde_json::Map<_, _> = vars
                .iter()
                .filter_map(|&(v, name)| {
                    let (lo, hi) = ex.ending_ranges.get(e)?.get(v).copied().flatten().filter(|_| ex.complete)?;
                    Some((name.to_string(), json!([lo, hi])))
                })
                .collect();
            json!({
                "id": d.id,
                "random_share": random.endings[e] as f64 / runs.max(1) as f64,
                "guided_share": guided.endings[e] as f64 / runs.max(1) as f64,
                "random": dist(random),
                "guided": dist(guided),
                "exact_range": exact,
            })
        })
        .collect();
    json!({
        "story": story.id,
        "runs": runs,
        "exploration_complete": ex.complete,
        "endings": endings,
        "idle_choice_points": idle.iter().map(|&n| json!({"node": story.node(n).id, "at": loaded.node_location(n)})).collect::<Vec<_>>(),
        "maxed_early": vars.iter().map(|&(_, name)| (name.to_string(), json!(random.maxed_early.get(name).copied().unwrap_or(0) as f64 / runs.max(1) as f64))).collect::<serde_json::Map<_, _>>(),
        "narrow_endings": narrow(story, runs, random, guided).into_iter().map(|(e, line)| json!({"id": story.endings[e].id, "always_taken": line})).collect::<Vec<_>>(),
    })
}
