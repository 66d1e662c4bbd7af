//! `quill random`: seeded random playthroughs, with hit counts and distributions.

use crate::{Format, render};
use epistle::narrative::sample::{self, MAX_TURNS};
use epistle::narrative::story::ExpectSite;
use epistle::narrative::{Runner, Story, Value};
use serde_json::json;
use std::collections::BTreeMap;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

/// Plays `n` playthroughs: run `i` uses story seed `seed + i`, and picks choices with a
/// generator seeded from `seed`, so the whole report is reproducible.
pub fn run(dir: &Path, n: u64, seed: u64, format: Format, record: Option<&Path>) -> ExitCode {
    let Some((_, story)) = render::load_playable(dir) else {
        return ExitCode::FAILURE;
    };
    let mut node_hits = vec![0u64; story.nodes.len()];
    let mut choice_hits: Vec<Vec<u64>> = story.nodes.iter().map(|n| vec![0; n.choices.len()]).collect();
    let mut endings = vec![0u64; story.endings.len()];
    let mut finals: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    let mut turns_total = 0u64;
    let mut failures = Vec::new();
    // Per failed expectation: how many playthroughs met it, and the first one's seed
    // and choices up to it.
    let mut broken: BTreeMap<ExpectSite, (u64, u64, Vec<String>)> = BTreeMap::new();
    let literals = epistle::narrative::inputs::compared_literals(&story);
    for i in 0..n {
        let p = sample::playthrough_with(&story, seed, i, &literals);
        let script = p.script();
        let (run_seed, r) = (p.seed, p.runner);
        let chosen = p.numbers;
        let mut replay = Runner::new(Arc::clone(&story), run_seed);
        let mut note_broken = |r: &Runner, turn: usize| {
            for &site in &r.page().broken {
                let e = broken.entry(site).or_insert((0, run_seed, Vec::new()));
                e.0 += 1;
                if e.0 == 1 {
                    e.2 = script[..turn].to_vec();
                }
            }
        };
        note_broken(&replay, 0);
        for (t, (&num, typed)) in chosen.iter().zip(&p.typed).enumerate() {
            let offered: Vec<_> = replay.choices().into_iter().filter(|c| c.enabled).collect();
            let Some(c) = offered.get(num - 1) else { break };
            choice_hits[replay.state().node as usize][c.index as usize] += 1;
            if replay.choose(c.index, typed.as_deref()).is_err() {
                break;
            }
            note_broken(&replay, t + 1);
        }
        for (h, v) in node_hits.iter_mut().zip(&r.state().visits) {
            *h += u64::from(*v > 0);
        }
        turns_total += chosen.len() as u64;
        match r.ended() {
            Some(e) => {
                endings[e as usize] += 1;
                if let (Some(dir), 1) = (record, endings[e as usize]) {
                    let id = &story.endings[e as usize].id;
                    let path = dir.join(format!("ending-{}.ron", id.replace('_', "-")));
                    let text = epistle::narrative::story_test::record(&r, &format!("reaches {id}"));
                    if let Err(err) = epistle::narrative::fsio::write_atomic(&path, text.as_bytes()) {
                        eprintln!("error: cannot write {}: {err}", path.display());
                    }
                }
            }
            None => {
                let why = r.page().stuck.clone().unwrap_or_else(|| format!("no ending after {MAX_TURNS} choices"));
                failures.push((run_seed, script.clone(), why));
            }
        }
        for (d, v) in story.vars.iter().zip(&r.state().vars) {
            if let Value::Int(x) = v {
                finals.entry(d.name.clone()).or_default().push(*x);
            }
        }
    }
    match format {
        Format::Text => {
            print_text(&story, dir, n, seed, &node_hits, &choice_hits, &endings, &finals, turns_total, &failures);
            if !broken.is_empty() {
                say!("\n{} expectation(s) failed:", broken.len());
                for (site, (count, s, lines)) in &broken {
                    say!("  ✗ {} — in {count} playthrough(s)", story.broken_message(*site));
                    say!("    reproduce: printf '{}\\n' | quill play {} --seed {s}", shell_lines(lines), dir.display());
                }
            }
        }
        Format::Json => {
            let out = json!({
                "story": story.id, "runs": n, "seed": seed,
                "endings": story.endings.iter().zip(&endings).map(|(e, c)| (e.id.clone(), *c)).collect::<BTreeMap<_, _>>(),
                "nodes_never_hit": story.nodes.iter().zip(&node_hits).filter(|(_, h)| **h == 0).map(|(n, _)| n.id.clone()).collect::<Vec<_>>(),
                "variables": finals.iter().map(|(k, v)| (k.clone(), json!({"min": v.iter().min(), "max": v.iter().max(), "mean": mean(v)}))).collect::<BTreeMap<_, _>>(),
                "failures": failures.iter().map(|(s, c, w)| json!({"seed": s, "choices": c, "why": w})).collect::<Vec<_>>(),
                "broken_expectations": broken.iter().map(|(site, (count, s, c))| json!({"message": story.broken_message(*site), "playthroughs": count, "seed": s, "choices": c})).collect::<Vec<_>>(),
            });
            say!("{}", serde_json::to_string_pretty(&out).unwrap_or_default());
        }
    }
    if failures.is_empty() && broken.is_empty() { ExitCode::SUCCESS } else { ExitCode::FAILURE }
}

fn mean(v: &[i64]) -> f64 {
    if v.is_empty() { 0.0 } else { v.iter().sum::<i64>() as f64 / v.len() as f64 }
}

#[allow(clippy::too_many_arguments)]
fn print_text(
    story: &Story,
    dir: &Path,
    n: u64,
    seed: u64,
    node_hits: &[u64],
    choice_hits: &[Vec<u64>],
    endings: &[u64],
    finals: &BTreeMap<String, Vec<i64>>,
    turns: u64,
    failures: &[(u64, Vec<String>, String)],
) {
    say!("{n} random playthroughs of `{}` (seed {seed}), {:.1} choices on average", story.id, turns as f64 / n.max(1) as f64);
    say!("\nEndings:");
    for (e, c) in story.endings.iter().zip(endings) {
        let pct = 100.0 * *c as f64 / n.max(1) as f64;
        say!("  {:<22} {c:>7}  {pct:5.1}%  {}", e.id, "█".repeat((pct / 2.5).round() as usize));
    }
    say!("\nVariables at the end (min / mean / max):");
    for (k, v) in finals {
        say!("  {k:<22} {:>4} / {:>6.2} / {:>4}", v.iter().min().unwrap_or(&0), mean(v), v.iter().max().unwrap_or(&0));
    }
    let never: Vec<&str> = story.nodes.iter().zip(node_hits).filter(|(_, h)| **h == 0).map(|(n, _)| n.id.as_str()).collect();
    say!("\nNodes never hit: {}", if never.is_empty() { "none".into() } else { format!("{} ({})", never.len(), never.join(", ")) });
    let mut unchosen = Vec::new();
    for (ni, node) in story.nodes.iter().enumerate() {
        for (ci, c) in node.choices.iter().enumerate() {
            if !c.fallback && node_hits[ni] > 0 && choice_hits[ni][ci] == 0 {
                unchosen.push(format!("{}: “{}”", node.id, c.key));
            }
        }
    }
    say!("Choices never taken (in nodes that were hit): {}", if unchosen.is_empty() { "none".into() } else { unchosen.len().to_string() });
    for u in unchosen.iter().take(20) {
        say!("  {u}");
    }
    if !failures.is_empty() {
        say!("\n{} playthrough(s) did not reach an ending:", failures.len());
        for (s, c, why) in failures.iter().take(10) {
            say!("  {why}\n    reproduce: printf '{}\\n' | quill play {} --seed {s}", shell_lines(c), dir.display());
        }
    }
}

/// Lines for `printf '…\n'`: joined with `\n`, single quotes and backslashes escaped.
pub fn shell_lines(lines: &[String]) -> String {
    lines.iter().map(|l| l.replace('\\', "\\\\").replace('\'', "'\\''").replace('%', "%%")).collect::<Vec<_>>().join("\\n")
}
