//! Why a report could not be written, read back or verified.

use std::path::PathBuf;

/// A report that could not be written, read back, or verified.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// A file or directory could not be written.
    #[error("cannot write {}: {source}", path.display())]
    Write {
        /// What was written.
        path: PathBuf,
        /// Why not.
        source: std::io::Error,
    },
    /// A file or directory could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Read {
        /// What was read.
        path: PathBuf,
        /// Why not.
        source: std::io::Error,
    },
    /// A template did not compile or render.
    #[error("report template error: {0}")]
    Template(String),
    /// A value could not be serialised.
    #[error("cannot serialise the report: {0}")]
    Serialise(#[from] serde_json::Error),
    /// A run directory holds no report this probity can read, or one that
    /// names files outside itself.
    #[error("{} is not a report probity can use: {reason}", path.display())]
    NotAReport {
        /// The file or directory.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// The manifest could not be signed, or its key or signature is bad.
    #[error("{0}")]
    Manifest(String),
    /// What was asked makes no report (no shard named, an unknown format).
    #[error("{0}")]
    Usage(String),
}

impl ReportError {
    /// A write of `path` that failed.
    pub(super) fn write(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Self {
        let path = path.into();
        move |source| ReportError::Write { path, source }
    }

    /// A read of `path` that failed.
    pub(super) fn read(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Self {
        let path = path.into();
        move |source| ReportError::Read { path, source }
    }
}

/// Commands print a report error as a message.
impl From<ReportError> for String {
    fn from(e: ReportError) -> String {
        e.to_string()
    }
}
