//! `quill explore`: every reachable state, every ending's shortest path, and what the
//! story can never do.

use crate::random::shell_lines;
use crate::{Format, render};
use epistle::narrative::explore::{Bound, CondSite, Exploration, Limits, Step, explore, explore_abstract, witness};
use epistle::narrative::guided::{Mode, Run, search_within};
use epistle::narrative::story::ExpectSite;
use epistle::narrative::{EndingId, Loaded, Runner, Story, sample};
use serde_json::json;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

/// Runs the exploration; exit 1 if an ending is unreachable or a trap exists (or the
/// story does not load), 2 if the bound stopped it before it could tell.
pub fn run(dir: &Path, format: Format, limits: Limits, record: Option<&Path>) -> ExitCode {
    let Some((loaded, story)) = render::load_playable(dir) else {
        return ExitCode::FAILURE;
    };
    // The core has no clock (it runs in the browser too): the tool times it.
    let started = std::time::Instant::now();
    let ex = explore(&story, limits);
    let seconds = started.elapsed().as_secs_f64();
    match format {
        Format::Text => print_text(&loaded, &story, &ex, dir, seconds, limits),
        Format::Json => print_json(&loaded, &story, &ex, seconds),
    }
    if let Some(out) = record
        && !record_witnesses(&story, &ex, out)
    {
        return ExitCode::FAILURE;
    }
    let missing = ex.endings.iter().any(Option::is_none);
    if !ex.broken.is_empty() {
        ExitCode::FAILURE
    } else if !ex.complete {
        ExitCode::from(2)
    } else if missing || ex.traps > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

fn describe(steps: &[Step]) -> String {
    let plural = |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    let chances = steps.iter().filter(|s| matches!(s, Step::Chance { .. })).count();
    let choices = plural(steps.len() - chances, "choice", "choices");
    if chances > 0 { format!("{choices}, {}", plural(chances, "random outcome", "random outcomes")) } else { choices }
}

/// When the story is too big to explore exactly: explore it without its counters
/// (every condition on them followed both ways), which proves what holds there.
fn print_abstraction(loaded: &Loaded, story: &Arc<Story>, limits: Limits, dir: &Path, found_len: &[Option<usize>]) {
    // Nothing to leave out: the over-approximation would be the exploration again.
    if !epistle::narrative::explore::abstracted_variables(story).contains(&true) {
        return;
    }
    let started = std::time::Instant::now();
    let (ab, left_out) = explore_abstract(story, limits);
    let names: Vec<&str> = story.vars.iter().zip(&left_out).filter(|(_, h)| **h).map(|(d, _)| d.name.as_str()).collect();
    say!(
        "\nWithout its counters ({}), every condition on them followed both ways: {} states in {:.2} s ({} MiB at the most), {}.",
        names.join(", "),
        ab.states,
        started.elapsed().as_secs_f64(),
        ab.peak_memory.div_ceil(1 << 20),
        if ab.complete { "complete" } else { "also stopped by a bound" }
    );
    if !ab.complete {
        return;
    }
    say!("Every path of the story is a path of this over-approximation, so:");
    let declared = count_expectations(story);
    let undecided = ab.undecided.len();
    if undecided > 0 {
        say!(
            "  · {undecided} expectation(s) on a counter are not implied by the conditions that lead to them: `quill random` and `quill test` check them"
        );
        for site in &ab.undecided {
            let at = site_node(*site).map(|n| format!("  ({})", loaded.node_location(n))).unwrap_or_default();
            let src = story.expectation(*site).map_or("", |e| e.src.as_str());
            say!("      `{src}` of {}{at}", story.describe_site(*site));
        }
    }
    if declared > 0 {
        let held = declared - ab.broken.len() - undecided;
        if held == declared {
            say!("  ✓ expectations: all {declared} hold on every path (proved)");
        } else {
            say!("  ✓ expectations: {held} of {declared} hold on every path (proved)");
        }
        if !ab.broken.is_empty() {
            say!("  ? {} may fail: the path found ignores the counters, so it is replayed on the story itself:", ab.broken.len());
            for (site, steps) in &ab.broken {
                let at = site_node(*site).map(|n| format!("  ({})", loaded.node_location(n))).unwrap_or_default();
                let replay = witness(story, steps, 10_000).filter(|w| {
                    // Replayed in the story itself: does it really fail there?
                    let mut r = Runner::new(Arc::clone(story), w.seed);
                    let mut hit = r.page().broken.contains(site);
                    for (pos, _, typed) in &w.choices {
                        let Some(c) = r.choices().get(pos - 1).filter(|c| c.enabled).map(|c| c.index) else { return false };
                        if r.choose(c, typed.as_deref()).is_err() {
                            return false;
                        }
                        hit |= r.page().broken.contains(site);
                    }
                    hit
                });
                match replay {
                    Some(w) => {
                        let lines: Vec<String> = w.script().lines().map(str::to_string).collect();
                        say!(
                            "    ✗ {}{at} — confirmed: printf '{}\\n' | quill play {} --seed {}",
                            story.broken_message(*site),
                            shell_lines(&lines),
                            dir.display(),
                            w.seed
                        );
                    }
                    None => say!(
                        "    ? {}{at} — not confirmed: that path needs other counter values; `quill random --guided` searches the story itself",
                        story.broken_message(*site)
                    ),
                }
            }
        }
    }
    // A shortest path here is at least as short as any in the story; when it also
    // plays in the story, it is a shortest path of the story.
    for (e, (decl, path)) in story.endings.iter().zip(&ab.endings).enumerate() {
        match path {
            None => say!("  ✗ {:<20} unreachable (proved)", decl.id),
            Some(steps) => match replays_to(story, steps, e as u32) {
                Some(w) => {
                    let lines: Vec<String> = w.script().lines().map(str::to_string).collect();
                    say!(
                        "  ✓ {:<20} shortest path: {} (proved shortest: none is shorter even without the counters)",
                        decl.id,
                        describe(steps)
                    );
                    say!("      replay: printf '{}\\n' | quill play {} --seed {}", shell_lines(&lines), dir.display(), w.seed);
                }
                None => {
                    let bound = steps.iter().filter(|s| matches!(s, Step::Choose { .. })).count();
                    match found_len.get(e).copied().flatten() {
                        // The witness above meets the lower bound: it is a shortest one.
                        Some(n) if n == bound => {
                            say!(
                                "  ✓ {:<20} shortest path: {n} choices, the witness above (proved shortest: none is shorter even without the counters)",
                                decl.id
                            )
                        }
                        Some(n) => say!("  · {:<20} the witness above takes {n} choices; none can take fewer than {bound}", decl.id),
                        None => say!("  · {:<20} none can take fewer than {bound} choices; no witness found in the story yet", decl.id),
                    }
                }
            },
        }
    }
    if ab.traps == 0 {
        say!("  ✓ traps: none — every reader, in every state, has a choice that surely leads on to an ending (proved)");
    } else {
        say!("  ? traps: {} states here cannot be shown to lead to an ending (not decided; the exact exploration decides)", ab.traps);
    }
}

fn print_text(loaded: &Loaded, story: &Arc<Story>, ex: &Exploration, dir: &Path, seconds: f64, limits: Limits) {
    let state = match ex.stopped_by {
        None => "complete".to_string(),
        Some(b) => format!("STOPPED by {b} after {} states", ex.states),
    };
    say!(
        "Explored `{}`: {} states, {} transitions in {:.2} s ({:.0} states/s), {state}.",
        story.id,
        ex.states,
        ex.transitions,
        seconds,
        ex.states as f64 / seconds.max(1e-9)
    );
    say!("Memory reserved by the exploration's tables: {} MiB at the most (checked as they grow).", ex.peak_memory.div_ceil(1 << 20));
    let reached = ex.endings.iter().filter(|e| e.is_some()).count();
    say!("\nEndings: {reached} of {} reachable", story.endings.len());
    for (e, path) in story.endings.iter().zip(&ex.endings) {
        match path {
            None if ex.complete => say!("  ✗ {:<20} UNREACHABLE  “{}”", e.id, e.title),
            None => say!("  ? {:<20} not found within the bound  “{}”", e.id, e.title),
            Some(steps) => {
                say!("  ✓ {:<20} shortest path: {}  “{}”", e.id, describe(steps), e.title);
                match witness(story, steps, 10_000) {
                    Some(w) => {
                        let lines: Vec<String> = w.script().lines().map(str::to_string).collect();
                        say!("      replay: printf '{}\\n' | quill play {} --seed {}", shell_lines(&lines), dir.display(), w.seed);
                    }
                    None => say!("      (no seed found within the search budget reproduces its random outcomes)"),
                }
            }
        }
    }
    print_expectations(loaded, story, ex, dir);
    let never: Vec<usize> = (0..story.nodes.len()).filter(|&i| !ex.node_reached[i]).collect();
    if ex.complete {
        say!("\nNodes never reached: {}", if never.is_empty() { "none".to_string() } else { never.len().to_string() });
        for &i in never.iter().take(50) {
            say!("  {}  ({})", story.nodes[i].id, loaded.node_location(i as u32));
        }
    }
    let mut dead = Vec::new();
    for (ni, node) in story.nodes.iter().enumerate() {
        if !ex.node_reached[ni] {
            continue;
        }
        for (ci, c) in node.choices.iter().enumerate() {
            if !c.fallback() && !ex.choice_enabled[ni][ci] {
                dead.push(format!("  {} choice {} “{}”  ({})", node.id, ci + 1, c.key(), loaded.node_location(ni as u32)));
            }
        }
    }
    if ex.complete {
        say!("\nChoices never available: {}", if dead.is_empty() { "none".to_string() } else { dead.len().to_string() });
        for d in dead.iter().take(50) {
            say!("{d}");
        }
        say!(
            "\nConditions that never change where tested: {}",
            if ex.constant_conditions.is_empty() { "none".into() } else { ex.constant_conditions.len().to_string() }
        );
        for (n, site, v) in ex.constant_conditions.iter().take(50) {
            let node = &story.nodes[*n as usize];
            let what = match site {
                CondSite::Choice(i) => format!("the `when` of choice {} “{}”", i + 1, node.choices[*i as usize].key()),
                CondSite::Branch(i) => format!("`If` number {} of its `next`", i + 1),
            };
            say!("  {}: {what} is always {v}  ({})", node.id, loaded.node_location(*n));
        }
        match &ex.trap_example {
            None => say!("\nTraps (states with no way to any ending): none"),
            Some((steps, node)) => {
                say!(
                    "\nTraps (states with no way to any ending): {} — e.g. at `{}` ({})",
                    ex.traps,
                    story.node(*node).id,
                    loaded.node_location(*node)
                );
                if let Some(w) = witness(story, steps, 10_000) {
                    let lines: Vec<String> = w.script().lines().map(str::to_string).collect();
                    say!("      replay: printf '{}\\n' | quill play {} --seed {}", shell_lines(&lines), dir.display(), w.seed);
                }
            }
        }
        if ex.stuck > 0 {
            say!("  of which {} stop with nothing to choose and no fallback", ex.stuck);
        }
    } else {
        let missing: Vec<usize> = (0..story.endings.len()).filter(|&e| ex.endings[e].is_none()).collect();
        // Per ending: the fewest choices a witness found so far takes.
        let mut found_len: Vec<Option<usize>> =
            ex.endings.iter().map(|p| p.as_ref().map(|s| s.iter().filter(|x| matches!(x, Step::Choose { .. })).count())).collect();
        if !missing.is_empty() {
            say!("\nSearching for the endings not yet found: 20000 random and 2000 coverage-guided playthroughs, the shortest kept:");
            let found = sample::witnesses(story, 0, 20_000);
            let mut guided: Vec<Option<Run>> = vec![None; story.endings.len()];
            // Bounded in work, not only in runs: a story of endless loops stops early.
            search_within(story, 0, 2_000, Mode::Guided, 200_000, |run, _| {
                if let Some(e) = run.ending
                    && guided[e as usize].as_ref().is_none_or(|b| run.choices.len() < b.choices.len())
                {
                    guided[e as usize] = Some(run.clone());
                }
            });
            for e in missing {
                let sampled = found[e].as_ref().map(|p| (p.numbers.len(), p.script(), p.seed));
                let steered = guided[e].as_ref().map(|r| (r.choices.len(), r.script(story), r.seed));
                let best = match (sampled, steered) {
                    (Some(a), Some(b)) => Some(if b.0 < a.0 { b } else { a }),
                    (a, b) => a.or(b),
                };
                match best {
                    Some((n, script, seed)) => {
                        found_len[e] = Some(n);
                        say!("  ✓ {:<20} reached in {n} choices", story.endings[e].id);
                        say!("      replay: printf '{}\\n' | quill play {} --seed {seed}", shell_lines(&script), dir.display());
                    }
                    None => say!("  ? {:<20} not reached by either", story.endings[e].id),
                }
            }
        }
        print_abstraction(loaded, story, limits, dir, &found_len);
        let how = match ex.stopped_by {
            Some(Bound::Memory) => "raise --max-memory",
            Some(Bound::Steps) => "raise --max-steps",
            _ => "raise --max-states",
        };
        say!(
            "\nThe exact exploration stopped at {}: it gives no verdict itself (the proofs above come from the over-approximation, when it completes), and the witnesses are not necessarily shortest; {how} for an exact report.",
            ex.stopped_by.map_or_else(|| "a bound".to_string(), |b| b.to_string())
        );
        say!("Coverage so far: {} of {} nodes reached.", ex.node_reached.iter().filter(|r| **r).count(), story.nodes.len());
    }
}

/// The node an expectation belongs to, for its file and line.
fn site_node(site: ExpectSite) -> Option<u32> {
    match site {
        ExpectSite::Node(n) | ExpectSite::Passage { node: n, .. } | ExpectSite::Choice { node: n, .. } => Some(n),
        _ => None,
    }
}

fn print_expectations(loaded: &Loaded, story: &Arc<Story>, ex: &Exploration, dir: &Path) {
    let declared = count_expectations(story);
    if declared == 0 {
        return;
    }
    if ex.broken.is_empty() {
        if ex.complete {
            say!("\nExpectations: all {declared} hold on every path (proved by the complete exploration)");
        } else {
            say!("\nExpectations: {declared} declared; none failed in the states explored (not a proof: the exploration stopped)");
        }
        return;
    }
    say!("\nExpectations: {} of {declared} FAIL on some path", ex.broken.len());
    for (site, steps) in &ex.broken {
        let at = site_node(*site).map(|n| format!("  ({})", loaded.node_location(n))).unwrap_or_default();
        say!("  ✗ {}{at}", story.broken_message(*site));
        say!("      shortest path found: {}", describe(steps));
        if let Some(w) = witness(story, steps, 10_000) {
            let lines: Vec<String> = w.script().lines().map(str::to_string).collect();
            say!("      replay: printf '{}\\n' | quill play {} --seed {}", shell_lines(&lines), dir.display(), w.seed);
        }
    }
}

/// A witness for `steps` that, played in the story itself, ends at `ending`.
fn replays_to(story: &Arc<Story>, steps: &[Step], ending: u32) -> Option<epistle::narrative::explore::Witness> {
    let w = witness(story, steps, 10_000)?;
    let mut r = Runner::new(Arc::clone(story), w.seed);
    for (pos, _, typed) in &w.choices {
        let c = r.choices().get(pos - 1).filter(|c| c.enabled).map(|c| c.index)?;
        r.choose(c, typed.as_deref()).ok()?;
    }
    (r.ended() == Some(EndingId(ending))).then_some(w)
}

/// How many expectations and invariants the story declares.
fn count_expectations(story: &Story) -> usize {
    story.invariants.len()
        + story
            .nodes
            .iter()
            .map(|n| {
                usize::from(n.expect().is_some())
                    + n.passages.iter().filter(|p| p.expect().is_some()).count()
                    + n.choices.iter().filter(|c| c.expect().is_some()).count()
            })
            .sum::<usize>()
}

fn print_json(loaded: &Loaded, story: &Arc<Story>, ex: &Exploration, seconds: f64) {
    let endings: Vec<_> = story
        .endings
        .iter()
        .zip(&ex.endings)
        .map(|(e, p)| {
            let w = p.as_ref().and_then(|steps| witness(story, steps, 10_000));
            json!({
                "id": e.id,
                "reachable": p.is_some(),
                "path_length": p.as_ref().map(|s| s.iter().filter(|x| matches!(x, Step::Choose { .. })).count()),
                "seed": w.as_ref().map(|w| w.seed),
                "choices": w.as_ref().map(|w| w.choices.iter().map(|(n, t, _)| json!({"number": n, "text": t})).collect::<Vec<_>>()),
            })
        })
        .collect();
    let never: Vec<_> = (0..story.nodes.len())
        .filter(|&i| !ex.node_reached[i])
        .map(|i| json!({"node": story.nodes[i].id, "at": loaded.node_location(i as u32)}))
        .collect();
    let out = json!({
        "story": story.id,
        "states": ex.states,
        "transitions": ex.transitions,
        "complete": ex.complete,
        "stopped_by": ex.stopped_by.map(|b| match b {
            Bound::Memory => "memory",
            Bound::Steps => "steps",
            _ => "states",
        }),
        "peak_memory_bytes": ex.peak_memory,
        "seconds": seconds,
        "endings": endings,
        "never_reached": if ex.complete { json!(never) } else { json!(null) },
        "traps": if ex.complete { json!(ex.traps) } else { json!(null) },
        "stuck": ex.stuck,
        "expectations": count_expectations(story),
        "broken_expectations": ex.broken.iter().map(|(site, steps)| {
            let w = witness(story, steps, 10_000);
            json!({
                "message": story.broken_message(*site),
                "at": site_node(*site).map(|n| loaded.node_location(n)),
                "path_length": steps.iter().filter(|x| matches!(x, Step::Choose { .. })).count(),
                "seed": w.as_ref().map(|w| w.seed),
                "choices": w.as_ref().map(|w| w.choices.iter().map(|(n, t, _)| json!({"number": n, "text": t})).collect::<Vec<_>>()),
            })
        }).collect::<Vec<_>>(),
    });
    say!("{}", serde_json::to_string_pretty(&out).unwrap_or_default());
}

/// Parses a size: a number of bytes with an optional `K`, `M` or `G` (binary units),
/// e.g. `4G`, `512M`.
pub fn parse_size(s: &str) -> Result<usize, String> {
    let t = s.trim();
    let (num, mul) = match t.char_indices().last() {
        Some((i, 'k' | 'K')) => (&t[..i], 1usize << 10),
        Some((i, 'm' | 'M')) => (&t[..i], 1 << 20),
        Some((i, 'g' | 'G')) => (&t[..i], 1 << 30),
        _ => (t, 1),
    };
    let n: usize = num.trim().parse().map_err(|_| format!("`{s}` is not a size: write e.g. 4G, 512M or 100000"))?;
    n.checked_mul(mul).ok_or_else(|| format!("`{s}` is too large"))
}

/// Writes each reachable ending's witness as a story test, `OUT/ending-<id>.ron`
/// (the seed it needs, the choices by text, what was typed, the ending and the final
/// integers). Returns false if a file could not be written.
fn record_witnesses(story: &Arc<Story>, ex: &Exploration, out: &Path) -> bool {
    let mut ok = true;
    // Each failed expectation's path as a test that fails until the story is fixed.
    for (k, (site, steps)) in ex.broken.iter().enumerate() {
        let Some(w) = witness(story, steps, 10_000) else { continue };
        let mut r = Runner::new(Arc::clone(story), w.seed);
        for (pos, _, typed) in &w.choices {
            let Some(c) = r.choices().get(pos - 1).map(|c| c.index) else { break };
            if r.choose(c, typed.as_deref()).is_err() {
                break;
            }
        }
        let path = out.join(format!("expectation-{}.ron", k + 1));
        let text =
            epistle::narrative::story_test::record(&r, &format!("keeps: {}", story.broken_message(*site).replace(" does not hold", "")));
        match epistle::narrative::fsio::write_atomic(&path, text.as_bytes()) {
            Ok(()) => say!("recorded {} (fails until the expectation holds)", path.display()),
            Err(err) => {
                eprintln!("error: cannot write {}: {err}", path.display());
                ok = false;
            }
        }
    }
    for (e, path) in ex.endings.iter().enumerate() {
        let Some(steps) = path else { continue };
        let id = &story.endings[e].id;
        let Some(w) = witness(story, steps, 10_000) else {
            eprintln!("warning: no seed found that replays the path to `{id}`; no test written for it");
            continue;
        };
        let mut r = Runner::new(Arc::clone(story), w.seed);
        for (pos, _, typed) in &w.choices {
            let Some(c) = r.choices().get(pos - 1).map(|c| c.index) else { break };
            if r.choose(c, typed.as_deref()).is_err() {
                break;
            }
        }
        if r.ended() != Some(EndingId(e as u32)) {
            eprintln!("warning: the witness for `{id}` did not replay to it; no test written for it");
            continue;
        }
        let path = out.join(format!("ending-{}.ron", id.replace('_', "-")));
        let text = epistle::narrative::story_test::record(&r, &format!("reaches {id}"));
        match epistle::narrative::fsio::write_atomic(&path, text.as_bytes()) {
            Ok(()) => say!("recorded {}", path.display()),
            Err(err) => {
                eprintln!("error: cannot write {}: {err}", path.display());
                ok = false;
            }
        }
    }
    ok
}
