//! What the steps of one scenario hand each other, typed.
//!
//! Each step kind writes its own part (`discovery`, `authorization`,
//! `tokens`, …) and reads the parts of earlier steps; the suite's
//! `{{ name }}` placeholders read the same state through [`Values`], so
//! named values exist only for templates and user captures.

use crate::expr::{AuthorizeField, Ref, TargetField, Template, TokenField, Values};
use crate::target::Target;
use serde_json::{Map, Value};
use std::borrow::Cow;
use std::collections::BTreeMap;

/// The provider configuration and its keys.
#[derive(Debug, Clone, Default)]
pub struct Discovery {
    /// The metadata document.
    pub metadata: Map<String, Value>,
    /// The keys of its JWKS, once fetched.
    pub jwks: Vec<Map<String, Value>>,
    /// Whether the JWKS was fetched (it may hold no key at all).
    pub jwks_fetched: bool,
}

impl Discovery {
    /// A metadata member that is a string (an endpoint, the issuer, …).
    pub fn endpoint(&self, member: &str) -> Option<&str> {
        self.metadata.get(member).and_then(Value::as_str)
    }
}

/// The last authorization request and its answer.
#[derive(Debug, Clone, Default)]
pub struct Authorization {
    /// The client it was made for.
    pub client_id: String,
    /// `response_type` sent.
    pub response_type: String,
    /// `scope` sent.
    pub scope: String,
    /// `redirect_uri` sent.
    pub redirect_uri: String,
    /// `state` sent, if any.
    pub state: Option<String>,
    /// `nonce` sent, if any.
    pub nonce: Option<String>,
    /// The PKCE `code_verifier`, if any.
    pub code_verifier: Option<String>,
    /// `max_age` sent, if any.
    pub max_age: Option<i64>,
    /// `authorization_details` sent (RFC 9396), if any.
    pub details: Option<Value>,
    /// The `claims` parameter sent, if any (OIDC Core §5.5).
    pub claims: Option<Value>,
    /// The `request_uri` the PAR endpoint returned, if pushed.
    pub request_uri: Option<String>,
    /// When that `request_uri` expires, by the PAR response's `expires_in`.
    pub request_uri_expires: Option<std::time::Instant>,
    /// From the callback: `code`.
    pub code: Option<String>,
    /// From the callback: a front-channel `id_token`.
    pub id_token: Option<String>,
    /// From the callback: `iss`.
    pub iss: Option<String>,
}

/// The last successful token response.
#[derive(Debug, Clone, Default)]
pub struct Tokens {
    /// `access_token`.
    pub access_token: Option<String>,
    /// `refresh_token`.
    pub refresh_token: Option<String>,
    /// `id_token`.
    pub id_token: Option<String>,
    /// `scope`.
    pub scope: Option<String>,
    /// `token_type` (`Bearer`, or `DPoP` for a DPoP-bound token).
    pub token_type: Option<String>,
}

impl Tokens {
    /// Whether the access token is DPoP-bound (RFC 9449 §5).
    pub fn dpop_bound(&self) -> bool {
        self.token_type
            .as_deref()
            .is_some_and(|t| t.eq_ignore_ascii_case("dpop"))
    }
}

#[derive(Debug, Clone, Default)]
struct TargetValues {
    issuer: String,
    client_id: String,
    api_base: String,
    /// `{api_base}/open-banking/{ob_version}`.
    ob_base: String,
    values: crate::target::ScenarioValues,
}

/// The shared state of one scenario.
#[derive(Debug, Default)]
pub struct ScenarioState {
    /// `target.*`: the profile's values templates may name.
    target: TargetValues,
    /// Set by a discovery step.
    pub discovery: Option<Discovery>,
    /// Set by an authorize step.
    pub authorization: Option<Authorization>,
    /// Set by token, client credentials and decoupled steps.
    pub tokens: Tokens,
    /// The last client assertion sent, for a replay.
    pub last_client_assertion: Option<String>,
    /// `sub` of the last validated ID token.
    pub id_token_sub: Option<String>,
    /// `auth_time` of the last validated ID token.
    pub id_token_auth_time: Option<i64>,
    /// Values captured by name (suite captures, consent ids).
    pub captures: BTreeMap<String, String>,
    /// The scenario's DPoP key, made when first needed.
    pub dpop_key: Option<crate::jose::dpop::DpopKey>,
    /// Why the scenario ended early with nothing left to judge: the server
    /// refused a request the scenario allows it to refuse.
    pub ended: Option<String>,
    /// A second DPoP key, for proofs by the wrong key.
    pub other_dpop_key: Option<crate::jose::dpop::DpopKey>,
    /// The DPoP nonce each server last supplied (RFC 9449 §8, §9), by
    /// server: the authorization server, or a resource server's origin.
    pub dpop_nonces: BTreeMap<String, String>,
    /// The servers that demanded a nonce (`use_dpop_nonce`): only they must
    /// refuse a nonce they never supplied.
    pub dpop_nonce_demanded: std::collections::BTreeSet<String>,
    /// Why the scenario cannot apply to this target, found by a step (the
    /// server never demanded the DPoP nonce a negative test needs): the
    /// scenario becomes SKIPPED with it.
    pub not_applicable: Option<String>,
    /// The scenario's browser context (the `browser` consent driver),
    /// opened at its first use: its cookies are the scenario's.
    pub browser: Option<crate::steps::BrowserContext>,
    /// The run's browsers, where that context is opened.
    pub browsers: std::sync::Arc<crate::steps::Browsers>,
}

impl ScenarioState {
    /// A fresh state for a scenario against `target`.
    pub fn new(target: &Target) -> Self {
        ScenarioState {
            target: TargetValues {
                issuer: target.issuer.clone(),
                client_id: target.client.id.clone(),
                api_base: target.api_base.clone(),
                ob_base: format!(
                    "{}/open-banking/{}",
                    target.api_base.trim_end_matches('/'),
                    target.values.ob_version
                ),
                values: target.values.clone(),
            },
            ..Default::default()
        }
    }

    /// The profile's Open Banking UK API version (`v3.1`, `v4.0`).
    pub fn ob_version(&self) -> &str {
        &self.target.values.ob_version
    }

    /// Closes the scenario's browser context, if one was opened.
    pub async fn close_browser(&mut self) {
        if let Some(b) = self.browser.take() {
            b.close().await;
        }
    }

    /// The keys of the JWKS the discovery step fetched.
    pub fn jwks(&self) -> &[Map<String, Value>] {
        self.discovery.as_ref().map_or(&[], |d| &d.jwks)
    }

    /// A string member of the provider metadata, or why there is none.
    pub fn endpoint(&self, member: &str) -> Result<String, String> {
        let Some(d) = &self.discovery else {
            return Err(format!("no `{member}`: the discovery step did not succeed"));
        };
        d.endpoint(member)
            .map(str::to_string)
            .ok_or_else(|| format!("the provider metadata has no `{member}`"))
    }

    /// The access token of the last token response, or why there is none.
    pub fn access_token(&self) -> Result<String, String> {
        self.tokens
            .access_token
            .clone()
            .ok_or_else(|| "no access token: the step that obtains one did not succeed".into())
    }

    /// A step's `token:`, filled, or else the last access token.
    pub fn bearer(&self, token: &Option<Template>) -> Result<String, String> {
        match token {
            Some(t) => Ok(t.render(self)?),
            None => self.access_token(),
        }
    }

    /// A second DPoP key, made on first use: proofs by the wrong key.
    pub fn other_dpop_key(&mut self) -> Result<&crate::jose::dpop::DpopKey, String> {
        if self.other_dpop_key.is_none() {
            let key = crate::jose::dpop::DpopKey::generate().map_err(|e| e.to_string())?;
            self.other_dpop_key = Some(key);
        }
        self.other_dpop_key
            .as_ref()
            .ok_or_else(|| "no second DPoP key".to_string())
    }

    /// The scenario's DPoP key, generated on first use: one per scenario,
    /// so a bound token never crosses scenarios.
    pub fn dpop_key(&mut self) -> Result<&crate::jose::dpop::DpopKey, String> {
        if self.dpop_key.is_none() {
            let key = crate::jose::dpop::DpopKey::generate().map_err(|e| e.to_string())?;
            self.dpop_key = Some(key);
        }
        self.dpop_key
            .as_ref()
            .ok_or_else(|| "no DPoP key".to_string())
    }

    /// A step's extra headers, filled, with lower-case names.
    pub fn headers(
        &self,
        headers: &BTreeMap<String, Template>,
    ) -> Result<Vec<(String, String)>, String> {
        // A header whose value is empty (an unset `target.financial_id`) is
        // not sent.
        let mut out = Vec::new();
        for (k, v) in headers {
            let value = v.render(self)?;
            if !value.is_empty() {
                out.push((k.to_ascii_lowercase(), value));
            }
        }
        Ok(out)
    }
}

fn non_empty(s: &Option<String>) -> Option<Cow<'_, str>> {
    s.as_deref().filter(|s| !s.is_empty()).map(Cow::Borrowed)
}

impl Values for ScenarioState {
    fn value(&self, r: &Ref) -> Option<Cow<'_, str>> {
        match r {
            Ref::Target(t) => target_value(&self.target, *t).map(Cow::Borrowed),
            Ref::Discovery(m) => match self.discovery.as_ref()?.metadata.get(m)? {
                Value::String(s) => Some(Cow::Borrowed(s.as_str())),
                Value::Bool(b) => Some(Cow::Owned(b.to_string())),
                Value::Number(n) => Some(Cow::Owned(n.to_string())),
                // A list of strings, space-separated as OAuth lists are
                // (`acr_values`, `scope`); an empty list is no value.
                Value::Array(items) if !items.is_empty() => items
                    .iter()
                    .map(|v| v.as_str())
                    .collect::<Option<Vec<_>>>()
                    .map(|v| Cow::Owned(v.join(" "))),
                _ => None,
            },
            Ref::Authorize(f) => authorize_value(self.authorization.as_ref()?, *f),
            Ref::Token(f) => non_empty(match f {
                TokenField::AccessToken => &self.tokens.access_token,
                TokenField::RefreshToken => &self.tokens.refresh_token,
                TokenField::IdToken => &self.tokens.id_token,
                TokenField::Scope => &self.tokens.scope,
            }),
            Ref::IdTokenSub => non_empty(&self.id_token_sub),
            Ref::Capture(name) => self.captures.get(name).map(|s| Cow::Borrowed(s.as_str())),
        }
    }
}

/// A profile value; `None` for an optional one the profile does not set.
fn target_value(t: &TargetValues, f: TargetField) -> Option<&str> {
    let v = &t.values;
    match f {
        TargetField::Issuer => Some(&t.issuer),
        TargetField::ClientId => Some(&t.client_id),
        TargetField::ApiBase => Some(&t.api_base),
        TargetField::Scope => Some(&v.scope),
        TargetField::ResourceScope => Some(&v.resource_scope),
        TargetField::LoginHint => v.login_hint.as_deref(),
        TargetField::LoginHintDenied => v.login_hint_denied.as_deref(),
        TargetField::LoginHintExpired => v.login_hint_expired.as_deref(),
        TargetField::ObBase => Some(&t.ob_base),
        TargetField::FinancialId => Some(&v.financial_id),
    }
}

/// Whether the profile sets the value a template names.
pub fn target_has(target: &Target, f: TargetField) -> bool {
    let t = TargetValues {
        values: target.values.clone(),
        ..Default::default()
    };
    target_value(&t, f).is_some()
}

fn authorize_value(a: &Authorization, f: AuthorizeField) -> Option<Cow<'_, str>> {
    let plain = |s: &str| Some(Cow::Owned(s.to_string()));
    match f {
        AuthorizeField::Code => non_empty(&a.code),
        AuthorizeField::State => non_empty(&a.state),
        AuthorizeField::Nonce => non_empty(&a.nonce),
        AuthorizeField::CodeVerifier => non_empty(&a.code_verifier),
        AuthorizeField::IdToken => non_empty(&a.id_token),
        AuthorizeField::Iss => non_empty(&a.iss),
        AuthorizeField::RequestUri => non_empty(&a.request_uri),
        AuthorizeField::Scope => plain(&a.scope),
        AuthorizeField::RedirectUri => plain(&a.redirect_uri),
        AuthorizeField::ClientId => plain(&a.client_id),
    }
}
