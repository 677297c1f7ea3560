//! The suite model as written in YAML: suites of scenarios, each an ordered
//! list of steps whose shapes the step kinds define (`crate::steps`).

use crate::steps::{ClientRole, Step};
use serde::Deserialize;
use serde_saphyr::Spanned;
use std::collections::BTreeMap;
use std::path::PathBuf;

/// A suite: a file of scenarios.
#[derive(Debug, Clone)]
pub struct Suite {
    /// Suite name (the `suite:` key, else the file stem).
    pub name: String,
    /// The feature line of reports.
    pub feature: Option<String>,
    /// What the suite covers.
    pub description: Option<String>,
    /// The file it was loaded from.
    pub path: PathBuf,
    /// The scenarios, in file order.
    pub scenarios: Vec<Scenario>,
    /// The variant its scenarios are written for (a FAPI 2 suite needs
    /// pushed requests and sender-constrained tokens), if any.
    pub variant: Option<SuiteVariant>,
}

/// `variant:` of a suite: the conformance profile its scenarios are written
/// for, and the variant they run under when the target profile declares
/// none. A declared variant that does not satisfy the profile makes the
/// scenarios SKIPPED, citing the clause.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SuiteVariant {
    /// The conformance profile whose variant rules must hold.
    pub conformance: crate::specs::Conformance,
    /// The sender constraint used when the profile declares no variant.
    pub sender_constraint: crate::target::SenderConstraint,
    /// The request style used when the profile declares no variant.
    pub request_style: crate::target::RequestStyle,
    /// The client role that stands in for the default client when the
    /// profile declares no variant.
    pub client: ClientRole,
}

/// The top level of a suite file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct SuiteFile {
    pub suite: Option<String>,
    pub feature: Option<String>,
    pub description: Option<String>,
    pub variant: Option<SuiteVariant>,
    pub scenarios: Vec<Scenario>,
}

/// A scenario: an ordered list of steps sharing a session and variables.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Identifier, unique in the suite (`suite/scenario` selects it).
    pub id: Spanned<String>,
    /// The **Test** line of reports.
    pub name: String,
    /// A paragraph shown under the test name.
    #[serde(default)]
    pub description: Option<String>,
    /// What the target must offer besides what the steps imply; without it
    /// the scenario is SKIPPED with the capability named.
    #[serde(default)]
    pub requires: Requires,
    /// It waits for a code or `request_uri` to age: left out of runs unless
    /// `--slow` is given or `--only` names it.
    #[serde(default)]
    pub slow: bool,
    /// The steps, in order.
    pub steps: Vec<Spanned<Step>>,
}

/// A scenario's explicit requirements.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Requires {
    /// Provider metadata members and the value each must have (for a list:
    /// must contain; `true`: must be true).
    #[serde(default)]
    pub metadata: BTreeMap<String, serde_json::Value>,
    /// The sender constraint the run must use (a DPoP module means nothing
    /// under mTLS).
    pub sender_constraint: Option<crate::target::SenderConstraint>,
    /// The default client's authentication method (a client assertion
    /// module needs `private_key_jwt`).
    pub client_auth: Option<crate::target::ClientAuthMethod>,
}
