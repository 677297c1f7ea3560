//! Suites: the YAML model of what to run, loaded into a typed plan.
//!
//! A suite file holds scenarios; a scenario is an ordered list of steps.
//! Unknown keys are errors, every template, JSONPath, method and capture
//! source is parsed when the file loads, and every value a step uses must be
//! provided by the profile or an earlier step. Every error names the file,
//! line and column.

pub(crate) mod load;
mod model;
mod plan;
mod template;

pub use load::{check_roles, discover_suite_files, load_suite, load_suites};
pub use model::{
    role, AccountResource, AccountsStep, AssertionOverrides, AuthorizeStep, Capture, CaptureSource,
    ClientCredentialsStep, ClientRole, ConsentKind, ConsentStep, DecoupledMode, DecoupledStep,
    DiscoveryStep, DpopJkt, DpopProof, ErrorPage, Expect, ExpectedError, HttpMethod, IdTokenSource,
    IdTokenStep, JsonPathExpr, PaymentStep, PollStatusStep, RequestObjectMode, RequestStep,
    Requires, Scenario, Signing, Statuses, Step, StepKind, Suite, SuiteVariant, TokenGrant,
    TokenPlacement, TokenStep, UserinfoMethod, UserinfoStep,
};
pub use plan::{client_roles, templates, uses_default_client};
pub use template::{AuthorizeField, JsonTemplate, Ref, TargetField, Template, TokenField, Values};
