//! `quill random`: seeded playthroughs, uniformly random or coverage-guided, with hit
//! counts, distributions, coverage and failed expectations.

use crate::{Format, render};
use epistle::narrative::guided::{Coverage, Mode, Run, search};
use epistle::narrative::sample::MAX_TURNS;
use epistle::narrative::story::ExpectSite;
use epistle::narrative::{Runner, Story, Value};
use serde_json::json;
use std::collections::BTreeMap;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

/// Replays a run in a runner, as the game would play it.
pub fn replay(story: &Arc<Story>, run: &Run) -> Runner {
    Runner::replay(Arc::clone(story), run.seed, run.choices.iter().map(|(c, t)| (*c, t.as_deref())), |_, _, _, _| {}).0
}

/// What a batch of runs found.
pub struct Tallies {
    /// Runs per ending.
    pub endings: Vec<u64>,
    /// The run count at which each ending was first reached.
    pub first: Vec<Option<u64>>,
    /// Node hits (runs that reached each node).
    pub node_hits: Vec<u64>,
    /// Final integer values per variable, per ending reached (index = ending).
    pub finals: Vec<BTreeMap<String, Vec<i64>>>,
    /// Final integer values per variable, over all runs.
    pub all_finals: BTreeMap<String, Vec<i64>>,
    /// Per variable: in how many runs it reached its maximum in the first half.
    pub maxed_early: BTreeMap<String, u64>,
    /// Per ending: the choices (node, choice) every run that reached it took.
    pub always: Vec<Option<Vec<(u32, u32)>>>,
    /// Choices made in all.
    pub turns: u64,
    /// Runs without an ending: seed, script, why.
    pub failures: Vec<(u64, Vec<String>, String)>,
    /// Per failed expectation: runs that met it, and the first one's seed and script.
    pub broken: BTreeMap<ExpectSite, (u64, u64, Vec<String>)>,
    /// The coverage at the end.
    pub coverage: Coverage,
    /// The run count at which all endings had been reached.
    pub all_endings_at: Option<u64>,
}

/// Plays `n` runs in `mode` and tallies them; `record` gets the first run reaching
/// each ending.
pub fn tally(story: &Arc<Story>, n: u64, seed: u64, mode: Mode, mut record: impl FnMut(&Run, u32)) -> Tallies {
    let e = story.endings.len();
    let mut t = Tallies {
        endings: vec![0; e],
        first: vec![None; e],
        node_hits: vec![0; story.nodes.len()],
        finals: vec![BTreeMap::new(); e],
        all_finals: BTreeMap::new(),
        maxed_early: BTreeMap::new(),
        always: vec![None; e],
        turns: 0,
        failures: Vec::new(),
        broken: BTreeMap::new(),
        coverage: Coverage::new(story),
        all_endings_at: None,
    };
    let mut k = 0u64;
    let coverage = search(story, seed, n, mode, |run, cov| {
        k += 1;
        t.turns += run.choices.len() as u64;
        for (h, v) in t.node_hits.iter_mut().zip(&run.state.visits) {
            *h += u64::from(*v > 0);
        }
        let half = (run.choices.len() as u32).div_ceil(2);
        for (d, at) in story.vars.iter().zip(&run.maxed_at) {
            if at.is_some_and(|a| a <= half) {
                *t.maxed_early.entry(d.name.clone()).or_default() += 1;
            }
        }
        let ints = || {
            story
                .vars
                .iter()
                .zip(&run.state.vars)
                .filter_map(|(d, v)| if let Value::Int(x) = v { Some((d.name.clone(), *x)) } else { None })
        };
        for (name, x) in ints() {
            t.all_finals.entry(name).or_default().push(x);
        }
        if !run.broken.is_empty() {
            let script = run.script(story);
            for (site, _) in &run.broken {
                let entry = t.broken.entry(*site).or_insert((0, run.seed, Vec::new()));
                entry.0 += 1;
                if entry.0 == 1 {
                    // The script up to the failure is the whole run's: short enough,
                    // and the failure is on the way.
                    entry.2 = script.clone();
                }
            }
        }
        match run.ending {
            Some(end) => {
                let end_i = end as usize;
                t.endings[end_i] += 1;
                for (name, x) in ints() {
                    t.finals[end_i].entry(name).or_default().push(x);
                }
                let mut taken: Vec<(u32, u32)> = Vec::new();
                let mut r = Runner::new(Arc::clone(story), run.seed);
                for (ci, typed) in &run.choices {
                    // Only real decisions: a node offering one choice decides nothing.
                    if r.choices().iter().filter(|c| c.enabled).count() > 1 {
                        taken.push((r.state().node, *ci));
                    }
                    if r.choose(*ci, typed.as_deref()).is_err() {
                        break;
                    }
                }
                taken.sort_unstable();
                taken.dedup();
                t.always[end_i] = Some(match t.always[end_i].take() {
                    None => taken,
                    Some(prev) => prev.into_iter().filter(|x| taken.binary_search(x).is_ok()).collect(),
                });
                if t.first[end_i].is_none() {
                    t.first[end_i] = Some(k);
                    record(run, end);
                }
            }
            None => {
                let r = replay(story, run);
                let why = r.page().stuck.clone().unwrap_or_else(|| format!("no ending after {MAX_TURNS} choices"));
                t.failures.push((run.seed, run.script(story), why));
            }
        }
        if t.all_endings_at.is_none() && cov.endings.iter().all(|x| *x) {
            t.all_endings_at = Some(k);
        }
    });
    t.coverage = coverage;
    t
}

/// Plays `n` playthroughs: in random mode run `i` uses story seed `seed + i` and picks
/// uniformly; guided runs prefer what is new. Reproducible either way.
pub fn run(dir: &Path, n: u64, seed: u64, guided: bool, format: Format, record: Option<&Path>) -> ExitCode {
    let Some((_, story)) = render::load_playable(dir) else {
        return ExitCode::FAILURE;
    };
    let mode = if guided { Mode::Guided } else { Mode::Random };
    let t = tally(&story, n, seed, mode, |run, e| {
        if let Some(out) = record {
            let id = &story.endings[e as usize].id;
            let path = out.join(format!("ending-{}.ron", id.replace('_', "-")));
            let text = epistle::narrative::story_test::record(&replay(&story, run), &format!("reaches {id}"));
            match epistle::narrative::fsio::write_atomic(&path, text.as_bytes()) {
                Ok(()) => eprintln!("recorded {}", path.display()),
                Err(err) => eprintln!("error: cannot write {}: {err}", path.display()),
            }
        }
    });
    match format {
        Format::Text => print_text(&story, dir, n, seed, mode, &t),
        Format::Json => {
            let cov = &t.coverage;
            let out = json!({
                "story": story.id, "runs": n, "seed": seed, "mode": if guided { "guided" } else { "random" },
                "endings": story.endings.iter().zip(&t.endings).map(|(e, c)| (e.id.clone(), *c)).collect::<BTreeMap<_, _>>(),
                "all_endings_after": t.all_endings_at,
                "nodes_never_hit": story.nodes.iter().zip(&t.node_hits).filter(|(_, h)| **h == 0).map(|(n, _)| n.id.clone()).collect::<Vec<_>>(),
                "variables": t.all_finals.iter().map(|(k, v)| (k.clone(), json!({"min": v.iter().min(), "max": v.iter().max(), "mean": mean(v)}))).collect::<BTreeMap<_, _>>(),
                "coverage": coverage_json(&story, cov),
                "never_covered": cov.missing(&story, 1000),
                "failures": t.failures.iter().map(|(s, c, w)| json!({"seed": s, "choices": c, "why": w})).collect::<Vec<_>>(),
                "broken_expectations": t.broken.iter().map(|(site, (count, s, c))| json!({"message": story.broken_message(*site), "playthroughs": count, "seed": s, "choices": c})).collect::<Vec<_>>(),
            });
            say!("{}", serde_json::to_string_pretty(&out).unwrap_or_default());
        }
    }
    if t.failures.is_empty() && t.broken.is_empty() { ExitCode::SUCCESS } else { ExitCode::FAILURE }
}

/// Coverage by kind, for JSON.
pub fn coverage_json(story: &Story, cov: &Coverage) -> serde_json::Value {
    let t = |x: epistle::narrative::guided::Tally| json!({"covered": x.covered, "total": x.total});
    json!({
        "nodes": t(cov.node_tally()),
        "passages": t(cov.passage_tally()),
        "choices": t(cov.choice_tally(story)),
        "condition_outcomes": t(cov.condition_tally(story)),
        "value_classes": t(cov.class_tally()),
        "endings": t(cov.ending_tally()),
        "all": t(cov.total(story)),
    })
}

/// Coverage by kind, as text lines.
pub fn coverage_lines(story: &Story, cov: &Coverage) -> Vec<String> {
    vec![
        format!("  nodes reached          {}", cov.node_tally()),
        format!("  passages shown         {}", cov.passage_tally()),
        format!("  choices taken          {}", cov.choice_tally(story)),
        format!("  condition outcomes     {}", cov.condition_tally(story)),
        format!("  value classes          {}", cov.class_tally()),
        format!("  endings                {}", cov.ending_tally()),
        format!("  all                    {}", cov.total(story)),
    ]
}

pub fn mean(v: &[i64]) -> f64 {
    if v.is_empty() { 0.0 } else { v.iter().sum::<i64>() as f64 / v.len() as f64 }
}

fn print_text(story: &Arc<Story>, dir: &Path, n: u64, seed: u64, mode: Mode, t: &Tallies) {
    let how = if mode == Mode::Guided { "coverage-guided" } else { "random" };
    say!("{n} {how} playthroughs of `{}` (seed {seed}), {:.1} choices on average", story.id, t.turns as f64 / n.max(1) as f64);
    say!("\nEndings:");
    for (e, c) in story.endings.iter().zip(&t.endings) {
        let pct = 100.0 * *c as f64 / n.max(1) as f64;
        say!("  {:<22} {c:>7}  {pct:5.1}%  {}", e.id, "█".repeat((pct / 2.5).round() as usize));
    }
    match t.all_endings_at {
        Some(k) => say!("  all {} endings reached after {k} playthroughs", story.endings.len()),
        None => say!("  {} of {} endings reached", t.endings.iter().filter(|c| **c > 0).count(), story.endings.len()),
    }
    say!("\nVariables at the end (min / mean / max):");
    for (k, v) in &t.all_finals {
        say!("  {k:<22} {:>4} / {:>6.2} / {:>4}", v.iter().min().unwrap_or(&0), mean(v), v.iter().max().unwrap_or(&0));
    }
    say!("\nCoverage:");
    for l in coverage_lines(story, &t.coverage) {
        say!("{l}");
    }
    let missing = t.coverage.missing(story, 30);
    if !missing.is_empty() {
        say!("Never covered (first {}):", missing.len());
        for m in &missing {
            say!("  {m}");
        }
    }
    if !t.failures.is_empty() {
        say!("\n{} playthrough(s) did not reach an ending:", t.failures.len());
        for (s, c, why) in t.failures.iter().take(10) {
            say!("  {why}\n    reproduce: printf '{}\\n' | quill play {} --seed {s}", shell_lines(c), dir.display());
        }
    }
    if !t.broken.is_empty() {
        say!("\n{} expectation(s) failed:", t.broken.len());
        for (site, (count, s, lines)) in &t.broken {
            say!("  ✗ {} — in {count} playthrough(s)", story.broken_message(*site));
            say!("    reproduce: printf '{}\\n' | quill play {} --seed {s}", shell_lines(lines), dir.display());
        }
    }
}

/// Lines for `printf '…\n'`: joined with `\n`, single quotes and backslashes escaped.
pub fn shell_lines(lines: &[String]) -> String {
    lines.iter().map(|l| l.replace('\\', "\\\\").replace('\'', "'\\''").replace('%', "%%")).collect::<Vec<_>>().join("\\n")
}
