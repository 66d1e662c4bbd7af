//! The pure narrative core: the story format, loading and diagnostics, the runtime,
//! saves and analysis. It never depends on the game engine or the UI toolkit (a test
//! enforces this), so the writers' tool and every test of the story logic build
//! without them.

pub mod balance;
pub mod chapter;
pub mod diagnostic;
pub mod explore;
pub mod expr;
pub mod flow;
pub mod fsio;
pub mod fuzzing;
pub mod guided;
pub mod index;
pub mod inputs;
pub mod load;
pub mod manifest;
pub mod ron_tree;
pub mod runner;
pub mod sample;
pub mod save;
pub mod schema;
pub mod source;
pub mod state;
pub mod story;
pub mod story_test;
pub mod synth;
pub mod text;
pub mod validate;
pub mod value;

pub use diagnostic::{Code, Diagnostic, LocatedDiagnostic, Severity};
pub use load::{ChapterFile, Loaded, compile, load_dir};
pub use runner::{ChooseError, LogEntry, Offered, Page, Runner, Shown, StartError};
pub use save::{Migration, Save, SaveError};
pub use source::{SourceFile, Sources};
pub use state::StoryState;
pub use story::Story;
pub use value::{Type, Value};
