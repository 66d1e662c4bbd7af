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
    fn generated_stories_load_clean() {
        let s = super::story(1200);
        let loaded = s.compile();
        let problems: Vec<String> = loaded.diagnostics.iter().map(|d| d.locate(&loaded.sources).one_line()).collect();
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(loaded.story.map(|s| s.nodes.len()), Some(1200));
    }
}
