//! The suite model as written in YAML.

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
}

/// The top level of a suite file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct SuiteFile {
    pub suite: Option<String>,
    pub feature: Option<String>,
    pub description: Option<String>,
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
    /// The steps, in order.
    pub steps: Vec<Spanned<Step>>,
}

/// One step, as written: its kind plus a stage name for reports.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Step {
    /// Fetch and judge the provider metadata and its JWKS.
    Discovery(DiscoveryStep),
    /// A generic HTTP call with expectations and captures.
    Request(RequestStep),
}

/// The kind of a step, for reports.
pub type StepKind = &'static str;

impl Step {
    /// The step kind as written in YAML.
    pub fn kind(&self) -> StepKind {
        match self {
            Step::Discovery(_) => "discovery",
            Step::Request(_) => "request",
        }
    }

    /// The stage name shown in reports.
    pub fn stage(&self) -> String {
        match self {
            Step::Discovery(s) => s.stage.clone().unwrap_or_else(|| "Discovery".into()),
            Step::Request(s) => s.stage.clone().unwrap_or_else(|| "Request".into()),
        }
    }
}

/// `discovery:` — fetch `.well-known/openid-configuration` and the JWKS.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DiscoveryStep {
    /// Stage name in reports (default "Discovery").
    pub stage: Option<String>,
    /// Overrides the target's discovery URL.
    pub url: Option<String>,
}

/// `request:` — a generic HTTP call.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequestStep {
    /// Stage name in reports (default "Request").
    pub stage: Option<String>,
    /// HTTP method (default GET).
    #[serde(default = "default_method")]
    pub method: String,
    /// URL; `{{ var }}` placeholders are filled from captured values.
    pub url: String,
    /// Extra headers.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// A form body (`application/x-www-form-urlencoded`).
    pub form: Option<BTreeMap<String, String>>,
    /// A JSON body.
    pub json: Option<serde_json::Value>,
    /// What the response should look like.
    #[serde(default)]
    pub expect: Expect,
    /// Values to keep for later steps: name → source.
    #[serde(default)]
    pub capture: BTreeMap<String, Spanned<String>>,
}

fn default_method() -> String {
    "GET".into()
}

/// Expectations on a response; each becomes a spec in the report.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    /// Expected status code.
    pub status: Option<u16>,
    /// Expected header values (exact match, case-insensitive names).
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// JSONPath → expected value (the first node must equal it).
    #[serde(default)]
    pub json: BTreeMap<String, Spanned<serde_json::Value>>,
}

/// A parsed capture source.
#[derive(Debug, Clone)]
pub enum CaptureSource {
    /// JSONPath into the response body (`$.a.b`).
    JsonPath(serde_json_path::JsonPath),
    /// A response header (`header:location`).
    Header(String),
    /// A parameter of the `Location` URL, query or fragment (`redirect:code`).
    RedirectParam(String),
}

/// A named capture with its parsed source.
#[derive(Debug, Clone)]
pub struct Capture {
    /// Variable name.
    pub name: String,
    /// Where the value comes from.
    pub source: CaptureSource,
}

impl CaptureSource {
    /// Parses `$.path`, `header:NAME` or `redirect:PARAM`.
    pub fn parse(text: &str) -> Result<Self, String> {
        if let Some(h) = text.strip_prefix("header:") {
            return Ok(CaptureSource::Header(h.trim().to_ascii_lowercase()));
        }
        if let Some(p) = text.strip_prefix("redirect:") {
            return Ok(CaptureSource::RedirectParam(p.trim().to_string()));
        }
        if text.starts_with('$') {
            return serde_json_path::JsonPath::parse(text)
                .map(CaptureSource::JsonPath)
                .map_err(|e| format!("invalid JSONPath `{text}`: {e}"));
        }
        Err(format!(
            "invalid capture source `{text}`: expected a JSONPath (`$.field`), `header:NAME` or `redirect:PARAM`"
        ))
    }
}
