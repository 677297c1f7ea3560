//! probity: a conformance test harness for OAuth 2 / OpenID Connect / FAPI /
//! Open Banking authorization servers (ASPSPs).
//!
//! Data flows one way: YAML suites ([`suite`]) and a target profile
//! ([`target`]) → the [`runner`], which drives [`steps`] through the capturing
//! [`http`] client and judges every exchange against [`specs`] → one
//! [`report`] model rendered to markdown, HTML, JUnit and JSON. The embedded
//! reference ASPSP lives in [`bank`].

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

pub mod bank;
pub mod commands;
pub mod errors;
pub mod expr;
pub mod http;
pub mod ids;
pub mod jose;
pub mod openapi;
pub mod plans;
pub mod report;
pub mod runner;
pub mod specs;
pub mod steps;
pub mod suite;
pub mod target;
pub mod yaml;

pub use errors::ConfigError;

/// Installs the process-wide rustls crypto provider (ring). Idempotent.
pub fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}
