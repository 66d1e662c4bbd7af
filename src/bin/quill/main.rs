//! `quill`: the writers' tool. Checks stories, plays them in the terminal, and (with
//! the toolkit commands) explores, tests, maps and measures them. Never needs Bevy.

mod check;
mod explore;
mod play;
mod render;

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
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Check { story, format, deny_warnings } => check::run(&story, format, deny_warnings),
        Command::Explore { story, format, max_states } => explore::run(&story, format, max_states),
        Command::Play { story, seed, quiet } => play::run(&story, seed, quiet),
    }
}
