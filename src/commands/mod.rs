//! What each CLI subcommand does. `main.rs` only parses arguments and calls
//! these; each returns the process exit code.

/// Prints a line on stdout; a closed pipe (`probity specs | head`) ends the
/// program quietly instead of panicking.
macro_rules! out {
    () => {
        $crate::commands::write_line(format_args!(""))
    };
    ($($t:tt)*) => {
        $crate::commands::write_line(format_args!($($t)*))
    };
}

mod evidence;
mod plans;
mod progress;
mod run;
mod serve;
mod shard;
mod validate;

pub use evidence::{diff, merge, report, verify};
pub use plans::{plans, PlansFormat};
pub use run::{run, RunArgs};
pub use serve::{serve, ServeArgs};
pub use validate::{list, specs, validate};

/// Exit code: nothing FAILED.
pub const EXIT_OK: u8 = 0;
/// Exit code: at least one spec FAILED (or the run was interrupted).
pub const EXIT_FAILED: u8 = 1;
/// Exit code: usage or configuration error.
pub const EXIT_CONFIG: u8 = 2;

/// Writes one line to stdout; exits with 0 when the reader has gone away.
pub(crate) fn write_line(args: std::fmt::Arguments<'_>) {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    let written = stdout
        .write_fmt(args)
        .and_then(|()| stdout.write_all(b"\n"));
    if let Err(e) = written {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(EXIT_OK as i32);
        }
    }
}
