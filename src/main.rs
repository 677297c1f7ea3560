//! The `probity` command line: parses arguments and calls the library.

// No panics on what a target, a suite or a profile sends: outside tests,
// every lookup that can miss says so (`get`, `split_once`, `let … else`).
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::string_slice,
        clippy::indexing_slicing
    )
)]

use clap::{Parser, Subcommand};
use probity::commands::{self, PlansFormat, RunArgs, ServeArgs};
use std::path::PathBuf;
use std::process::ExitCode;

/// Conformance test harness for OAuth 2 / OpenID Connect / FAPI / Open Banking servers.
#[derive(Parser)]
#[command(name = "probity", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

// One value, parsed once per process: `RunArgs` being larger than the other
// variants costs nothing worth a `Box`.
#[allow(clippy::large_enum_variant)]
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
    Specs {
        /// `md` writes SPECS.md.
        #[arg(long, value_enum, default_value = "text")]
        format: SpecsFormat,
    },
    /// List the plans (named selections of scenarios under a conformance profile).
    Plans {
        /// `md` writes PLANS.md: plans, client roles, and the OpenID Foundation module map.
        #[arg(long, value_enum, default_value = "text")]
        format: PlansFormat,
        /// Print the client roles table instead.
        #[arg(long)]
        roles: bool,
    },
    /// Serve the embedded reference bank.
    Serve(ServeArgs),
    /// Render a run directory's markdown, HTML and JUnit again from its report.json, or
    /// `probity report merge SHARD_DIR… --out DIR` to join the reports of `run --shard` jobs.
    Report {
        /// The run directory; or `merge` followed by the shard directories.
        #[arg(required = true)]
        dirs: Vec<PathBuf>,
        /// Where `merge` writes the joined run.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Replace a non-empty `--out`.
        #[arg(long)]
        force: bool,
        /// Directory with templates overriding the built-in ones.
        #[arg(long)]
        templates: Option<PathBuf>,
    },
    /// Compare two runs: new failures, specs no longer executed, other changes (exit 1 on a regression).
    Diff {
        /// The earlier run directory.
        old: PathBuf,
        /// The later run directory.
        new: PathBuf,
    },
    /// Check a run directory against its signed manifest.json.
    Verify {
        /// The run directory.
        dir: PathBuf,
        /// A public JWK to trust instead of the manifest.pub.jwk beside it.
        #[arg(long)]
        key: Option<PathBuf>,
    },
}

/// What `probity specs` prints.
#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum SpecsFormat {
    /// Tab-separated lines.
    Text,
    /// SPECS.md.
    Md,
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
        Command::Specs { format } => commands::specs(format == SpecsFormat::Md),
        Command::Plans { format, roles } => commands::plans(format, roles),
        Command::Serve(args) => runtime.block_on(commands::serve(args)),
        Command::Report {
            dirs,
            out,
            force,
            templates,
        } => match (dirs.split_first(), out) {
            (Some((first, shards)), Some(out)) if first.as_os_str() == "merge" => {
                commands::merge(shards, &out, force)
            }
            (Some((first, _)), None) if first.as_os_str() == "merge" => {
                eprintln!("error: `probity report merge SHARD_DIR… --out DIR` needs --out");
                commands::EXIT_CONFIG
            }
            (Some((dir, [])), _) => commands::report(dir, templates),
            _ => {
                eprintln!("error: `probity report DIR` takes one directory; to join shards use `probity report merge DIR… --out DIR`");
                commands::EXIT_CONFIG
            }
        },
        Command::Diff { old, new } => commands::diff(&old, &new),
        Command::Verify { dir, key } => commands::verify(&dir, key.as_deref()),
    };
    ExitCode::from(code)
}
