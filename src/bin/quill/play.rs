//! `quill play`: the story in a terminal. Choices come from standard input, one per
//! line, so a session can be scripted: `printf '1\n2\n' | quill play stories/x`.

use crate::render;
use epistle::narrative::save::MAX_SAVE_BYTES;
use epistle::narrative::{Runner, Save, Story, fsio};
use std::io::Write;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

const HELP: &str = "Type a number (or the start of a choice's text) to choose.
Commands: undo [n], save FILE, load FILE, restart, vars, help, quit";

/// The longest line of input read (a choice, a command, typed text).
const MAX_LINE_BYTES: usize = 4096;

/// How to play.
pub struct Options<'a> {
    /// Seed for random events.
    pub seed: u64,
    /// No prompts.
    pub quiet: bool,
    /// Write the session as a test here.
    pub record: Option<&'a Path>,
    /// Start at this node.
    pub start: Option<&'a str>,
    /// `name=value` settings.
    pub sets: &'a [String],
}

/// Plays until the input ends or the reader quits. Exit 1 only if the story does not
/// load or cannot start where asked.
pub fn run(dir: &Path, opts: Options<'_>) -> ExitCode {
    let Options { seed, quiet, record, start, sets } = opts;
    let Some((_, story)) = render::load_playable(dir) else {
        return ExitCode::FAILURE;
    };
    let mut runner = if start.is_some() || !sets.is_empty() {
        let node = start.map_or_else(|| story.node(story.start).id.to_string(), str::to_string);
        match Runner::start_at(Arc::clone(&story), seed, &node, sets) {
            Ok(r) => r,
            Err(e) => {
                eprintln!("error: cannot start there: {e}");
                return ExitCode::FAILURE;
            }
        }
    } else {
        Runner::new(Arc::clone(&story), seed)
    };
    let stdin = std::io::stdin();
    let mut input = stdin.lock();
    // One line of input, capped; a line that is too long or not UTF-8 is reported
    // and skipped, never the silent end of the session.
    let mut next_line = move |out: &mut std::io::StdoutLock<'_>| loop {
        match fsio::read_line_capped(&mut input, MAX_LINE_BYTES) {
            Ok(line) => return line,
            Err(fsio::LineError::Io(e)) => {
                eprintln!("error: cannot read standard input: {e}");
                return None;
            }
            Err(e) => {
                let _ = writeln!(out, "(ignored a line of input: {e})");
            }
        }
    };
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{} — by {}\n", story.title, if story.author.is_empty() { "anonymous" } else { &story.author });
    if !quiet {
        let _ = writeln!(out, "{HELP}\n");
    }
    let mut chapter = None;
    show(&mut out, &runner, &mut chapter);
    loop {
        if !quiet {
            let _ = write!(out, "> ");
            let _ = out.flush();
        }
        let Some(line) = next_line(&mut out) else { break };
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let (cmd, arg) = line.split_once(' ').map_or((line, ""), |(c, a)| (c, a.trim()));
        match cmd {
            "quit" | "q" => break,
            "help" | "?" => {
                let _ = writeln!(out, "{HELP}");
            }
            "undo" | "u" => {
                let n = arg.parse().unwrap_or(1);
                let done = runner.undo(n);
                let _ = writeln!(out, "(undid {done} choice{})\n", if done == 1 { "" } else { "s" });
                chapter = None;
                show(&mut out, &runner, &mut chapter);
            }
            "restart" => {
                runner.restart();
                chapter = None;
                show(&mut out, &runner, &mut chapter);
            }
            "vars" => {
                for (d, v) in story.vars.iter().zip(&runner.state().vars) {
                    let _ = writeln!(out, "  {} = {v}", d.name);
                }
            }
            "save" => {
                if arg.is_empty() {
                    let _ = writeln!(out, "usage: save FILE");
                    continue;
                }
                let text = Save::capture(&runner).to_ron();
                match fsio::write_atomic(Path::new(arg), text.as_bytes()) {
                    Ok(()) => {
                        let _ = writeln!(out, "(saved to {arg})");
                    }
                    Err(e) => {
                        let _ = writeln!(out, "(could not save to {arg}: {e})");
                    }
                }
            }
            "load" => {
                match fsio::read_text_capped(Path::new(arg), MAX_SAVE_BYTES)
                    .map_err(|e| e.to_string())
                    .and_then(|t| Save::from_ron(&t).map_err(|e| e.to_string()))
                {
                    Ok(save) => match save.restore(Arc::clone(&story)).or_else(|_| save.replay(Arc::clone(&story))) {
                        Ok((r, m)) => {
                            runner = r;
                            let _ = writeln!(out, "(loaded {arg})");
                            for l in m.lines() {
                                let _ = writeln!(out, "({l})");
                            }
                            let _ = writeln!(out);
                            chapter = None;
                            show(&mut out, &runner, &mut chapter);
                        }
                        Err(e) => {
                            let _ = writeln!(out, "(cannot load {arg}: {e})");
                        }
                    },
                    Err(e) => {
                        let _ = writeln!(out, "(cannot load {arg}: {e})");
                    }
                }
            }
            _ => {
                if runner.ended().is_some() {
                    let _ = writeln!(out, "(the story has ended: undo, restart, load or quit)");
                    continue;
                }
                let offered = runner.choices();
                let pick = match line.parse::<usize>() {
                    Ok(n) => offered.get(n.wrapping_sub(1)),
                    Err(_) => {
                        let low = line.to_lowercase();
                        offered.iter().find(|c| c.enabled && c.text.to_lowercase().starts_with(&low))
                    }
                };
                let Some(pick) = pick else {
                    let _ = writeln!(out, "(no such choice: type 1 to {}, or help)", offered.len());
                    continue;
                };
                if !pick.enabled {
                    let _ = writeln!(out, "(not yet: {})", pick.reason.as_deref().unwrap_or("locked"));
                    continue;
                }
                let input = match &pick.input {
                    Some((prompt, default)) => {
                        let _ = writeln!(out, "{prompt} [{default}]");
                        if !quiet {
                            let _ = write!(out, ">> ");
                            let _ = out.flush();
                        }
                        let text = next_line(&mut out).unwrap_or_default();
                        Some(text)
                    }
                    None => None,
                };
                let _ = writeln!(out, "\n  » {}\n", pick.text);
                if let Err(e) = runner.choose(pick.index, input.as_deref()) {
                    let _ = writeln!(out, "({e})");
                    continue;
                }
                show(&mut out, &runner, &mut chapter);
            }
        }
    }
    if let Some(path) = record {
        let name = path.file_stem().map_or_else(|| "recorded".to_string(), |s| s.to_string_lossy().replace(['-', '_'], " "));
        let text = epistle::narrative::story_test::record(&runner, &name);
        match fsio::write_atomic(path, text.as_bytes()) {
            Ok(()) => {
                let _ = writeln!(out, "(recorded this session as a test: {})", path.display());
            }
            Err(e) => eprintln!("error: cannot write {}: {e}", path.display()),
        }
    }
    match runner.ended() {
        Some(e) => {
            let _ = writeln!(out, "ending: {}", story.ending(e).map_or("", |d| d.id.as_str()));
        }
        None => {
            let _ = writeln!(out, "no ending reached (at `{}` after {} choices)", story.node(runner.state().node).id, runner.state().turn);
        }
    }
    ExitCode::SUCCESS
}

fn show(out: &mut impl Write, runner: &Runner, chapter: &mut Option<u32>) {
    let story: &Story = runner.story();
    for p in &runner.page().passages {
        let ch = story.node(p.node).chapter;
        if *chapter != Some(ch) {
            let _ = writeln!(out, "== {} ==\n", story.chapters.get(ch as usize).map_or("", |c| c.title.as_str()));
            *chapter = Some(ch);
        }
        let text = match p.speaker {
            Some(s) => format!("{}: {}", runner.character_name(s), p.text),
            None => p.text.to_string(),
        };
        let _ = writeln!(out, "{}\n", wrap(&text, 78));
    }
    if let Some(stuck) = &runner.page().stuck {
        let _ = writeln!(out, "(the story is stuck: {stuck})");
    }
    if let Some(e) = runner.ended() {
        let Some(end) = story.ending(e) else { return };
        let _ = writeln!(out, "*** THE END: {} ***\n{}\n", end.title, runner.ending_description(e));
        return;
    }
    for (i, c) in runner.choices().iter().enumerate() {
        match &c.reason {
            Some(r) => {
                let _ = writeln!(out, "  {}. {}  [locked: {r}]", i + 1, c.text);
            }
            None => {
                let _ = writeln!(out, "  {}. {}", i + 1, c.text);
            }
        }
    }
}

/// Wraps text at `width` columns, keeping explicit line breaks.
fn wrap(text: &str, width: usize) -> String {
    let mut out = String::new();
    for (li, line) in text.split('\n').enumerate() {
        if li > 0 {
            out.push('\n');
        }
        let mut col = 0;
        for word in line.split(' ') {
            let w = word.chars().count();
            if col > 0 && col + 1 + w > width {
                out.push('\n');
                col = 0;
            } else if col > 0 {
                out.push(' ');
                col += 1;
            }
            out.push_str(word);
            col += w;
        }
    }
    out
}
