//! What each CLI subcommand does. `main.rs` only parses arguments and calls
//! these; each returns the process exit code.

mod run;
mod serve;
mod validate;

pub use run::{run, RunArgs};
pub use serve::{serve, ServeArgs};
pub use validate::{list, specs, validate};

/// Exit code: nothing FAILED.
pub const EXIT_OK: u8 = 0;
/// Exit code: at least one spec FAILED (or the run was interrupted).
pub const EXIT_FAILED: u8 = 1;
/// Exit code: usage or configuration error.
pub const EXIT_CONFIG: u8 = 2;
