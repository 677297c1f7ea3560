//! The capturing HTTP client.
//!
//! One [`HttpClient`] per target (connection pool, TLS identity, limits);
//! one [`Session`] per scenario (cookie jar, the exchanges it made). Every
//! request and response is kept as an [`Exchange`]; nothing is redacted
//! here: redaction is applied when reports are rendered ([`redact`]).

pub mod cleartext;
mod client;
mod exchange;
pub mod redact;
mod session;

pub use client::{HttpClient, HttpSettings, TlsSettings};
pub use exchange::{Exchange, NoResponse, RecordedRequest, RecordedResponse};
pub use session::{OutgoingRequest, RequestBody, Session};
