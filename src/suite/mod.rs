//! Suites: the YAML model of what to run, and its loader.
//!
//! A suite file holds scenarios; a scenario is an ordered list of steps.
//! Unknown keys are errors, and every error names the file, line and column.

pub(crate) mod load;
mod model;
mod vars;

pub use load::{discover_suite_files, load_suite, load_suites};
pub use model::{
    AccountResource, AccountsStep, AuthorizeStep, Capture, CaptureSource, ClientCredentialsStep,
    ConsentKind, ConsentStep, DecoupledMode, DecoupledStep, DiscoveryStep, Expect, IdTokenSource,
    IdTokenStep, PaymentStep, PollStatusStep, RequestObjectMode, RequestStep, Scenario, Signing,
    Step, StepKind, Suite, TokenGrant, TokenStep, UserinfoStep,
};
pub use vars::Vars;
