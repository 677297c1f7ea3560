//! The suite model as written in YAML.

use super::template::{JsonTemplate, Template};
use serde::de::{Deserializer, Error as _};
use serde::Deserialize;
use serde_saphyr::Spanned;
use std::collections::BTreeMap;
use std::path::PathBuf;

/// A client role of the target profile named by a step (`client: jwt`),
/// with where it was written; checked against the profile before a run.
pub type ClientRole = Spanned<String>;

/// The role's name, or `None` for the profile's default client.
pub fn role(client: &Option<ClientRole>) -> Option<&str> {
    client.as_ref().map(|c| c.value.as_str())
}

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

/// One step, as written: its kind plus a stage name for reports.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Step {
    /// Fetch and judge the provider metadata and its JWKS.
    Discovery(DiscoveryStep),
    /// A generic HTTP call with expectations and captures.
    Request(RequestStep),
    /// A client credentials grant.
    ClientCredentials(ClientCredentialsStep),
    /// An authorization request answered through a consent driver.
    Authorize(Box<AuthorizeStep>),
    /// A token request: authorization code or refresh token.
    Token(TokenStep),
    /// Validate an ID token.
    IdToken(IdTokenStep),
    /// Decoupled authorization: CIBA poll mode or the Idura headless flow.
    Decoupled(DecoupledStep),
    /// Call the UserInfo endpoint with `token.access_token`.
    Userinfo(UserinfoStep),
    /// A signed resource API call (payment consents, payments, submissions).
    Payment(PaymentStep),
    /// Submit an authorised payment: OP `PUT …/submissions/{id}` or OBIE
    /// `POST domestic-payments` (a payment step whose method defaults to PUT).
    Submit(PaymentStep),
    /// GET a resource (default method) and verify its `x-jws-signature`
    /// against the ASPSP's JWKS, reporting key and alg: a payment step whose
    /// point is the signature.
    VerifyResponseSignature(PaymentStep),
    /// Poll a resource until its status is terminal.
    PollStatus(PollStatusStep),
    /// Read the PSU's accounts, balances and transactions.
    Accounts(AccountsStep),
    /// Create the intent an authorization will name, and capture its id.
    Consent(ConsentStep),
}

/// The kind of a step, for reports.
pub type StepKind = &'static str;

impl Step {
    /// The step kind as written in YAML, its default stage name, and the
    /// stage the suite gave it.
    fn describe(&self) -> (StepKind, &'static str, Option<&String>) {
        match self {
            Step::Discovery(s) => ("discovery", "Discovery", s.stage.as_ref()),
            Step::Request(s) => ("request", "Request", s.stage.as_ref()),
            Step::ClientCredentials(s) => (
                "client_credentials",
                "Client Credentials Grant",
                s.stage.as_ref(),
            ),
            Step::Authorize(s) => ("authorize", "Authorization Code Flow", s.stage.as_ref()),
            Step::Token(s) => ("token", "Token Request", s.stage.as_ref()),
            Step::IdToken(s) => ("id_token", "ID Token", s.stage.as_ref()),
            Step::Decoupled(s) => ("decoupled", "Decoupled Authorization", s.stage.as_ref()),
            Step::Userinfo(s) => ("userinfo", "UserInfo Request", s.stage.as_ref()),
            Step::Payment(s) => ("payment", "Payment API", s.stage.as_ref()),
            Step::Submit(s) => ("submit", "Payment Submission", s.stage.as_ref()),
            Step::VerifyResponseSignature(s) => (
                "verify_response_signature",
                "Response Signature",
                s.stage.as_ref(),
            ),
            Step::PollStatus(s) => ("poll_status", "Status Polling", s.stage.as_ref()),
            Step::Accounts(s) => ("accounts", "Account Information", s.stage.as_ref()),
            Step::Consent(s) => ("consent", "Create Consent", s.stage.as_ref()),
        }
    }

    /// Whether the step tests what the server must refuse: an expected
    /// error, or a deliberately wrong DPoP proof.
    pub fn expects_refusal(&self) -> bool {
        let defect = |p: Option<DpopProof>| p.is_some_and(DpopProof::is_defect);
        match self {
            Step::Authorize(s) => s.expect_error.is_some(),
            Step::Token(s) => s.expect_error.is_some() || defect(s.dpop) || !s.holder_of_key,
            Step::ClientCredentials(s) => s.expect_error.is_some() || defect(s.dpop),
            Step::Decoupled(s) => s.expect_error.is_some(),
            Step::Userinfo(s) => defect(s.dpop) || s.expect_revoked,
            Step::Payment(s) => s.expect_consent_refusal,
            _ => false,
        }
    }

    /// The step kind as written in YAML.
    pub fn kind(&self) -> StepKind {
        self.describe().0
    }

    /// The stage name shown in reports.
    pub fn stage(&self) -> String {
        let (_, default, given) = self.describe();
        given.cloned().unwrap_or_else(|| default.to_string())
    }
}

/// `discovery:` — fetch `.well-known/openid-configuration` and the JWKS.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DiscoveryStep {
    /// Stage name in reports (default "Discovery").
    pub stage: Option<String>,
    /// Overrides the target's discovery URL.
    pub url: Option<Template>,
}

/// `request:` — a generic HTTP call.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequestStep {
    /// Stage name in reports (default "Request").
    pub stage: Option<String>,
    /// HTTP method (default GET).
    #[serde(default = "default_method")]
    pub method: HttpMethod,
    /// URL; `{{ var }}` placeholders are filled from captured values.
    pub url: Template,
    /// Extra headers.
    #[serde(default)]
    pub headers: BTreeMap<String, Template>,
    /// A form body (`application/x-www-form-urlencoded`).
    pub form: Option<BTreeMap<String, Template>>,
    /// A JSON body.
    pub json: Option<JsonTemplate>,
    /// What the response should look like.
    #[serde(default)]
    pub expect: Expect,
    /// Values to keep for later steps: name → source.
    #[serde(default)]
    pub capture: BTreeMap<String, Capture>,
}

fn default_method() -> HttpMethod {
    HttpMethod(reqwest::Method::GET)
}

/// An HTTP method, checked when the suite loads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpMethod(pub reqwest::Method);

impl<'de> Deserialize<'de> for HttpMethod {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        let upper = text.to_ascii_uppercase();
        let ok = !upper.is_empty() && upper.bytes().all(|b| b.is_ascii_uppercase());
        match reqwest::Method::from_bytes(upper.as_bytes()) {
            Ok(m) if ok => Ok(HttpMethod(m)),
            _ => Err(D::Error::custom(format!("invalid HTTP method `{text}`"))),
        }
    }
}

/// A JSONPath, parsed when the suite loads; keeps its text for reports.
#[derive(Debug, Clone)]
pub struct JsonPathExpr {
    /// As written.
    pub text: String,
    /// Parsed.
    pub path: serde_json_path::JsonPath,
}

impl JsonPathExpr {
    /// Parses `text`.
    pub fn parse(text: &str) -> Result<Self, String> {
        serde_json_path::JsonPath::parse(text)
            .map(|path| JsonPathExpr {
                text: text.to_string(),
                path,
            })
            .map_err(|e| format!("invalid JSONPath `{text}`: {e}"))
    }
}

impl PartialEq for JsonPathExpr {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text
    }
}
impl Eq for JsonPathExpr {}
impl PartialOrd for JsonPathExpr {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for JsonPathExpr {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.text.cmp(&other.text)
    }
}

impl<'de> Deserialize<'de> for JsonPathExpr {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        JsonPathExpr::parse(&text).map_err(D::Error::custom)
    }
}

/// Expectations on a response; each becomes a spec in the report.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    /// Expected status code.
    pub status: Option<u16>,
    /// Any refusal will do: a 4xx or 5xx status (a method the endpoint
    /// does not serve).
    #[serde(default)]
    pub refused: bool,
    /// Expected header values (exact match, case-insensitive names).
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// JSONPath → expected value (the first node must equal it).
    #[serde(default)]
    pub json: BTreeMap<JsonPathExpr, Spanned<serde_json::Value>>,
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

/// A capture source as written and parsed (`$.Data.ConsentId`).
#[derive(Debug, Clone)]
pub struct Capture {
    /// As written, for reports.
    pub text: String,
    /// Where the value comes from.
    pub source: CaptureSource,
}

impl<'de> Deserialize<'de> for Capture {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        CaptureSource::parse(&text)
            .map(|source| Capture { text, source })
            .map_err(D::Error::custom)
    }
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

/// `client_credentials:` — a client credentials grant.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientCredentialsStep {
    /// Stage name in reports.
    pub stage: Option<String>,
    /// The DPoP proof sent (RFC 9449); unset: the target's variant.
    pub dpop: Option<DpopProof>,
    /// A named client of the target (default: the target's client).
    pub client: Option<ClientRole>,
    /// Requested scope.
    pub scope: Option<Template>,
    /// Expect this OAuth error (or any of these) instead of tokens.
    pub expect_error: Option<ExpectedError>,
    /// Address the client assertion to this audience instead of the issuer.
    pub assertion_audience: Option<String>,
    /// Send the previous step's client assertion again (a replayed `jti`).
    #[serde(default)]
    pub replay_assertion: bool,
    /// Deliberate defects of the client assertion.
    pub client_assertion: Option<AssertionOverrides>,
}

/// Deliberate changes to a `private_key_jwt` client assertion (RFC 7523
/// §3), for the refusals a server must make.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssertionOverrides {
    /// `aud`: `issuer`, `token_endpoint`, `endpoint` (the one called),
    /// `array` (the issuer inside a list), or a literal value.
    pub aud: Option<String>,
    /// `exp`, seconds from now (negative: in the past).
    pub exp_in: Option<i64>,
    /// `nbf`, seconds from now (unset: no `nbf`).
    pub nbf_in: Option<i64>,
    /// `iat`, seconds from now.
    pub iat_in: Option<i64>,
    /// Claims left out (`sub`, `jti` …).
    #[serde(default)]
    pub omit: Vec<String>,
    /// Send no client authentication at all (only `client_id`).
    #[serde(default)]
    pub omitted: bool,
    /// Sign with this alg, by the client's own key: `RS256` by its RSA
    /// key, which FAPI 2.0 SP §5.4.1 does not allow (PS256, ES256, EdDSA).
    /// The scenario is SKIPPED unless the client's key is an RSA key used
    /// with PS256, as the OIDF module is.
    pub alg: Option<String>,
}

/// One OAuth error code, or the set of codes any of which is correct.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum ExpectedError {
    /// Exactly this code.
    One(String),
    /// Any of these codes.
    AnyOf(Vec<String>),
}

impl ExpectedError {
    /// Whether `code` is an expected one.
    pub fn accepts(&self, code: &str) -> bool {
        match self {
            ExpectedError::One(c) => c == code,
            ExpectedError::AnyOf(codes) => codes.iter().any(|c| c == code),
        }
    }
}

impl std::fmt::Display for ExpectedError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ExpectedError::One(c) => f.write_str(c),
            ExpectedError::AnyOf(codes) => f.write_str(&codes.join(" or ")),
        }
    }
}

/// The DPoP proof (RFC 9449) a token or resource request carries. Unset:
/// a valid proof when the target's variant is `sender_constraint: dpop`
/// (token requests) or the token is DPoP-bound (resource requests). The
/// others are defects, for the tests of what a server must refuse.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DpopProof {
    /// A valid proof.
    Valid,
    /// No `DPoP` header.
    Omitted,
    /// A proof for another URL (`htu`).
    WrongUrl,
    /// A proof for another method (`htm`).
    WrongMethod,
    /// A resource request's proof with the hash (`ath`) of another token.
    WrongToken,
    /// A DPoP-bound token sent under the `Bearer` scheme (RFC 9449 §7.1).
    BearerScheme,
    /// A valid proof by another key than the one the code or token is
    /// bound to.
    OtherKey,
    /// A valid proof whose `iat` is 10 s in the past (clock skew).
    #[serde(rename = "iat_past_10s")]
    IatPast10s,
    /// A valid proof whose `iat` is 10 s in the future (clock skew).
    #[serde(rename = "iat_future_10s")]
    IatFuture10s,
    /// A valid proof that also carries `nbf` and `exp`.
    WithNbfExp,
    /// A proof whose `nonce` the server never supplied (RFC 9449 §8): it
    /// must be refused by a server that demands nonces.
    WrongNonce,
    /// A proof whose `typ` is `JWT` (RFC 9449 §4.3 item 4).
    BadTyp,
    /// An unsigned proof, `alg: none` (RFC 9449 §4.3 item 5).
    AlgNone,
    /// A proof whose signature does not verify (RFC 9449 §4.3 item 6).
    BadSignature,
}

impl DpopProof {
    /// Whether the proof is deliberately wrong: the server must refuse it.
    /// Skewed clocks and extra claims are not defects.
    pub fn is_defect(self) -> bool {
        !matches!(
            self,
            DpopProof::Valid
                | DpopProof::IatPast10s
                | DpopProof::IatFuture10s
                | DpopProof::WithNbfExp
        )
    }
}

/// Which key's thumbprint an authorization request sends as `dpop_jkt`
/// (RFC 9449 §10), binding the code to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DpopJkt {
    /// The scenario's DPoP key: the token request proves it.
    ScenarioKey,
    /// Another key: the token request's proof must then be refused.
    OtherKey,
}

/// Which outcomes besides the expected error redirect a refusal may take.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorPage {
    /// Only a redirect with the error (or a PAR error response).
    #[default]
    Refused,
    /// An error page shown to the PSU is accepted too, marked for review.
    Accepted,
    /// Only an error page: any redirect (the redirect URI cannot be
    /// trusted) fails.
    Only,
}

/// How the authorization request is carried.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestObjectMode {
    /// Plain query parameters.
    #[default]
    None,
    /// A request object signed with the client's key.
    Signed,
    /// An unsigned request object (`alg: none`), as Ozone accepts.
    Unsigned,
}

/// `authorize:` — build the authorization request, obtain consent through a
/// driver, and read the callback.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthorizeStep {
    /// Stage name in reports.
    pub stage: Option<String>,
    /// A named client of the target.
    pub client: Option<ClientRole>,
    /// Requested scope.
    pub scope: Template,
    /// `code` (default) or `code id_token`.
    #[serde(default = "default_response_type")]
    pub response_type: String,
    /// Send a PKCE S256 challenge (default true).
    #[serde(default = "yes")]
    pub pkce: bool,
    /// Send a nonce (default true).
    #[serde(default = "yes")]
    pub nonce: bool,
    /// Send a state (default true).
    #[serde(default = "yes")]
    pub state: bool,
    /// How the request is carried; unset, the target's
    /// `variant.request_style` decides (default plain parameters).
    pub request_object: Option<RequestObjectMode>,
    /// How the response travels back (`response_mode`); unset, the
    /// target's `variant.response_mode`, else none is sent.
    pub response_mode: Option<crate::target::ResponseMode>,
    /// Push the request first (RFC 9126) and send only `request_uri`;
    /// unset, the target's `variant.request_style` decides.
    pub par: Option<bool>,
    /// Visit the authorization URL once and leave the page, before the
    /// consent driver visits it again and completes: a reload before
    /// completion (RFC 9126 §4). SKIPPED when the first visit completes.
    #[serde(default)]
    pub visit_first: bool,
    /// The `claims` parameter (placeholders are filled).
    pub claims: Option<JsonTemplate>,
    /// Ask, in the `claims` parameter's `id_token` and `userinfo` members,
    /// only for the claims the server lists in `claims_supported`.
    #[serde(default)]
    pub claims_supported_only: bool,
    /// `max_age`, seconds.
    pub max_age: Option<i64>,
    /// RFC 9396 `authorization_details` (placeholders filled), e.g. the
    /// consent of an Open Finance PAR flow.
    pub authorization_details: Option<JsonTemplate>,
    /// Further parameters (e.g. `prompt`, `acr_values`).
    #[serde(default)]
    pub params: BTreeMap<String, Template>,
    /// Consent driver, overriding the target's.
    pub driver: Option<crate::target::ConsentDriver>,
    /// The browser driver's page scripts for this step, instead of the
    /// profile's (one profile, many scenarios: a PSU who cancels clicks
    /// another button).
    #[serde(default)]
    pub pages: Option<Vec<crate::target::PageScript>>,
    /// What the PSU decides on the consent page (browser driver): the
    /// profile's page scripts marked `when: denies` cancel.
    #[serde(default)]
    pub psu: crate::target::PsuDecision,
    /// `false`: the spec "should not require a consent prompt" is judged.
    pub expect_consent_prompt: Option<bool>,
    /// Seconds to wait before the request (at most 60): lets a `max_age`
    /// elapse, or makes a new login's `auth_time` differ from the last.
    pub after_s: Option<u64>,
    /// Expect this error in the callback instead of a code; a list when
    /// any of several is correct (`prompt=none`: `login_required` or
    /// `interaction_required` …).
    pub expect_error: Option<ExpectedError>,
    /// Seconds the request object is valid (negative: already expired).
    pub request_object_lifetime: Option<i64>,
    /// Send the `request_uri` pushed by the previous authorize step again.
    #[serde(default)]
    pub reuse_request_uri: bool,
    /// Reverse the order of the scope values (`openid` no longer first) and
    /// of the query parameters: the server must not depend on either
    /// (RFC 6749 §3.1, §3.3).
    #[serde(default)]
    pub reverse_order: bool,
    /// Length of the generated `nonce` (default 43).
    pub nonce_length: Option<usize>,
    /// Length of the generated `state` (default 43).
    pub state_length: Option<usize>,
    /// `code_challenge_method`: `S256` (default) or `plain`.
    pub code_challenge_method: Option<String>,
    /// Parameters left out of the request (e.g. `redirect_uri`).
    #[serde(default)]
    pub omit_params: Vec<String>,
    /// Parameters added to the front-channel URL only, beside a pushed
    /// `request_uri` or a request object: the server must ignore them.
    #[serde(default)]
    pub front_params: BTreeMap<String, Template>,
    /// Whether an error page at the ASPSP is an accepted refusal.
    #[serde(default)]
    pub error_page: ErrorPage,
    /// With `expect_error`: a successful authorization is also correct
    /// (the server may accept a long nonce); the scenario then goes on.
    #[serde(default)]
    pub success_allowed: bool,
    /// Deliberate defects of the PAR client assertion.
    pub client_assertion: Option<AssertionOverrides>,
    /// The DPoP proof sent with the pushed request (RFC 9449 §10.1);
    /// unset: none.
    pub dpop: Option<DpopProof>,
    /// Send `dpop_jkt` (RFC 9449 §10) for this key.
    pub dpop_jkt: Option<DpopJkt>,
    /// Only push the request (PAR), without visiting the authorization
    /// endpoint: a later step uses the `request_uri`.
    #[serde(default)]
    pub push_only: bool,
    /// Wait until the `request_uri` pushed by an earlier step has expired
    /// (its `expires_in`, plus a second) before using it; SKIPPED when that
    /// is over 30 minutes.
    #[serde(default)]
    pub after_request_uri_expiry: bool,
    /// Send the request as a POST form instead of a GET (OIDC Core
    /// §3.1.2.1: the endpoint must support both); redirect and form drivers.
    #[serde(default)]
    pub post: bool,
}

impl AuthorizeStep {
    /// Whether the request is pushed, and how it is carried: the step's
    /// own settings, else the target's variant.
    pub fn carriage(&self, style: crate::target::RequestStyle) -> (bool, RequestObjectMode) {
        use crate::target::RequestStyle::*;
        let (par, object) = match style {
            Plain => (false, RequestObjectMode::None),
            RequestObject => (false, RequestObjectMode::Signed),
            Par => (true, RequestObjectMode::None),
            ParRequestObject => (true, RequestObjectMode::Signed),
        };
        (
            self.par.unwrap_or(par),
            self.request_object.unwrap_or(object),
        )
    }
}

fn default_response_type() -> String {
    "code".into()
}

fn yes() -> bool {
    true
}

/// The grant of a `token:` step.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenGrant {
    /// Exchange `authorize.code`.
    #[default]
    AuthorizationCode,
    /// Use `token.refresh_token`.
    RefreshToken,
    /// RFC 7523 `urn:ietf:params:oauth:grant-type:jwt-bearer` with a JWT
    /// signed by the client from the step's `assertion` claims (the OP
    /// exemption flow).
    JwtBearer,
}

/// `token:` — the token request after authorization, or a refresh.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenStep {
    /// Stage name in reports.
    pub stage: Option<String>,
    /// The DPoP proof sent (RFC 9449); unset: the target's variant.
    pub dpop: Option<DpopProof>,
    /// A named client of the target.
    pub client: Option<ClientRole>,
    /// The grant (default authorization_code).
    #[serde(default)]
    pub grant: TokenGrant,
    /// Override the form fields sent (placeholders filled), e.g. a wrong
    /// `code_verifier` or `redirect_uri` in negative scenarios.
    #[serde(default)]
    pub override_fields: BTreeMap<String, Template>,
    /// Leave these fields out (e.g. `code_verifier`).
    #[serde(default)]
    pub omit_fields: Vec<String>,
    /// Expect a refresh token in the response.
    #[serde(default)]
    pub expect_refresh_token: bool,
    /// Expect this OAuth error (or any of these) instead of tokens.
    pub expect_error: Option<ExpectedError>,
    /// Seconds to wait before the request (at most 120): a code replayed
    /// after a while, an expired code.
    pub after_s: Option<u64>,
    /// Deliberate defects of the client assertion.
    pub client_assertion: Option<AssertionOverrides>,
    /// `scope` to send (refresh may narrow it; jwt_bearer needs it); the
    /// response is judged against it. Default: the authorization's scope.
    pub scope: Option<Template>,
    /// For `grant: jwt_bearer`: the claims of the assertion (placeholders
    /// filled); `iss` and `client_id` (the client), `aud` (the issuer),
    /// `iat`, `exp` and `jti` are added unless given.
    pub assertion: Option<JsonTemplate>,
    /// `false`: leave out the variant's holder-of-key, which the server
    /// must then refuse, since it may issue only sender-constrained tokens
    /// (FAPI 2.0 SP §5.3.2.1): under DPoP no proof, and no TLS client
    /// certificate unless the client authenticates with it; under mTLS no
    /// certificate.
    #[serde(default = "yes")]
    pub holder_of_key: bool,
}

/// `id_token:` — validate an ID token.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdTokenStep {
    /// Stage name in reports.
    pub stage: Option<String>,
    /// A named client of the target (for `aud`).
    pub client: Option<ClientRole>,
    /// Which ID token: `token` (default, from the token response) or
    /// `authorize` (front channel, from the callback).
    #[serde(default)]
    pub from: IdTokenSource,
    /// Allowed algs (default PS256, ES256, RS256).
    pub algs: Option<Vec<String>>,
    /// Allowed clock skew in seconds (default 60).
    pub clock_skew: Option<i64>,
    /// Claims that must be present with these values (placeholders filled).
    #[serde(default)]
    pub expect_claims: BTreeMap<String, JsonTemplate>,
    /// `true`: the PSU was asked to log in again (`prompt=login`, an
    /// elapsed `max_age`), so `auth_time` must be later than the previous
    /// ID token's; `false`: the session went on, so it must be the same.
    pub expect_reauthentication: Option<bool>,
}

/// Where an ID token comes from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IdTokenSource {
    /// The token endpoint response.
    #[default]
    Token,
    /// The authorization response (`code id_token`).
    Authorize,
}

/// Which decoupled protocol.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DecoupledMode {
    /// OpenID CIBA, poll mode.
    #[default]
    Ciba,
    /// The Idura headless flow.
    Headless,
}

/// `decoupled:` — start a decoupled authorization and poll the token endpoint.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DecoupledStep {
    /// Stage name in reports.
    pub stage: Option<String>,
    /// CIBA (default) or Idura headless.
    #[serde(default)]
    pub mode: DecoupledMode,
    /// A named client of the target.
    pub client: Option<ClientRole>,
    /// Requested scope (default `openid`).
    pub scope: Option<Template>,
    /// `login_hint` (CIBA requires one).
    pub login_hint: Option<Template>,
    /// `acr_values`.
    pub acr_values: Option<Template>,
    /// Overrides the endpoint (CIBA: from discovery; headless: `/headless/authorize`).
    pub endpoint: Option<Template>,
    /// Expect the request to end with this error (`access_denied`, `expired_token`).
    pub expect_error: Option<String>,
    /// Poll this often instead of the server's interval (to provoke `slow_down`).
    pub poll_interval_ms: Option<u64>,
    /// Expect at least one `slow_down` answer.
    #[serde(default)]
    pub expect_slow_down: bool,
    /// Give up after this many seconds (default 30).
    pub timeout_s: Option<u64>,
}

/// `userinfo:` — the UserInfo request.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserinfoStep {
    /// Stage name in reports.
    pub stage: Option<String>,
    /// `get` (default) or `post` (OIDC Core §5.3: the endpoint must support both).
    #[serde(default)]
    pub method: UserinfoMethod,
    /// Where the access token travels: the `Authorization` header (default,
    /// RFC 6750 §2.1) or the form body of a POST (RFC 6750 §2.2).
    #[serde(default)]
    pub token_in: TokenPlacement,
    /// The DPoP proof sent with a DPoP-bound token; a defect expects the
    /// request refused (RFC 9449 §7.1).
    pub dpop: Option<DpopProof>,
    /// The access token's code was replayed since: the token should be
    /// revoked, and a 4xx is expected (a 200 is a warning).
    #[serde(default)]
    pub expect_revoked: bool,
    /// Write the `Authorization` scheme in lower case (`bearer`, `dpop`):
    /// RFC 9110 §11.1 makes it case-insensitive.
    #[serde(default)]
    pub lowercase_scheme: bool,
}

/// The HTTP method of a UserInfo request.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UserinfoMethod {
    /// GET.
    #[default]
    Get,
    /// POST.
    Post,
}

/// Where a Bearer token is sent.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenPlacement {
    /// `Authorization: Bearer …` (RFC 6750 §2.1).
    #[default]
    Header,
    /// `access_token` in an `application/x-www-form-urlencoded` body (RFC 6750 §2.2).
    Body,
}

/// How a request body is signed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Signing {
    /// OBIE detached JWS (`b64: false` with the OB claims).
    #[default]
    Obie,
    /// Plain detached JWS (OP PSD2).
    Plain,
    /// No `x-jws-signature`.
    None,
}

/// `payment:` — a resource API call with a detached JWS, an idempotency key,
/// response-signature verification and captures.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PaymentStep {
    /// Stage name in reports.
    pub stage: Option<String>,
    /// HTTP method (default: POST with a `json` body, else GET; for
    /// `submit`, PUT without a body).
    pub method: Option<HttpMethod>,
    /// URL (placeholders filled).
    pub url: Template,
    /// Bearer token (default `{{ token.access_token }}`).
    pub token: Option<Template>,
    /// The client whose key signs the body (default: the target's client).
    pub client: Option<ClientRole>,
    /// JSON body (placeholders filled).
    pub json: Option<JsonTemplate>,
    /// How the body is signed (default OBIE).
    #[serde(default)]
    pub sign: Signing,
    /// Extra headers (placeholders filled).
    #[serde(default)]
    pub headers: BTreeMap<String, Template>,
    /// Expected status (default 201 for POST, 200 otherwise).
    pub expect_status: Option<u16>,
    /// Check that the response carries a valid `x-jws-signature` (default true).
    #[serde(default = "yes")]
    pub verify_signature: bool,
    /// Repeat the request with the same idempotency key and compare this JSONPath.
    pub idempotency_check: Option<Capture>,
    /// Values to keep: name → source (`$.path`, `header:NAME`).
    #[serde(default)]
    pub capture: BTreeMap<String, Capture>,
    /// The body names a consent the token was not authorised for: any 4xx
    /// is expected (`payment.consent_bound`), an acceptance fails.
    #[serde(default)]
    pub expect_consent_refusal: bool,
    /// Add the payment to this bundle (OP `authorizationId`, placeholders
    /// filled): sent in the body and expected back in the response.
    pub bundle: Option<Template>,
}

impl PaymentStep {
    /// The HTTP method, by the defaults above.
    pub fn method(&self, submit: bool) -> reqwest::Method {
        match (&self.method, &self.json, submit) {
            (Some(m), _, _) => m.0.clone(),
            (None, Some(_), _) => reqwest::Method::POST,
            (None, None, true) => reqwest::Method::PUT,
            (None, None, false) => reqwest::Method::GET,
        }
    }
}

/// `poll_status:` — GET a resource until its status is terminal.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PollStatusStep {
    /// Stage name in reports.
    pub stage: Option<String>,
    /// URL (placeholders filled).
    pub url: Template,
    /// Bearer token (default `{{ token.access_token }}`).
    pub token: Option<Template>,
    /// JSONPath of the status (default `$.Data.Status`).
    pub status_path: Option<JsonPathExpr>,
    /// Statuses that end the polling successfully.
    pub terminal: Statuses,
    /// Statuses of a payment still on its way (OBIE v3.1: `Pending`,
    /// `AcceptedSettlementInProcess`): one at the deadline is a warning for
    /// the assessor, since no clause sets a settlement time; a status in
    /// neither list fails at once.
    #[serde(default)]
    pub pending: Statuses,
    /// Milliseconds between polls (default 500).
    pub interval_ms: Option<u64>,
    /// Give up after this many seconds (default 10).
    pub timeout_s: Option<u64>,
    /// Extra headers (placeholders filled).
    #[serde(default)]
    pub headers: BTreeMap<String, Template>,
}

/// The statuses a `poll_status` step names: one list, or one list per Open
/// Banking UK API version (`v3.1: […]`, `v4.0: […]`: v4.0 moved payment
/// statuses to ISO 20022 codes), chosen by the profile's `ob_version`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum Statuses {
    /// The same statuses whatever the version.
    Always(Vec<String>),
    /// One list per version segment of the paths (`v3.1`, `v4.0`).
    ByObVersion(BTreeMap<String, Vec<String>>),
}

impl Default for Statuses {
    fn default() -> Self {
        Statuses::Always(Vec::new())
    }
}

impl Statuses {
    /// The statuses under `ob_version`, or the versions the suite does name.
    pub fn for_version(&self, ob_version: &str) -> Result<&[String], Vec<String>> {
        match self {
            Statuses::Always(list) => Ok(list),
            Statuses::ByObVersion(by) => by
                .get(ob_version)
                .map(Vec::as_slice)
                .ok_or_else(|| by.keys().cloned().collect()),
        }
    }
}

/// An account resource below `/accounts/{AccountId}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountResource {
    /// `/balances`
    Balances,
    /// `/transactions`
    Transactions,
}

impl AccountResource {
    /// The path segment.
    pub fn path(self) -> &'static str {
        match self {
            AccountResource::Balances => "balances",
            AccountResource::Transactions => "transactions",
        }
    }
}

fn both_resources() -> Vec<AccountResource> {
    vec![AccountResource::Balances, AccountResource::Transactions]
}

/// `accounts:` — list the PSU's accounts with `token.access_token`, then
/// read each account's balances and transactions; resources the consent
/// does not cover must be refused.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountsStep {
    /// Stage name in reports.
    pub stage: Option<String>,
    /// Base URL of the account API, e.g. `{{ target.api_base }}/open-banking/v3.1/aisp`.
    pub url: Template,
    /// Bearer token (default `{{ token.access_token }}`).
    pub token: Option<Template>,
    /// Extra headers (placeholders filled).
    #[serde(default)]
    pub headers: BTreeMap<String, Template>,
    /// What to read for each account (default both).
    #[serde(default = "both_resources")]
    pub read: Vec<AccountResource>,
    /// What the consent does not cover: each must be refused with 403.
    #[serde(default)]
    pub forbidden: Vec<AccountResource>,
    /// Read at most this many accounts in detail (default 3).
    pub max_accounts: Option<usize>,
}

/// The kind of intent a `consent:` step creates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConsentKind {
    /// OBIE `account-access-consents`: unsigned; captures `consent_id`.
    ObieAccounts,
    /// OBIE `domestic-payment-consents`: OBIE-signed; captures `consent_id`.
    ObiePayment,
    /// OP `sepa-payments`: plain-signed; captures `authorization_id` and `payment_id`.
    OpPayment,
}

impl ConsentKind {
    /// What a consent step of this kind captures: (name, JSONPath), the
    /// intent's id first.
    pub fn captures(self) -> &'static [(&'static str, &'static str)] {
        match self {
            ConsentKind::ObieAccounts | ConsentKind::ObiePayment => {
                &[("consent_id", "$.Data.ConsentId")]
            }
            ConsentKind::OpPayment => &[
                ("authorization_id", "$.authorizationId"),
                ("payment_id", "$.paymentId"),
            ],
        }
    }

    /// The name and JSONPath of the intent's id.
    pub fn id(self) -> (&'static str, &'static str) {
        match self {
            ConsentKind::OpPayment => ("authorization_id", "$.authorizationId"),
            _ => ("consent_id", "$.Data.ConsentId"),
        }
    }

    /// Where the intent's status is, and the status of an intent that
    /// awaits the PSU's authorisation. OBIE v4.0 names it by its ISO 20022
    /// style code (`AWAU`); `ob_version` is the profile's (`v3.1`, `v4.0`).
    pub fn awaiting(self, ob_version: &str) -> (&'static str, &'static str) {
        match self {
            ConsentKind::OpPayment => ("$.status", "Unauthorized"),
            _ if ob_major(ob_version).is_some_and(|m| m >= 4) => ("$.Data.Status", "AWAU"),
            _ => ("$.Data.Status", "AwaitingAuthorisation"),
        }
    }
}

/// The major version of an Open Banking UK version segment (`v4.0` → 4).
fn ob_major(ob_version: &str) -> Option<u32> {
    ob_version
        .strip_prefix('v')
        .and_then(|v| v.split('.').next())
        .and_then(|m| m.parse().ok())
}

/// `consent:` — POST the intent with the client's token, judge that it
/// awaits authorisation, and capture its id for the authorization's claims.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsentStep {
    /// Stage name in reports.
    pub stage: Option<String>,
    /// Which intent.
    pub kind: ConsentKind,
    /// Where to POST it (placeholders filled).
    pub url: Template,
    /// The client whose key signs the body (default: the target's client).
    pub client: Option<ClientRole>,
    /// Bearer token (default `{{ token.access_token }}`).
    pub token: Option<Template>,
    /// The intent (placeholders filled).
    pub json: JsonTemplate,
    /// Signing (default by kind).
    pub sign: Option<Signing>,
    /// Extra headers (placeholders filled).
    #[serde(default)]
    pub headers: BTreeMap<String, Template>,
    /// Further values to keep: name → source.
    #[serde(default)]
    pub capture: BTreeMap<String, Capture>,
}

#[cfg(test)]
mod tests {
    use super::{ConsentKind, Statuses};

    #[test]
    fn statuses_are_one_list_or_one_per_open_banking_version() {
        let one: Statuses = serde_saphyr::from_str("[A, B]").unwrap();
        assert_eq!(one.for_version("v4.0").unwrap(), ["A", "B"]);
        let by: Statuses =
            serde_saphyr::from_str("{ v3.1: [AcceptedSettlementCompleted], v4.0: [ACSC] }")
                .unwrap();
        assert_eq!(
            by.for_version("v3.1").unwrap(),
            ["AcceptedSettlementCompleted"]
        );
        assert_eq!(by.for_version("v4.0").unwrap(), ["ACSC"]);
        assert_eq!(by.for_version("v5.0").unwrap_err(), ["v3.1", "v4.0"]);
    }

    #[test]
    fn a_new_obie_consent_awaits_authorisation_in_its_versions_words() {
        let kind = ConsentKind::ObiePayment;
        assert_eq!(kind.awaiting("v3.1").1, "AwaitingAuthorisation");
        assert_eq!(kind.awaiting("v4.0").1, "AWAU");
        assert_eq!(kind.awaiting("v4.1").1, "AWAU");
        assert_eq!(kind.awaiting("3.1").1, "AwaitingAuthorisation");
        assert_eq!(ConsentKind::OpPayment.awaiting("v4.0").1, "Unauthorized");
    }
}
