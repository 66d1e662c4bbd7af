//! Property tests: any sequence of choices (and undos) on any story keeps the state
//! valid; any bytes, and any mutation of a valid file, given to the loader never panic.

use crate::support::{root, story};
use epistle::narrative::{ChapterFile, Runner, Save, SourceFile, Story, Value, compile};
use proptest::prelude::*;
use std::sync::{Arc, OnceLock};

fn stories() -> &'static [Arc<Story>] {
    static S: OnceLock<Vec<Arc<Story>>> = OnceLock::new();
    S.get_or_init(|| vec![story("stories/tutorial"), story("stories/dear-someone"), story("tests/fixtures/diagnostics/ok-clean")])
}

fn assert_valid(r: &Runner) {
    let s = r.story();
    let st = r.state();
    assert!((st.node as usize) < s.nodes.len());
    assert_eq!(st.vars.len(), s.vars.len());
    for (v, d) in st.vars.iter().zip(&s.vars) {
        assert_eq!(v.ty(), d.ty, "{} changed type", d.name);
        if let Value::Int(n) = v {
            assert!(d.min.is_none_or(|m| *n >= m) && d.max.is_none_or(|m| *n <= m), "{} = {n} out of range", d.name);
        }
    }
    for p in &r.page().passages {
        assert!((p.node as usize) < s.nodes.len());
    }
    if r.ended().is_none() && r.page().stuck.is_none() {
        assert!(r.choices().iter().any(|c| c.enabled), "waiting at `{}` with nothing to choose", s.node(st.node).id);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn random_play_keeps_state_valid(which in 0usize..3, seed in any::<u64>(), picks in prop::collection::vec(any::<u16>(), 0..160)) {
        let s = Arc::clone(&stories()[which]);
        let mut r = Runner::new(Arc::clone(&s), seed);
        assert_valid(&r);
        for p in picks {
            if p % 13 == 0 {
                r.undo(usize::from(p % 3) + 1);
            } else {
                let enabled: Vec<u32> = r.choices().iter().filter(|c| c.enabled).map(|c| c.index.0).collect();
                if enabled.is_empty() {
                    break;
                }
                let i = enabled[usize::from(p) % enabled.len()];
                prop_assert!(r.choose(i, Some("Pat")).is_ok());
            }
            assert_valid(&r);
        }
        let save = Save::from_ron(&Save::capture(&r).to_ron());
        prop_assert!(save.is_ok());
        let restored = save.ok().and_then(|sv| sv.restore(s).ok());
        prop_assert_eq!(restored.map(|(b, _)| b.state().clone()), Some(r.state().clone()));
    }

    #[test]
    fn arbitrary_bytes_never_panic_the_loader(manifest in prop::collection::vec(any::<u8>(), 0..600), chapter in prop::collection::vec(any::<u8>(), 0..600)) {
        let ch = ChapterFile { name: "main.ron".into(), path: "main.ron".into(), text: Ok(String::from_utf8_lossy(&chapter).into_owned()) };
        let loaded = compile(SourceFile::new("story.ron", String::from_utf8_lossy(&manifest).into_owned()), vec![ch]);
        for d in &loaded.diagnostics {
            let _ = d.locate(&loaded.sources).one_line();
        }
    }

    #[test]
    fn mutated_valid_files_never_panic(edits in prop::collection::vec((any::<prop::sample::Index>(), 0usize..12, 0usize..14), 1..6)) {
        const TOKENS: [&str; 14] = ["\"", "(", ")", "[", "]", "{", "}", ",", ":", "\\", "{if x:", "|", "Node(", "\u{e9}"];
        let base = std::fs::read_to_string(root().join("stories/tutorial/01-shore.ron")).unwrap_or_default();
        let manifest = std::fs::read_to_string(root().join("stories/tutorial/story.ron")).unwrap_or_default();
        let mut text = base.into_bytes();
        for (at, del, tok) in edits {
            let i = at.index(text.len().max(1)).min(text.len());
            let end = (i + del).min(text.len());
            text.splice(i..end, TOKENS[tok].bytes());
        }
        let text = String::from_utf8_lossy(&text).into_owned();
        let files = vec![
            ChapterFile { name: "01-shore.ron".into(), path: "01-shore.ron".into(), text: Ok(text) },
            ChapterFile { name: "02-tower.ron".into(), path: "02-tower.ron".into(), text: Err("left out".into()) },
        ];
        let loaded = compile(SourceFile::new("story.ron", manifest), files);
        for d in &loaded.diagnostics {
            let line = d.locate(&loaded.sources).one_line();
            prop_assert!(!line.is_empty());
        }
    }
}
