//! Targets: where the ASPSP is and who the client is.
//!
//! A target profile is a YAML file; secrets come from the environment through
//! `${env:NAME}` so no literal secret is ever required in a file.

mod files;
mod load;
mod model;

pub use load::{load_target, parse_client_key, resolve_pages};
pub use model::{
    scripts_for, snake, ClientAssertionAudience, ClientAuthMethod, ClientKey, ClientProfile,
    ConsentDriver, ConsentSettings, FieldValue, FormPage, ManualSettings, PageAction, PageScript,
    PsuDecision, RequestStyle, ResponseMode, ScenarioValues, SenderConstraint, Target,
    UnknownClient, Variant, DEVELOPMENT_NOTICE,
};
