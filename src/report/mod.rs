//! Reports: one data model ([`model`]) rendered to markdown (tera
//! templates), HTML (pulldown-cmark over the markdown), JUnit and JSON.
//!
//! Secrets are redacted while the model is built, so every renderer sees
//! the same shareable data. Every file is written atomically (temp + rename)
//! and scenario reports are written as soon as each scenario ends, so an
//! interrupted run keeps what it captured.

mod files;
mod junit;
pub mod model;
mod writer;

pub use files::{create_run_dir, write_atomic};
pub use model::{RunSummary, ScenarioReport};
pub use writer::{ReportOptions, ReportWriter};
