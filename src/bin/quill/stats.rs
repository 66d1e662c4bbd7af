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
                "format_overhead_per_word": overhead(dir).per_word(),
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
            let o = overhead(dir);
            say!(
                "  format overhead: {:.1} non-prose characters per word of prose ({} of {} characters outside comments and blanks are prose)",
                o.per_word(),
                o.prose,
                o.source
            );
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
        let mut c = Count { nodes: 1, choices: n.choices.iter().filter(|c| !c.fallback()).count(), ..Count::default() };
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

/// How much of a story's source is format rather than prose: the non-blank
/// characters outside comments that are not the words a reader sees (passages,
/// replies, choice text), per word of prose. Comments and layout are free; ids,
/// field names, brackets, quotes, conditions and effects are what it counts.
#[derive(Default, Clone, Copy, Debug)]
pub struct Overhead {
    /// Non-blank characters outside comments, in every file of the story.
    pub source: usize,
    /// Non-blank characters of prose.
    pub prose: usize,
    /// Words of prose.
    pub words: usize,
}

impl Overhead {
    /// Non-prose characters per word of prose.
    pub fn per_word(&self) -> f64 {
        self.source.saturating_sub(self.prose) as f64 / self.words.max(1) as f64
    }
}

/// Measures [`Overhead`] for the story folder `dir`.
pub fn overhead(dir: &Path) -> Overhead {
    use epistle::narrative::ron_tree::{self, Kind, Value};
    use epistle::narrative::source::FileId;
    let read = |name: &str| epistle::narrative::fsio::read_inside(dir, name, ron_tree::MAX_FILE_BYTES).unwrap_or_default();
    let manifest = read("story.ron");
    let mut o = Overhead { source: visible(&manifest), ..Overhead::default() };
    fn get<'a>(v: &'a Value<'a>, name: &str) -> Option<&'a Value<'a>> {
        match &v.kind {
            Kind::Struct { fields, .. } => fields.iter().find(|f| f.name.name == name).map(|f| &f.value),
            _ => None,
        }
    }
    fn prose(v: &Value<'_>, o: &mut Overhead) {
        if let Kind::Str(s) = &v.kind {
            o.prose += s.text.chars().filter(|c| !c.is_whitespace()).count();
            o.words += s.text.split_whitespace().count();
        }
    }
    fn passages(v: &Value<'_>, o: &mut Overhead) {
        let items: Vec<&Value<'_>> = match &v.kind {
            Kind::List(items) => items.iter().collect(),
            _ => vec![v],
        };
        for p in items {
            match &p.kind {
                Kind::Str(_) => prose(p, o),
                Kind::Tuple { items, .. } if items.len() == 2 => prose(&items[1], o),
                Kind::Struct { .. } => {
                    if let Some(t) = get(p, "text") {
                        prose(t, o);
                    }
                }
                _ => {}
            }
        }
    }
    // What a reader sees in the manifest: the title, characters' names, endings.
    let arena = ron_tree::Arena::new();
    if let Ok(root) = ron_tree::parse(FileId(0), &manifest, &arena) {
        if let Some(t) = get(&root, "title") {
            prose(t, &mut o);
        }
        for (list, fields) in [("characters", &["name"][..]), ("endings", &["title", "description", "hint"][..])] {
            if let Some(Value { kind: Kind::List(items), .. }) = get(&root, list) {
                for item in *items {
                    for f in fields {
                        if let Some(v) = get(item, f) {
                            prose(v, &mut o);
                        }
                    }
                }
            }
        }
    }
    for name in epistle::narrative::manifest::listed_files(&manifest) {
        let text = read(&name);
        o.source += visible(&text);
        let arena = ron_tree::Arena::new();
        let Ok(root) = ron_tree::parse(FileId(0), &text, &arena) else { continue };
        let Some(Value { kind: Kind::List(nodes), .. }) = get(&root, "nodes") else { continue };
        for n in *nodes {
            if let Some(t) = get(n, "text") {
                passages(t, &mut o);
            }
            let Some(Value { kind: Kind::List(choices), .. }) = get(n, "choices") else { continue };
            for c in *choices {
                match &c.kind {
                    Kind::Tuple { name: Some(k), items } if k.name == "Reply" && items.len() == 2 => {
                        prose(&items[0], &mut o);
                        passages(&items[1], &mut o);
                    }
                    Kind::Tuple { items, .. } if !items.is_empty() => prose(&items[0], &mut o),
                    _ => {
                        for f in ["text", "locked"] {
                            if let Some(t) = get(c, f) {
                                prose(t, &mut o);
                            }
                        }
                        if let Some(p) = get(c, "input").and_then(|i| get(i, "prompt")) {
                            prose(p, &mut o);
                        }
                        if let Some(r) = get(c, "reply") {
                            passages(r, &mut o);
                        }
                    }
                }
            }
        }
    }
    o
}

/// Non-blank characters outside `//` and `/* */` comments (strings respected).
fn visible(text: &str) -> usize {
    let b = text.as_bytes();
    let (mut i, mut n, mut in_str) = (0, 0, false);
    while i < b.len() {
        match (in_str, b[i], b.get(i + 1)) {
            (false, b'/', Some(b'/')) => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
                continue;
            }
            (false, b'/', Some(b'*')) => {
                i += 2;
                while i + 1 < b.len() && !(b[i] == b'*' && b[i + 1] == b'/') {
                    i += 1;
                }
                i += 2;
                continue;
            }
            (_, b'"', _) => in_str = !in_str,
            (true, b'\\', _) => {
                n += 1;
                i += 1;
            }
            _ => {}
        }
        // Count characters, not bytes: only the first byte of each.
        if !b[i].is_ascii_whitespace() && (b[i] & 0xC0) != 0x80 {
            n += 1;
        }
        i += 1;
    }
    n
}
