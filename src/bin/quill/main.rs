//! `quill`: the writers' tool. Checks stories, plays them in the terminal, and (with
//! the toolkit commands) explores, tests, maps and measures them. Never needs Bevy.

/// Prints a line to standard output, ignoring errors: `quill stats | head` closes the
/// pipe early, and that is not a reason to panic.
macro_rules! say {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($t)*);
    }};
}

mod balance;
mod bundle;
mod check;
mod explore;
mod graph;
mod lsp;
mod play;
mod random;
mod render;
mod stats;
mod test;

use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;
use std::process::ExitCode;

/// Epistle's writers' tool.
#[derive(Parser)]
#[command(name = "quill", version, about = "Check, play and test Epistle stories")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// Output formats.
#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum Format {
    /// For people.
    Text,
    /// For editors and CI.
    Json,
}

#[derive(Subcommand)]
enum Command {
    /// Report every problem in a story, with file, line and column
    Check {
        /// The story folder (holding story.ron)
        story: PathBuf,
        /// Output format
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
        /// Exit with 1 on warnings too
        #[arg(long)]
        deny_warnings: bool,
    },
    /// Explore every reachable state: prove each ending reachable (with a shortest
    /// path), find traps, dead choices and constant conditions
    Explore {
        /// The story folder
        story: PathBuf,
        /// Output format
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
        /// Stop after this many distinct states
        #[arg(long, default_value_t = 2_000_000)]
        max_states: usize,
        /// Stop when the exploration's memory passes this (e.g. 4G, 512M)
        #[arg(long, default_value = "4G", value_parser = explore::parse_size)]
        max_memory: usize,
        /// Stop after following this many flows (bounds the time)
        #[arg(long, default_value_t = 50_000_000)]
        max_steps: u64,
        /// Write each reachable ending's shortest path as a test in this folder
        #[arg(long, value_name = "DIR")]
        record: Option<PathBuf>,
    },
    /// Play a story in the terminal; reads choices from standard input
    Play {
        /// The story folder
        story: PathBuf,
        /// Seed for the story's random events
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// Print only the passages and choices, without prompts (for transcripts)
        #[arg(long)]
        quiet: bool,
        /// When the session ends, write it as a regression test to this file
        #[arg(long, value_name = "FILE")]
        record: Option<PathBuf>,
        /// Start at this node instead of the story's start
        #[arg(long, value_name = "NODE")]
        start: Option<String>,
        /// Set a variable first (repeatable): `--set courage=3 --set has_key=true`
        #[arg(long = "set", value_name = "NAME=VALUE")]
        sets: Vec<String>,
    },
    /// Run the story's regression tests (`tests/*.ron` in the story folder)
    Test {
        /// The story folder
        story: PathBuf,
        /// Print the transcript of failing tests
        #[arg(long, short)]
        verbose: bool,
    },
    /// Play N seeded random (or coverage-guided) playthroughs and report what they hit
    Random {
        /// How many playthroughs
        n: u64,
        /// The story folder
        story: PathBuf,
        /// Seed for the whole run (run i uses seed + i)
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// Coverage-guided: prefer choices that reach something not yet seen (nodes,
        /// passages, choices, condition outcomes, value classes, endings)
        #[arg(long)]
        guided: bool,
        /// Output format
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
        /// Write the first playthrough that reaches each ending as a test in this folder
        #[arg(long, value_name = "DIR")]
        record_endings: Option<PathBuf>,
    },
    /// Print the story's map as Graphviz dot or Mermaid
    Graph {
        /// The story folder
        story: PathBuf,
        /// Map format
        #[arg(long, value_enum, default_value = "dot")]
        format: graph::GraphFormat,
        /// Render the map to this file through Graphviz (`map.svg`, `map.png`, `map.pdf`)
        #[arg(long, value_name = "FILE")]
        render: Option<PathBuf>,
    },
    /// Copy a checked story for publishing: the manifest and the files it lists
    Bundle {
        /// The story folder
        story: PathBuf,
        /// Where to put the copy (created if missing)
        out: PathBuf,
    },
    /// A language server for editors, over standard input and output
    Lsp,
    /// Words, passages, nodes, choices, endings and reading time
    Stats {
        /// The story folder
        story: PathBuf,
        /// Output format
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
        /// The balance report instead: each ending's share under random and guided
        /// play, counter distributions and exact ranges there, choices that never
        /// matter, counters that max out early, narrow endings
        #[arg(long)]
        balance: bool,
        /// Playthroughs of each kind for the balance report
        #[arg(long, default_value_t = 1000)]
        runs: u64,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Check { story, format, deny_warnings } => check::run(&story, format, deny_warnings),
        Command::Explore { story, format, max_states, max_memory, max_steps, record } => {
            explore::run(&story, format, epistle::narrative::explore::Limits { max_states, max_memory, max_steps }, record.as_deref())
        }
        Command::Play { story, seed, quiet, record, start, sets } => {
            play::run(&story, play::Options { seed, quiet, record: record.as_deref(), start: start.as_deref(), sets: &sets })
        }
        Command::Test { story, verbose } => test::run(&story, verbose),
        Command::Random { n, story, seed, guided, format, record_endings } => {
            random::run(&story, n, seed, guided, format, record_endings.as_deref())
        }
        Command::Graph { story, format, render } => graph::run(&story, format, render.as_deref()),
        Command::Stats { story, format, balance: true, runs } => balance::run(&story, runs, format),
        Command::Stats { story, format, .. } => stats::run(&story, format),
        Command::Bundle { story, out } => bundle::run(&story, &out),
        Command::Lsp => lsp::run(),
    }
}
