//! The pure narrative core: the story format, loading and diagnostics, the runtime,
//! saves and analysis. It never depends on the game engine or the UI toolkit (a test
//! enforces this), so the writers' tool and every test of the story logic build
//! without them.
//!
//! The stable surface is what is re-exported here (loading, the runner, saves) and
//! the analysis modules (`explore`, `guided`, `balance`, `story_test`, `sample`).
//! The parser's own stages are private to the crate; the few internals the
//! repository's tools and fuzzers share (`ron_tree`, `index`, `fuzzing`, `synth`)
//! are public but hidden from the documentation, and may change.

pub mod balance;
pub(crate) mod chapter;
pub mod diagnostic;
pub mod explore;
pub mod expr;
pub(crate) mod flow;
pub mod fsio;
#[doc(hidden)]
pub mod fuzzing;
pub(crate) mod fxhash;
pub mod guided;
#[doc(hidden)]
pub mod index;
pub(crate) mod inputs;
pub mod load;
pub mod manifest;
#[doc(hidden)]
pub mod ron_tree;
pub mod runner;
pub mod sample;
pub mod save;
pub(crate) mod schema;
pub mod source;
pub mod state;
pub mod story;
pub mod story_test;
#[doc(hidden)]
pub mod synth;
pub mod text;
pub(crate) mod validate;
pub mod value;

pub use diagnostic::{Code, Diagnostic, LocatedDiagnostic, Severity};
pub use load::{ChapterFile, Loaded, compile, load_dir};
pub use runner::{ChooseError, LogEntry, Offered, Page, Runner, Shown, StartError};
pub use save::{Migration, Save, SaveError};
pub use source::{SourceFile, Sources};
pub use state::StoryState;
pub use story::{CharacterId, ChoiceIndex, EndingId, Story};
pub use text::SharedStr;
pub use value::{Type, Value};
