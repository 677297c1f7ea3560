//! The resolved target model.

use crate::http::{HttpSettings, TlsSettings};
use serde_saphyr::Spanned;
use std::collections::BTreeMap;

/// How the client authenticates at the token endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ClientAuthMethod {
    /// HTTP Basic with id and secret (RFC 6749 §2.3.1).
    ClientSecretBasic,
    /// id and secret in the form body.
    ClientSecretPost,
    /// A JWT signed with the client's private key (RFC 7523).
    PrivateKeyJwt,
    /// The mTLS client certificate (RFC 8705).
    TlsClientAuth,
    /// A public client (PKCE only).
    None,
}

/// Who a client assertion (RFC 7523) is addressed to: its `aud`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ClientAssertionAudience {
    /// The issuer identifier, as FAPI 2 requires; the default.
    #[default]
    Issuer,
    /// The token endpoint URL, which RFC 7523 §3 allows and some servers demand.
    TokenEndpoint,
    /// The URL of the endpoint being called (token, PAR, CIBA).
    Endpoint,
}

/// How access tokens are bound to the client (FAPI 2.0 SP §5.3.2.1: one of
/// these is shall; plain OAuth has none).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SenderConstraint {
    /// Bearer tokens.
    #[default]
    None,
    /// Certificate-bound tokens over mutual TLS (RFC 8705 §3).
    Mtls,
    /// DPoP proofs with token and resource requests (RFC 9449).
    Dpop,
}

/// How an authorization request is carried when a scenario does not pin it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestStyle {
    /// Query parameters.
    #[default]
    Plain,
    /// A signed request object by value (OIDC Core §6.1, RFC 9101).
    RequestObject,
    /// Pushed parameters (RFC 9126).
    Par,
    /// A signed request object, pushed (FAPI 2.0 Message Signing).
    ParRequestObject,
}

/// How the authorization response travels back (`response_mode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ResponseMode {
    /// In the query of the redirect (RFC 6749 §4.1.2).
    Query,
    /// In the fragment (OAuth 2.0 Multiple Response Types §2).
    Fragment,
    /// An HTML form the browser posts to the redirect URI (OAuth 2.0 Form
    /// Post Response Mode).
    FormPost,
    /// A signed JWT in `response` (JARM), in the response type's default place.
    Jwt,
}

impl ResponseMode {
    /// The `response_mode` parameter value.
    pub fn name(self) -> &'static str {
        match self {
            ResponseMode::Query => "query",
            ResponseMode::Fragment => "fragment",
            ResponseMode::FormPost => "form_post",
            ResponseMode::Jwt => "jwt",
        }
    }
}

/// The certification suite's variants, chosen once per target: scenarios
/// are written once and run the way the profile says, unless a scenario
/// pins its own (a PAR negative test always pushes).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Variant {
    /// The default client's token endpoint authentication, over its
    /// `auth_method`.
    pub client_auth: Option<ClientAuthMethod>,
    /// Sender-constrained tokens.
    pub sender_constraint: SenderConstraint,
    /// The carriage of authorization requests.
    pub request_style: RequestStyle,
    /// The `response_mode` sent; unset, none is sent (the server's default).
    pub response_mode: Option<ResponseMode>,
    /// Whether the profile wrote a `variant:` (then plans check it).
    pub declared: bool,
}

impl Variant {
    /// `client_auth=private_key_jwt, sender_constraint=dpop, …` for reports.
    pub fn describe(&self, client: &ClientProfile) -> String {
        format!(
            "client_auth={}, sender_constraint={}, request_style={}, response_mode={}",
            snake(&client.auth_method),
            snake(&self.sender_constraint),
            snake(&self.request_style),
            self.response_mode.map_or("default", ResponseMode::name)
        )
    }
}

/// The snake_case name a profile writes for a setting.
pub fn snake<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// A client's private signing key, parsed once.
#[derive(Debug, Clone)]
pub struct ClientKey {
    /// The private JWK.
    pub jwk: josekit::jwk::Jwk,
    /// Key id put in JWS headers.
    pub kid: String,
    /// JWS alg used with it (PS256, ES256, RS256 …).
    pub alg: String,
}

/// The OAuth client probity acts as.
#[derive(Debug, Clone)]
pub struct ClientProfile {
    /// `client_id`.
    pub id: String,
    /// Token endpoint authentication.
    pub auth_method: ClientAuthMethod,
    /// Client secret, for the `client_secret_*` methods.
    pub secret: Option<String>,
    /// Redirect URI registered for the client.
    pub redirect_uri: Option<String>,
    /// Signing key for client assertions and request objects.
    pub key: Option<ClientKey>,
    /// The `aud` of its client assertions: the client's own setting, else
    /// the profile's `client_assertion_audience`, else the issuer.
    pub assertion_audience: ClientAssertionAudience,
}

/// How PSU consent is obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ConsentDriver {
    /// GET the consent URL; the code is in the 302 `Location` (Ozone headless).
    Redirect,
    /// Follow redirects with a cookie jar and submit login and consent forms.
    Form,
    /// Print the URL for a person (or run the `open` command with it) and
    /// listen on the loopback redirect URI for the callback (RFC 8252 §7.3).
    Manual,
    /// Drive Debian's headless Chromium through WebDriver with the
    /// profile's page scripts, for pages that need JavaScript or iframes.
    Browser,
}

/// One action of a browser page script. Selectors carry their place in the
/// YAML so that a bad one is reported there, at load.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum PageAction {
    /// Type `value` into the element (its content is cleared first).
    Fill(FieldValue),
    /// Choose the `<option>` whose value is `value`.
    Select(FieldValue),
    /// Click the element.
    Click(Spanned<String>),
    /// Wait until an element matches the selector.
    WaitFor(Spanned<String>),
    /// Wait until the page URL contains this text.
    WaitForUrl(String),
    /// Switch into the iframe the selector names; the following actions act
    /// inside it (each page script starts in the top document).
    Frame(Spanned<String>),
}

/// A selector and the value a `fill` or `select` gives it.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldValue {
    /// CSS selector.
    pub selector: Spanned<String>,
    /// The value (`${env:NAME}` resolved at load).
    pub value: String,
}

impl PageAction {
    /// The action's name as a profile writes it.
    pub fn name(&self) -> &'static str {
        match self {
            PageAction::Fill(_) => "fill",
            PageAction::Select(_) => "select",
            PageAction::Click(_) => "click",
            PageAction::WaitFor(_) => "wait_for",
            PageAction::WaitForUrl(_) => "wait_for_url",
            PageAction::Frame(_) => "frame",
        }
    }

    /// The CSS selector the action uses, if any.
    pub fn selector(&self) -> Option<&Spanned<String>> {
        match self {
            PageAction::Fill(f) | PageAction::Select(f) => Some(&f.selector),
            PageAction::Click(s) | PageAction::WaitFor(s) | PageAction::Frame(s) => Some(s),
            PageAction::WaitForUrl(_) => None,
        }
    }
}

/// What the browser driver does on one kind of page: recognised by URL
/// and an element, then a short list of actions.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PageScript {
    /// Shown in reports and errors (`login`, `consent` …). A page named
    /// `consent` counts as the consent prompt (`expect_consent_prompt`).
    pub name: Spanned<String>,
    /// The page is this one when its URL contains this text …
    #[serde(default)]
    pub url_contains: Option<String>,
    /// … and an element matches this selector (in the top document).
    #[serde(default)]
    pub detect: Option<Spanned<String>>,
    /// Only when the PSU decides so (`when: denies`: the script that
    /// cancels); unset, whatever the PSU decides.
    #[serde(default)]
    pub when: Option<PsuDecision>,
    /// What to do there, in order.
    pub actions: Vec<PageAction>,
}

/// What the PSU of a scenario does on the consent page.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PsuDecision {
    /// Approves (the default).
    #[default]
    Approves,
    /// Denies or cancels: the client should get `access_denied`.
    Denies,
}

/// The scripts for a PSU who decides `decision`: those made for that
/// decision first, then those for any decision.
pub fn scripts_for(pages: &[PageScript], decision: PsuDecision) -> Vec<PageScript> {
    let mine = pages.iter().filter(|p| p.when == Some(decision));
    let any = pages.iter().filter(|p| p.when.is_none());
    mine.chain(any).cloned().collect()
}

impl PageScript {
    /// Whether the page is the consent prompt.
    pub fn is_consent(&self) -> bool {
        self.name.value == "consent"
    }
}

/// Settings of the manual driver.
#[derive(Debug, Clone)]
pub struct ManualSettings {
    /// How long to wait for the callback.
    pub timeout: std::time::Duration,
    /// A command to open the URL with (the URL is appended), e.g. `[xdg-open]`.
    pub open: Vec<String>,
}

impl Default for ManualSettings {
    fn default() -> Self {
        ManualSettings {
            timeout: std::time::Duration::from_secs(300),
            open: vec![],
        }
    }
}

/// How the form driver recognises and fills one kind of page.
#[derive(Debug, Clone, Default)]
pub struct FormPage {
    /// The page is this kind when its URL contains this text …
    pub url_contains: Option<String>,
    /// … and it has an element matching `detect` (default: the `form` selector).
    pub detect: Option<String>,
    /// CSS selector of the form to fill and submit.
    pub form: String,
    /// Fields to fill (name → value).
    pub fields: BTreeMap<String, String>,
}

/// Consent driver settings.
#[derive(Debug, Clone)]
pub struct ConsentSettings {
    /// The default driver (steps may override it).
    pub driver: ConsentDriver,
    /// The login page, for the form driver.
    pub login: Option<FormPage>,
    /// The consent page, for the form driver.
    pub consent: Option<FormPage>,
    /// Redirects followed before giving up (loop protection).
    pub max_redirects: usize,
    /// The manual driver's timeout and open command.
    pub manual: ManualSettings,
    /// The browser driver's page scripts, tried in order on every page.
    pub pages: Vec<PageScript>,
    /// How long the browser driver waits for an element, a URL or a page
    /// its scripts know.
    pub browser_timeout: std::time::Duration,
}

impl Default for ConsentSettings {
    fn default() -> Self {
        ConsentSettings {
            driver: ConsentDriver::Redirect,
            login: None,
            consent: None,
            max_redirects: 10,
            manual: ManualSettings::default(),
            pages: vec![],
            browser_timeout: std::time::Duration::from_secs(10),
        }
    }
}

/// A resolved target: everything a run needs to reach the ASPSP.
#[derive(Debug, Clone)]
pub struct Target {
    /// Display name.
    pub name: String,
    /// The issuer identifier.
    pub issuer: String,
    /// Where the provider configuration is fetched.
    pub discovery_url: String,
    /// Base URL of the resource APIs (payments, accounts), when they live on
    /// another host than the issuer (as OP's `mtls-apis`); else the issuer.
    pub api_base: String,
    /// The default client.
    pub client: ClientProfile,
    /// Further clients by name, for steps that say `client: NAME`.
    pub clients: BTreeMap<String, ClientProfile>,
    /// Consent driver settings.
    pub consent: ConsentSettings,
    /// TLS trust and identity.
    pub tls: TlsSettings,
    /// Timeouts and limits.
    pub http: HttpSettings,
    /// OpenAPI files whose operations' bodies are validated, if named.
    pub openapi: Option<std::sync::Arc<crate::openapi::SchemaBook>>,
    /// What the shipped suites ask for on this target (scopes, login hints).
    pub values: ScenarioValues,
    /// The plans `probity run --target` runs when none is named.
    pub plans: Vec<String>,
    /// How scenarios that do not pin their own style are run.
    pub variant: Variant,
    /// Form field and JSON member names whose values are always redacted,
    /// besides the built-in ones (`secret_fields: [otp, memorable_word]`).
    pub secret_fields: Vec<String>,
}

/// Values the shipped suites take from the profile instead of assuming one
/// bank's conventions (`values:` in the profile; templates name them as
/// `{{ target.scope }}` …). A scenario that needs a value the profile does not
/// set is SKIPPED with the value named.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScenarioValues {
    /// The scope of authorization requests (default `openid`).
    pub scope: String,
    /// The scope of client-credentials grants (default empty: no `scope`
    /// is sent).
    pub resource_scope: String,
    /// A CIBA `login_hint` the ASPSP approves.
    pub login_hint: Option<String>,
    /// A CIBA `login_hint` the ASPSP denies (`access_denied`).
    pub login_hint_denied: Option<String>,
    /// A CIBA `login_hint` whose request the ASPSP lets expire.
    pub login_hint_expired: Option<String>,
    /// The Open Banking UK API version in paths (`v3.1`, `v4.0`; default
    /// `v3.1`): `{{ target.ob_base }}` is `{api_base}/open-banking/{ob_version}`.
    pub ob_version: String,
    /// The `x-fapi-financial-id` the ASPSP wants, if any (default: none,
    /// and a header whose value is empty is not sent).
    pub financial_id: String,
}

impl Default for ScenarioValues {
    fn default() -> Self {
        ScenarioValues {
            scope: "openid".into(),
            resource_scope: String::new(),
            login_hint: None,
            login_hint_denied: None,
            login_hint_expired: None,
            ob_version: "v3.1".into(),
            financial_id: String::new(),
        }
    }
}

/// What every output of a run against an `insecure_http: true` target says
/// first: such results are no conformance evidence.
pub const DEVELOPMENT_NOTICE: &str = "DEVELOPMENT TARGET: plain http (`insecure_http: true`) on a loopback host; these results are not certifiable and are no conformance evidence";

/// Whether a login or consent form field holds a secret, by its name
/// (`Input.Password`, `pwd`, `pin`, `otp`, `passcode`, `secret`, `token`).
pub fn is_secret_field(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    ["pass", "pwd", "pin", "otp", "secret", "token", "code"]
        .iter()
        .any(|s| n.contains(s))
}

impl Target {
    /// Whether the profile says `insecure_http: true`: a development
    /// target on a loopback host, reached over plain http.
    pub fn insecure_http(&self) -> bool {
        self.http.insecure_http
    }

    /// Whether a form field holds a secret by its name: a built-in pattern
    /// or one of the profile's `secret_fields`.
    pub fn is_secret_field(&self, name: &str) -> bool {
        is_secret_field(name) || self.secret_fields.iter().any(|f| f == name)
    }

    /// The redactor of this target's reports: its literal secrets and its
    /// `secret_fields` masked (the built-in names always are).
    pub fn redactor(&self) -> crate::http::redact::Redactor {
        crate::http::redact::Redactor::new(self.secrets())
            .with_fields(self.secret_fields.iter().cloned())
    }

    /// Literal secrets that reports must mask wherever they appear: client
    /// secrets and the values of form fields the driver fills that are
    /// secrets by name (passwords, the profile's `secret_fields`).
    pub fn secrets(&self) -> Vec<String> {
        let mut out: Vec<String> = std::iter::once(&self.client)
            .chain(self.clients.values())
            .filter_map(|c| c.secret.clone())
            .collect();
        for page in [&self.consent.login, &self.consent.consent]
            .into_iter()
            .flatten()
        {
            out.extend(
                page.fields
                    .iter()
                    .filter(|(k, _)| self.is_secret_field(k))
                    .map(|(_, v)| v.clone()),
            );
        }
        out.extend(secret_fills(&self.consent.pages, |n| {
            self.is_secret_field(n)
        }));
        out
    }

    /// The discovery URL derived from an issuer (OIDC Discovery §4).
    pub fn discovery_url_for(issuer: &str) -> String {
        format!(
            "{}/.well-known/openid-configuration",
            issuer.trim_end_matches('/')
        )
    }

    /// The names of the profile's further clients (`clients:`), the roles
    /// steps may name besides `default`.
    pub fn roles(&self) -> Vec<String> {
        self.clients.keys().cloned().collect()
    }

    /// The default client, or a named one; the error lists the names.
    pub fn client_named(&self, name: Option<&str>) -> Result<&ClientProfile, UnknownClient> {
        match name {
            None | Some("default") => Ok(&self.client),
            Some(n) => self.clients.get(n).ok_or_else(|| UnknownClient {
                name: n.to_string(),
                known: self.clients.keys().cloned().collect(),
            }),
        }
    }
}

/// A client role the profile does not define.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the target has no client `{name}`; it has: default{}", .known.iter().map(|k| format!(", {k}")).collect::<String>())]
pub struct UnknownClient {
    /// The role asked for.
    pub name: String,
    /// The roles it does define besides `default`.
    pub known: Vec<String>,
}

/// A skip reason names the missing role in words.
impl From<UnknownClient> for String {
    fn from(e: UnknownClient) -> String {
        e.to_string()
    }
}

/// The values page scripts type into fields whose selector names a secret
/// (`input[name=password]`, `#pin`): masked everywhere, like a form
/// driver's password. A field the page marks `type="password"` is learned
/// when the browser fills it, whatever its selector says.
pub fn secret_fills(pages: &[PageScript], is_secret: impl Fn(&str) -> bool) -> Vec<String> {
    pages
        .iter()
        .flat_map(|p| &p.actions)
        .filter_map(|a| match a {
            PageAction::Fill(f) if is_secret(&f.selector.value) => Some(f.value.clone()),
            _ => None,
        })
        .collect()
}
