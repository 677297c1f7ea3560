//! Reports: one model of raw values ([`model`]) and its projections —
//! markdown and HTML (tera templates; HTML autoescaped), JSON (the model
//! itself, streamed) and JUnit.
//!
//! Secrets are redacted while the model is built, so every renderer sees
//! the same shareable data. Scenario reports are written as each scenario
//! ends and then dropped; files are written atomically (temp + rename) with
//! one sync at the end, so an interrupted run keeps what it captured.

mod error;
mod files;
mod junit;
pub mod manifest;
pub mod model;
mod render;
mod values;
mod writer;

pub use error::ReportError;
pub use files::{create_run_dir, write_atomic};
pub use model::{Credential, RunInfo, RunSummary, ScenarioReport, SummaryRow};
pub use writer::{now, Formats, ReportOptions, ReportWriter, SCHEMA_VERSION};
