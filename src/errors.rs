//! Configuration errors: everything that stops a run before it starts
//! (exit code 2). Failures of the target are never errors: they are spec
//! results.

use std::path::PathBuf;

/// A problem with the user's input: suite files, target profiles, CLI values.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file that was being read.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A YAML file is malformed or does not match the model; `rendered`
    /// holds a rustc-style snippet with `file:line:col`.
    #[error("{rendered}")]
    Yaml {
        /// The offending file.
        path: PathBuf,
        /// The message with its source snippet.
        rendered: String,
    },
    /// A semantically invalid value, located in its file.
    #[error("error: {message}\n --> {}:{line}:{column}", path.display())]
    Invalid {
        /// The offending file.
        path: PathBuf,
        /// 1-based line.
        line: u64,
        /// 1-based column.
        column: u64,
        /// What is wrong and what was expected.
        message: String,
    },
    /// Any other invalid setting (CLI arguments, environment).
    #[error("{0}")]
    Other(String),
}
