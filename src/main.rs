//! The `probity` command line: parses arguments and calls the library.

use clap::{Parser, Subcommand};
use probity::commands::{self, RunArgs, ServeArgs};
use std::path::PathBuf;
use std::process::ExitCode;

/// Conformance test harness for OAuth 2 / OpenID Connect / FAPI / Open Banking servers.
#[derive(Parser)]
#[command(name = "probity", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run suites against a target (default: every suite in suites/ against the embedded bank).
    Run(RunArgs),
    /// Check suite files and target profiles without running anything.
    Validate {
        /// Files to check.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Also check that every client role the suites name is in this target profile.
        #[arg(long)]
        target: Option<PathBuf>,
    },
    /// List the scenarios of suites.
    List {
        /// Suite files or directories (default suites/).
        suites: Vec<PathBuf>,
    },
    /// List every spec probity checks: id, severity, clause, sentence.
    Specs,
    /// Serve the embedded reference bank.
    Serve(ServeArgs),
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() {
                commands::EXIT_CONFIG
            } else {
                0
            });
        }
    };
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(commands::EXIT_CONFIG);
        }
    };
    let code = match cli.command {
        Command::Run(args) => runtime.block_on(commands::run(args)),
        Command::Validate { files, target } => commands::validate(&files, target.as_deref()),
        Command::List { suites } => commands::list(&if suites.is_empty() {
            vec![PathBuf::from("suites")]
        } else {
            suites
        }),
        Command::Specs => commands::specs(),
        Command::Serve(args) => runtime.block_on(commands::serve(args)),
    };
    ExitCode::from(code)
}
