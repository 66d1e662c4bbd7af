//! `quill stats`: how big a story is: words, passages, nodes, choices, endings and
//! reading time, per chapter and per speaker.

use crate::{Format, render};
use epistle::narrative::Story;
use epistle::narrative::story::Passage;
use serde_json::json;
use std::collections::BTreeMap;
use std::path::Path;
use std::process::ExitCode;

/// Reading speed used for the estimates, in words per minute (a typical adult reading
/// fiction silently).
const WPM: f64 = 240.0;

/// Playthroughs sampled for the per-playthrough estimate.
const SAMPLES: u64 = 300;

/// Words read and choices made per playthrough over seeded random playthroughs:
/// (min, mean, max) words, mean choices.
fn per_playthrough(story: &std::sync::Arc<Story>) -> ((usize, usize, usize), f64) {
    let runs: Vec<_> = (0..SAMPLES).map(|i| epistle::narrative::sample::playthrough(story, 0, i)).collect();
    let words: Vec<usize> = runs.iter().map(|p| p.words).collect();
    let mean = words.iter().sum::<usize>() / words.len().max(1);
    let choices = runs.iter().map(|p| p.numbers.len()).sum::<usize>() as f64 / runs.len().max(1) as f64;
    ((words.iter().copied().min().unwrap_or(0), mean, words.iter().copied().max().unwrap_or(0)), choices)
}

fn words(p: &Passage) -> usize {
    let mut n = 0;
    p.text.each_literal(&mut |s| n += s.split_whitespace().count());
    n
}

#[derive(Default, Clone, Copy)]
struct Count {
    words: usize,
    passages: usize,
    nodes: usize,
    choices: usize,
    variable: usize,
}

/// Prints the statistics.
pub fn run(dir: &Path, format: Format) -> ExitCode {
    let Some((_, story)) = render::load_playable(dir) else {
        return ExitCode::FAILURE;
    };
    let (total, chapters, speakers) = count(&story);
    let ((wmin, wmean, wmax), choices) = per_playthrough(&story);
    match format {
        Format::Json => {
            let out = json!({
                "story": story.id, "words": total.words, "passages": total.passages, "nodes": total.nodes,
                "choices": total.choices, "endings": story.endings.len(), "state_dependent_passages": total.variable,
                "reading_minutes": total.words as f64 / WPM,
                "playthrough": json!({"words_min": wmin, "words_mean": wmean, "words_max": wmax, "choices_mean": choices,
                    "minutes_mean": wmean as f64 / WPM, "samples": SAMPLES}),
                "chapters": chapters.iter().map(|(t, c)| json!({"title": t, "words": c.words, "nodes": c.nodes, "choices": c.choices})).collect::<Vec<_>>(),
                "speakers": speakers.iter().map(|(k, v)| (k.clone(), *v)).collect::<BTreeMap<_, _>>(),
            });
            say!("{}", serde_json::to_string_pretty(&out).unwrap_or_default());
        }
        Format::Text => {
            say!("“{}” by {} (version {})", story.title, story.author, story.version);
            say!(
                "  {} words in {} passages, {} nodes, {} choices, {} endings",
                total.words,
                total.passages,
                total.nodes,
                total.choices,
                story.endings.len()
            );
            say!("  {} passages read differently depending on earlier choices", total.variable);
            say!("  all text read once: about {:.0} minutes at {WPM} words a minute", total.words as f64 / WPM);
            say!(
                "  one playthrough ({SAMPLES} random ones sampled): {wmean} words on average ({wmin}–{wmax}), {choices:.0} choices, about {:.0} minutes ({:.0}–{:.0})",
                wmean as f64 / WPM,
                wmin as f64 / WPM,
                wmax as f64 / WPM
            );
            say!("\n  {:<32} {:>7} {:>6} {:>8}", "chapter", "words", "nodes", "choices");
            for (t, c) in &chapters {
                say!("  {t:<32} {:>7} {:>6} {:>8}", c.words, c.nodes, c.choices);
            }
            say!("\n  {:<32} {:>7}", "speaker", "words");
            for (k, v) in &speakers {
                say!("  {k:<32} {v:>7}");
            }
        }
    }
    ExitCode::SUCCESS
}

/// Totals, per chapter (title, counts), and per speaker (id, words).
type Counts = (Count, Vec<(String, Count)>, Vec<(String, usize)>);

fn count(story: &Story) -> Counts {
    let mut total = Count::default();
    let mut chapters: Vec<(String, Count)> = story.chapters.iter().map(|c| (c.title.clone(), Count::default())).collect();
    let mut speakers: BTreeMap<String, usize> = BTreeMap::new();
    for n in &story.nodes {
        let mut c = Count { nodes: 1, choices: n.choices.iter().filter(|c| !c.fallback).count(), ..Count::default() };
        for p in &n.passages {
            let w = words(p);
            c.words += w;
            c.passages += 1;
            c.variable += usize::from(p.when.is_some() || p.text.is_conditional());
            let who = p.speaker.map_or_else(|| "(narration)".to_string(), |s| story.characters[s as usize].id.clone());
            *speakers.entry(who).or_default() += w;
        }
        for ch in &n.choices {
            ch.text.each_literal(&mut |s| c.words += s.split_whitespace().count());
        }
        for t in [&mut total, &mut chapters[n.chapter as usize].1] {
            t.words += c.words;
            t.passages += c.passages;
            t.nodes += c.nodes;
            t.choices += c.choices;
            t.variable += c.variable;
        }
    }
    let mut sp: Vec<(String, usize)> = speakers.into_iter().collect();
    sp.sort_by_key(|s| std::cmp::Reverse(s.1));
    (total, chapters, sp)
}
