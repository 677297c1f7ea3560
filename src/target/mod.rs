//! Targets: where the ASPSP is and who the client is.
//!
//! A target profile is a YAML file; secrets come from the environment through
//! `${env:NAME}` so no literal secret is ever required in a file.

mod profile;

pub use profile::{load_target, ClientAuthMethod, ClientProfile, Target};
