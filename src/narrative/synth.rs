//! Synthetic stories for benchmarks: any number of nodes of about 60-word paragraphs,
//! three to a node, two to four choices each, a tenth of them conditional. Emitted as
//! RON text, so "source to playable" measures the whole loader.

use std::fmt::Write as _;

/// A generated story: the manifest and its chapter files, `(name, text)`.
pub struct Synthetic {
    /// `story.ron`.
    pub manifest: String,
    /// Chapter files.
    pub chapters: Vec<(String, String)>,
}

const WORDS: [&str; 24] = [
    "the", "city", "letter", "evening", "window", "quiet", "amber", "light", "she", "said", "nothing", "for", "a", "while", "and", "then",
    "laughed", "softly", "at", "rain", "on", "glass", "he", "wrote",
];

/// Deterministic word salad: paragraph `k` of node `i`.
fn paragraph(i: usize, k: usize, out: &mut String) {
    let mut x = (i as u64).wrapping_mul(6_364_136_223_846_793_005).wrapping_add(k as u64 * 1_442_695_040_888_963_407 + 1);
    for w in 0..60 {
        x ^= x >> 33;
        x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
        if w > 0 {
            out.push(' ');
        }
        out.push_str(WORDS[(x % WORDS.len() as u64) as usize]);
    }
    out.push('.');
}

/// Generates a story of `nodes` nodes (at least 8) in chapters of 500 nodes. Every
/// node is reachable (a spine of choices runs from the first to the last), the last
/// tenth end the story, and conditions read a small counter so exploration has work.
pub fn story(nodes: usize) -> Synthetic {
    let nodes = nodes.max(8);
    let per_chapter = 500;
    let files = nodes.div_ceil(per_chapter);
    let endings = 4;
    let mut manifest = String::from("Story(\n    id: \"synthetic\",\n    title: \"Synthetic\",\n    start: \"n0\",\n    files: [");
    for f in 0..files {
        let _ = write!(manifest, "\"c{f}.ron\", ");
    }
    manifest.push_str("],\n    variables: [Int(name: \"mood\", min: 0, max: 3), Bool(name: \"flag\")],\n    characters: [Character(id: \"her\", name: \"Her\", voice: true)],\n    endings: [");
    for e in 0..endings {
        let _ = write!(manifest, "Ending(id: \"e{e}\", title: \"Ending {e}\"), ");
    }
    manifest.push_str("],\n)\n");
    let first_end = nodes - nodes / 10 - 1;
    let mut chapters = Vec::with_capacity(files);
    for f in 0..files {
        let mut s = format!("Chapter(title: \"Part {f}\", nodes: [\n");
        for i in f * per_chapter..((f + 1) * per_chapter).min(nodes) {
            let _ = write!(s, "  Node(id: \"n{i}\", tags: [\"mood:amber\"], text: [\n    \"");
            paragraph(i, 0, &mut s);
            s.push_str(" {if flag: Again.}\",\n    Say(\"her\", \"");
            paragraph(i, 1, &mut s);
            s.push_str("\"),\n    \"");
            paragraph(i, 2, &mut s);
            s.push_str("\",\n  ],\n");
            if i >= first_end {
                let _ = writeln!(s, "  ending: \"e{}\"),", i % endings);
                continue;
            }
            s.push_str("  choices: [\n");
            let fan = 2 + i % 3;
            for c in 0..fan {
                let to = match c {
                    0 => i + 1,
                    1 => (i + 2).min(nodes - 1),
                    // The third choice leads into the endings, so each is reachable.
                    2 => first_end + i % (nodes - first_end),
                    _ => (i * 7 + c * 13) % nodes,
                };
                let (cond, effect) =
                    if (i * 4 + c) % 10 == 0 { (", when: \"mood < 3\"", "\"mood += 1\"") } else { ("", "\"flag = true\"") };
                let _ = writeln!(s, "    Choice(text: \"Choice {c} of {i}\", to: \"n{to}\", sticky: true{cond}, do: [{effect}]),");
            }
            s.push_str("  ]),\n");
        }
        s.push_str("])\n");
        chapters.push((format!("c{f}.ron"), s));
    }
    Synthetic { manifest, chapters }
}

/// A story with the shape of *Dear Someone*, the hard case for exhaustive
/// exploration: `nodes` nodes (about 250) in eight chapters, six counters ranged 0..10
/// that nearly every choice moves (one up, often another down), a few flags, and
/// seven endings gated on all six counters at the end. Exploring it exactly means
/// following every combination of counter values the choices can produce.
pub fn counters_story(nodes: usize) -> Synthetic {
    const COUNTERS: [&str; 6] = ["openness", "curiosity", "courage", "friendship", "possessiveness", "respect"];
    let nodes = nodes.max(40);
    let chapters = 8;
    let per = nodes / chapters;
    let mut manifest = String::from("Story(\n    id: \"counters\",\n    title: \"Counters\",\n    start: \"k0_0\",\n    files: [");
    for f in 0..chapters {
        let _ = write!(manifest, "\"k{f}.ron\", ");
    }
    manifest.push_str("],\n    variables: [\n");
    for c in COUNTERS {
        let _ = writeln!(manifest, "        Int(name: \"{c}\", default: 0, min: 0, max: 10),");
    }
    // Set by third options (odd moments: k % 4 is 1 or 3).
    for f in [1, 3] {
        let _ = writeln!(manifest, "        Bool(name: \"flag{f}\"),");
    }
    manifest.push_str("    ],\n    endings: [");
    for e in 0..7 {
        let _ = write!(manifest, "Ending(id: \"end{e}\", title: \"Ending {e}\"), ");
    }
    manifest.push_str("],\n)\n");
    let mut files = Vec::with_capacity(chapters);
    for f in 0..chapters {
        let mut s = format!("Chapter(title: \"Part {f}\", nodes: [\n");
        for i in 0..per {
            let here = format!("k{f}_{i}");
            let next = if i + 1 < per {
                format!("k{f}_{}", i + 1)
            } else if f + 1 < chapters {
                format!("k{}_0", f + 1)
            } else {
                "gate".to_string()
            };
            let k = f * per + i;
            // Every third node is a passage that flows on; the others offer two or
            // three choices, each moving counters.
            if k % 3 == 2 {
                let _ = writeln!(s, "  Node(id: \"{here}\", text: \"A quiet moment {k}.\", next: \"{next}\"),");
                continue;
            }
            let _ = writeln!(s, "  Node(id: \"{here}\", text: \"A moment {k}.\", choices: [");
            let fan = 2 + k % 2;
            for c in 0..fan {
                let up = COUNTERS[(k * 5 + c * 2) % 6];
                let down = COUNTERS[(k * 5 + c * 2 + 3) % 6];
                let extra = if c == 2 { format!(", \"flag{} = true\"", k % 4) } else { String::new() };
                let effect = if (k + c).is_multiple_of(2) {
                    format!("\"{up} += 1\", \"{down} -= 1\"{extra}")
                } else {
                    format!("\"{up} += 1\"{extra}")
                };
                let _ = writeln!(s, "    Choice(text: \"Option {c} of {k}\", to: \"{next}\", do: [{effect}]),");
            }
            s.push_str("  ]),\n");
        }
        if f + 1 == chapters {
            s.push_str(concat!(
                "  Node(id: \"gate\", next: [\n",
                "    If(\"possessiveness >= 5 && possessiveness > respect\", \"x1\"),\n",
                "    If(\"respect <= 1\", \"x2\"),\n",
                "    If(\"openness >= 5 && friendship >= 5 && curiosity >= 5 && respect >= 6 && courage >= 4 && possessiveness <= 1\", \"x6\"),\n",
                "    If(\"openness >= 5 && friendship >= 5\", \"x3\"),\n",
                "    If(\"courage >= 4 && flag1\", \"x4\"),\n",
                "    If(\"openness <= 2 && !flag3\", \"x5\"),\n",
                "    Else(\"x0\"),\n",
                "  ]),\n",
            ));
            for e in 0..7 {
                let _ = writeln!(s, "  Node(id: \"x{e}\", text: \"Ending {e}.\", ending: \"end{e}\"),");
            }
        }
        s.push_str("])\n");
        files.push((format!("k{f}.ron"), s));
    }
    Synthetic { manifest, chapters: files }
}

impl Synthetic {
    /// The files as a loader would have read them.
    pub fn files(&self) -> (super::source::SourceFile, Vec<super::load::ChapterFile>) {
        let chapters =
            self.chapters.iter().map(|(n, t)| super::load::ChapterFile { name: n.clone(), path: n.clone(), text: Ok(t.clone()) }).collect();
        (super::source::SourceFile::new("story.ron", self.manifest.clone()), chapters)
    }

    /// Compiles it.
    pub fn compile(&self) -> super::load::Loaded {
        let (manifest, chapters) = self.files();
        super::load::compile(manifest, chapters)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_counters_story_loads_clean() {
        let loaded = super::counters_story(250).compile();
        let problems: Vec<String> = loaded.diagnostics.iter().map(|d| d.locate(&loaded.sources).one_line()).collect();
        assert!(problems.is_empty(), "{problems:?}");
        assert!(loaded.story.is_some_and(|s| s.nodes.len() >= 250));
    }

    #[test]
    fn generated_stories_load_clean() {
        let s = super::story(1200);
        let loaded = s.compile();
        let problems: Vec<String> = loaded.diagnostics.iter().map(|d| d.locate(&loaded.sources).one_line()).collect();
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(loaded.story.map(|s| s.nodes.len()), Some(1200));
    }
}
