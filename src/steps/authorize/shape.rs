//! The YAML shape of `authorize`, and what it needs, provides, requires and
//! decides.

use super::super::client_auth::AssertionOverrides;
use super::super::dpop::DpopProof;
use super::super::kind::{client_of, ClientRole, DpopUse, Facts, Kind, Need, Provided};
use super::super::requirements::{detail_types, Requirements};
use super::super::shapes::{yes, ExpectedError};
use super::super::{Outcome, StepContext};
use crate::expr::{JsonTemplate, Template};
use crate::target::{ClientProfile, RequestStyle, ResponseMode, Target};
use crate::ConfigError;
use serde::Deserialize;
use serde_saphyr::Location;
use std::collections::BTreeMap;
use std::path::Path;

/// A registered OAuth response type (RFC 6749 §3.1.1, OAuth 2.0 Multiple
/// Response Type Encoding Practices §5).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
pub enum ResponseType {
    /// `code`.
    #[default]
    #[serde(rename = "code")]
    Code,
    /// `code id_token`: the hybrid flow with a front-channel ID token.
    #[serde(rename = "code id_token")]
    CodeIdToken,
    /// `code token`.
    #[serde(rename = "code token")]
    CodeToken,
    /// `code id_token token`.
    #[serde(rename = "code id_token token")]
    CodeIdTokenToken,
    /// `id_token`.
    #[serde(rename = "id_token")]
    IdToken,
    /// `id_token token`.
    #[serde(rename = "id_token token")]
    IdTokenToken,
    /// `token`: the implicit grant.
    #[serde(rename = "token")]
    Token,
    /// `none`.
    #[serde(rename = "none")]
    None,
}

impl ResponseType {
    /// As sent.
    pub fn name(self) -> &'static str {
        match self {
            ResponseType::Code => "code",
            ResponseType::CodeIdToken => "code id_token",
            ResponseType::CodeToken => "code token",
            ResponseType::CodeIdTokenToken => "code id_token token",
            ResponseType::IdToken => "id_token",
            ResponseType::IdTokenToken => "id_token token",
            ResponseType::Token => "token",
            ResponseType::None => "none",
        }
    }

    /// Whether the authorization response carries an ID token.
    pub fn has_id_token(self) -> bool {
        self.name().split(' ').any(|t| t == "id_token")
    }
}

/// The PKCE `code_challenge_method` (RFC 7636 §4.3).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
pub enum CodeChallengeMethod {
    /// `S256`.
    #[default]
    S256,
    /// `plain`, which FAPI forbids.
    #[serde(rename = "plain")]
    Plain,
}

impl CodeChallengeMethod {
    /// As sent.
    pub fn name(self) -> &'static str {
        match self {
            CodeChallengeMethod::S256 => "S256",
            CodeChallengeMethod::Plain => "plain",
        }
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
    /// `code` (default), `code id_token`, or another registered response
    /// type (a server must refuse `token`).
    #[serde(default)]
    pub response_type: ResponseType,
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
    #[serde(default)]
    pub code_challenge_method: CodeChallengeMethod,
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
    /// The PAR client assertion is a few seconds ahead (clock skew): a
    /// refusal is a warning (`par.clock_skew_accepted`) that ends the
    /// scenario, as the OIDF module warns and finishes.
    #[serde(default)]
    pub clock_skew: bool,
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

/// An authorization request decided against the target.
#[derive(Debug, Clone)]
pub struct AuthorizeDecided {
    /// The client it is made for.
    pub client: ClientProfile,
    /// Whether it is pushed first (RFC 9126).
    pub par: bool,
    /// How it is carried.
    pub request_object: RequestObjectMode,
    /// The `response_mode` sent, if any.
    pub response_mode: Option<ResponseMode>,
}

impl AuthorizeStep {
    /// Whether the request is pushed, and how it is carried: the step's
    /// own settings, else the target's variant.
    fn carriage(&self, style: RequestStyle) -> (bool, RequestObjectMode) {
        let (par, object) = match style {
            RequestStyle::Plain => (false, RequestObjectMode::None),
            RequestStyle::RequestObject => (false, RequestObjectMode::Signed),
            RequestStyle::Par => (true, RequestObjectMode::None),
            RequestStyle::ParRequestObject => (true, RequestObjectMode::Signed),
        };
        (
            self.par.unwrap_or(par),
            self.request_object.unwrap_or(object),
        )
    }
}

impl Facts for AuthorizeStep {
    fn stage(&self) -> Option<&str> {
        self.stage.as_deref()
    }

    fn client(&self) -> Option<&ClientRole> {
        self.client.as_ref()
    }

    fn acts_as_client(&self) -> bool {
        true
    }

    fn templates(&self) -> Vec<&Template> {
        let mut out = vec![&self.scope];
        out.extend(self.params.values());
        out.extend(self.front_params.values());
        out.extend(self.claims.iter().flat_map(JsonTemplate::templates));
        out.extend(
            self.authorization_details
                .iter()
                .flat_map(JsonTemplate::templates),
        );
        out
    }

    fn needs(&self) -> Vec<(Need, &'static str)> {
        let mut n = vec![(Need::Discovery, "an authorization request")];
        if self.reuse_request_uri {
            n.push((Need::PushedRequest, "`reuse_request_uri`"));
        }
        n
    }

    fn provide(&self, provided: &mut Provided) {
        // A completed authorization starts a new grant: the earlier tokens
        // are cleared when it runs (see `run`).
        if !self.push_only {
            provided.remove(Need::Tokens);
        }
        provided.add(Need::Authorization);
        // Unset, the variant decides, and a PAR variant pushes.
        if self.par != Some(false) {
            provided.add(Need::PushedRequest);
        }
    }

    fn client_assertion(&self) -> Option<&AssertionOverrides> {
        self.client_assertion.as_ref()
    }

    fn expects_refusal(&self) -> bool {
        self.expect_error.is_some()
    }

    fn check(&mut self, path: &Path, _: &Location) -> Result<(), ConfigError> {
        match &mut self.pages {
            Some(pages) => crate::target::resolve_pages(path, pages),
            None => Ok(()),
        }
    }
}

impl Kind for AuthorizeStep {
    const STAGE: &'static str = "Authorization Code Flow";
    type Decided = AuthorizeDecided;

    fn decide(&self, target: &Target) -> Result<AuthorizeDecided, crate::target::UnknownClient> {
        let (par, request_object) = self.carriage(target.variant.request_style);
        Ok(AuthorizeDecided {
            client: client_of(target, &self.client)?,
            par,
            request_object,
            response_mode: self.response_mode.or(target.variant.response_mode),
        })
    }

    fn require(&self, d: &AuthorizeDecided, target: &Target, needs: &mut Requirements) {
        needs.scopes(Some(&self.scope), target, "the authorization request");
        let listed_only = self.claims_supported_only;
        for claim in self
            .claims
            .iter()
            .filter(|_| !listed_only)
            .flat_map(|c| c.member_names("id_token"))
        {
            let why = format!("the `claims` parameter asking for `{claim}`");
            needs.listed_if_any("claims_supported", claim, why);
        }
        if let Some(mode) = d.response_mode {
            let why = format!("`response_mode: {}`", mode.name());
            // RFC 8414 §2: an absent list means query and fragment.
            let defaults: &'static [&'static str] = &["query", "fragment"];
            needs.contains("response_modes_supported", mode.name(), defaults, &why);
        }
        let response_type = self.response_type.name();
        let why = format!("`response_type: {response_type}`");
        needs.contains("response_types_supported", response_type, &[], &why);
        if d.par || self.reuse_request_uri {
            needs.present(
                "pushed_authorization_request_endpoint",
                "`par: true` (RFC 9126)",
            );
        }
        if d.request_object != RequestObjectMode::None {
            needs.flag(
                "request_parameter_supported",
                "a request object (OIDC Core §6.1)",
            );
        }
        if d.request_object == RequestObjectMode::Unsigned {
            let why = "an unsigned request object (`alg: none`)";
            needs.contains(
                "request_object_signing_alg_values_supported",
                "none",
                &[],
                why,
            );
        }
        if self.claims.is_some() {
            needs.flag(
                "claims_parameter_supported",
                "the `claims` parameter (OIDC Core §5.5)",
            );
        }
        for t in detail_types(self.authorization_details.as_ref()) {
            let why = "`authorization_details` (RFC 9396)";
            needs.contains("authorization_details_types_supported", &t, &[], why);
        }
        if d.par {
            needs.token_auth(&d.client, "the pushed authorization request");
        }
    }

    fn dpop(&self, _: &AuthorizeDecided) -> DpopUse {
        // A proof on the pushed request means something only to a server
        // that supports DPoP, as a token request's does.
        let own = self.dpop.is_some_and(|p| p != DpopProof::Omitted);
        DpopUse { tested: own, own }
    }

    async fn run(&self, d: &AuthorizeDecided, stage: &str, ctx: &mut StepContext<'_>) -> Outcome {
        super::run(self, d, stage, ctx).await
    }
}
