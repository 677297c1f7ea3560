//! Loading a target profile: `${env:NAME}`, files relative to the profile,
//! keys parsed once, errors located in the YAML.

use super::files::{self, Half, MAX_KEY_FILE, MAX_OPENAPI_FILE};
use super::model::*;
use crate::http::{HttpSettings, TlsSettings};
use crate::openapi::SchemaBook;
use crate::yaml::{invalid, parse_yaml_syntax_first};
use crate::ConfigError;
use serde::Deserialize;
use serde_saphyr::Spanned;
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TargetFile {
    name: Option<String>,
    issuer: Spanned<String>,
    discovery_url: Option<Spanned<String>>,
    api_base: Option<Spanned<String>>,
    /// A development server on this machine over plain http.
    #[serde(default)]
    insecure_http: bool,
    /// The default `aud` of client assertions.
    #[serde(default)]
    client_assertion_audience: Option<ClientAssertionAudience>,
    client: ClientFile,
    #[serde(default)]
    clients: BTreeMap<String, ClientFile>,
    #[serde(default)]
    consent: Option<ConsentFile>,
    #[serde(default)]
    tls: TlsFile,
    #[serde(default)]
    http: HttpFile,
    #[serde(default)]
    openapi: Vec<Spanned<String>>,
    #[serde(default)]
    values: ValuesFile,
    #[serde(default)]
    plans: Vec<String>,
    #[serde(default)]
    variant: Option<Spanned<VariantFile>>,
    /// Extra form field and JSON member names to redact.
    #[serde(default)]
    secret_fields: Vec<Spanned<String>>,
}

/// `variant:`: how scenarios that do not pin their own style run.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct VariantFile {
    client_auth: Option<ClientAuthMethod>,
    #[serde(default)]
    sender_constraint: SenderConstraint,
    #[serde(default)]
    request_style: RequestStyle,
    response_mode: Option<ResponseMode>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ValuesFile {
    scope: Option<String>,
    resource_scope: Option<String>,
    login_hint: Option<String>,
    login_hint_denied: Option<String>,
    login_hint_expired: Option<String>,
    ob_version: Option<String>,
    financial_id: Option<String>,
}

impl ValuesFile {
    fn into_values(self) -> ScenarioValues {
        let defaults = ScenarioValues::default();
        ScenarioValues {
            scope: self.scope.unwrap_or(defaults.scope),
            resource_scope: self.resource_scope.unwrap_or_default(),
            login_hint: self.login_hint,
            login_hint_denied: self.login_hint_denied,
            login_hint_expired: self.login_hint_expired,
            ob_version: self.ob_version.unwrap_or(defaults.ob_version),
            financial_id: self.financial_id.unwrap_or_default(),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ClientFile {
    id: Spanned<String>,
    auth_method: ClientAuthMethod,
    secret: Option<Spanned<String>>,
    redirect_uri: Option<Spanned<String>>,
    signing_key: Option<Spanned<String>>,
    signing_alg: Option<String>,
    kid: Option<String>,
    client_assertion_audience: Option<ClientAssertionAudience>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConsentFile {
    driver: ConsentDriver,
    login: Option<PageFile>,
    consent: Option<PageFile>,
    max_redirects: Option<usize>,
    manual: Option<ManualFile>,
    /// The browser driver's page scripts.
    #[serde(default)]
    pages: Vec<PageScript>,
    /// The browser driver's wait, in seconds.
    browser_timeout_s: Option<u64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ManualFile {
    timeout_s: Option<u64>,
    #[serde(default)]
    open: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PageFile {
    url_contains: Option<String>,
    detect: Option<String>,
    form: String,
    #[serde(default)]
    fields: BTreeMap<String, Spanned<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct TlsFile {
    ca: Option<Spanned<String>>,
    client_cert: Option<Spanned<String>>,
    client_key: Option<Spanned<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct HttpFile {
    timeout_ms: Option<Spanned<u64>>,
    max_body_bytes: Option<Spanned<usize>>,
}

/// The longest exchange timeout a profile may ask for: an hour.
const MAX_TIMEOUT_MS: u64 = 60 * 60 * 1000;

/// The largest response body a profile may allow: 1 GiB.
const MAX_BODY_BYTES: usize = 1024 * 1024 * 1024;

/// Resolves `${env:…}` and reads files relative to the profile.
struct Resolver<'a> {
    path: &'a Path,
    base: &'a Path,
}

impl Resolver<'_> {
    fn env(&self, s: &Spanned<String>) -> Result<String, ConfigError> {
        interpolate_env(&s.value).map_err(|m| invalid(self.path, &s.referenced, m))
    }

    /// Reads the file named by the `key: value` at `s`, relative to the
    /// profile; errors say `key: value` and where it resolved to.
    fn read(&self, key: &str, s: &Spanned<String>, cap: u64) -> Result<String, ConfigError> {
        let file = self.base.join(self.env(s)?);
        files::read_capped(&file, cap)
            .map_err(|why| self.wrong(key, s, format!("{why} (looked at {})", file.display())))
    }

    /// An error about the file named by `key: value` at `s`.
    fn wrong(&self, key: &str, s: &Spanned<String>, why: String) -> ConfigError {
        invalid(
            self.path,
            &s.referenced,
            format!("`{key}: {}` {why}", s.value),
        )
    }

    /// Loads the named OpenAPI files (paths relative to the profile).
    fn openapi(&self, files: &[Spanned<String>]) -> Result<Option<Arc<SchemaBook>>, ConfigError> {
        let mut loaded = Vec::new();
        for f in files {
            let text = self.read("openapi", f, MAX_OPENAPI_FILE)?;
            let path = self.base.join(self.env(f)?);
            let api = crate::openapi::OpenApi::from_text(&path, &text)
                .map_err(|e| invalid(self.path, &f.referenced, e.to_string()))?;
            loaded.push(api);
        }
        Ok((!loaded.is_empty()).then(|| Arc::new(SchemaBook::new(loaded))))
    }

    /// Reads and checks the CA bundle and the mTLS identity.
    fn tls(&self, t: &TlsFile) -> Result<TlsSettings, ConfigError> {
        let ca_pem = match &t.ca {
            Some(s) => {
                let pem = self.read("ca", s, MAX_KEY_FILE)?;
                files::check_ca(&pem).map_err(|why| self.wrong("ca", s, why))?;
                Some(pem)
            }
            None => None,
        };
        let identity_pem = match (&t.client_cert, &t.client_key) {
            (Some(c), Some(k)) => {
                let (cert, key) = (
                    self.read("client_cert", c, MAX_KEY_FILE)?,
                    self.read("client_key", k, MAX_KEY_FILE)?,
                );
                files::check_identity(&cert, &key).map_err(|(half, why)| match half {
                    Half::Cert => self.wrong("client_cert", c, why),
                    Half::Key => self.wrong("client_key", k, why),
                })?;
                Some(format!("{cert}\n{key}"))
            }
            (None, None) => None,
            (Some(s), None) | (None, Some(s)) => {
                return Err(invalid(
                    self.path,
                    &s.referenced,
                    "`client_cert` and `client_key` go together".into(),
                ))
            }
        };
        Ok(TlsSettings {
            ca_pem,
            identity_pem,
        })
    }

    /// An absolute http(s) URL, from the `key` at `s`.
    fn url(&self, key: &str, s: &Spanned<String>) -> Result<String, ConfigError> {
        let text = self.env(s)?;
        match url::Url::parse(&text) {
            Ok(u) if ["http", "https"].contains(&u.scheme()) && u.has_host() => Ok(text),
            _ => Err(invalid(
                self.path,
                &s.referenced,
                format!(
                    "`{key}` must be an absolute http(s) URL like https://as.example.com; got `{text}`"
                ),
            )),
        }
    }

    /// A client; `audience` is the profile's `client_assertion_audience`,
    /// which the client's own setting overrides.
    fn client(
        &self,
        f: &ClientFile,
        audience: Option<ClientAssertionAudience>,
    ) -> Result<ClientProfile, ConfigError> {
        let key = match &f.signing_key {
            Some(k) => Some(
                parse_client_key(
                    &self.read("signing_key", k, MAX_KEY_FILE)?,
                    f.kid.clone(),
                    f.signing_alg.clone(),
                )
                .map_err(|m| self.wrong("signing_key", k, format!("is not a private key: {m}")))?,
            ),
            None => None,
        };
        if f.auth_method == ClientAuthMethod::PrivateKeyJwt && key.is_none() {
            return Err(invalid(
                self.path,
                &f.id.referenced,
                format!(
                    "client `{}` authenticates with private_key_jwt but has no `signing_key` (the file of the private key, PEM or JWK, that signs its assertions)",
                    f.id.value
                ),
            ));
        }
        Ok(ClientProfile {
            id: self.env(&f.id)?,
            auth_method: f.auth_method,
            secret: f.secret.as_ref().map(|s| self.env(s)).transpose()?,
            redirect_uri: f.redirect_uri.as_ref().map(|s| self.env(s)).transpose()?,
            key,
            assertion_audience: f.client_assertion_audience.or(audience).unwrap_or_default(),
        })
    }

    fn page(&self, p: &PageFile) -> Result<FormPage, ConfigError> {
        let mut fields = BTreeMap::new();
        for (k, v) in &p.fields {
            fields.insert(k.clone(), self.env(v)?);
        }
        Ok(FormPage {
            url_contains: p.url_contains.clone(),
            detect: p.detect.clone(),
            form: p.form.clone(),
            fields,
        })
    }
}

/// Parses a private key (a JWK as JSON, or PKCS#8/SEC1/PKCS#1 PEM) into a
/// [`ClientKey`]; the kid and alg default to the JWK's or the key type's.
pub fn parse_client_key(
    text: &str,
    kid: Option<String>,
    alg: Option<String>,
) -> Result<ClientKey, String> {
    use josekit::jwk::alg::{ec::EcKeyPair, rsa::RsaKeyPair};
    use josekit::jwk::KeyPair;
    let jwk = if text.trim_start().starts_with('{') {
        josekit::jwk::Jwk::from_bytes(text.as_bytes())
            .map_err(|e| format!("it is not a valid JWK: {e}"))?
    } else if let Some(kind) = pem_kind_other_than_private_key(text) {
        return Err(format!("it holds {kind}"));
    } else if !text.contains("-----BEGIN ") {
        return Err("it holds neither a JWK (a JSON object) nor a PEM private key (`-----BEGIN PRIVATE KEY-----`, `-----BEGIN EC PRIVATE KEY-----` or `-----BEGIN RSA PRIVATE KEY-----`)".into());
    } else if let Ok(k) = EcKeyPair::from_pem(text.as_bytes(), None) {
        k.to_jwk_key_pair()
    } else {
        RsaKeyPair::from_pem(text.as_bytes())
            .map_err(|e| format!("it is neither a JWK nor an EC or RSA PEM private key ({e})"))?
            .to_jwk_key_pair()
    };
    if jwk.parameter("d").is_none() {
        return Err(format!(
            "the {} JWK has no private part (`d`): it is a public key",
            jwk.key_type()
        ));
    }
    let alg = alg
        .or_else(|| jwk.algorithm().map(str::to_string))
        .unwrap_or_else(|| crate::jose::signer_alg_for(&jwk).to_string());
    let kid = kid
        .or_else(|| jwk.key_id().map(str::to_string))
        .unwrap_or_default();
    Ok(ClientKey { jwk, kid, alg })
}

/// What a PEM file holds when it is clearly not a private key, in words.
fn pem_kind_other_than_private_key(text: &str) -> Option<&'static str> {
    if text.contains("PRIVATE KEY-----") {
        None
    } else if text.contains("-----BEGIN CERTIFICATE-----") {
        Some("a certificate, not a private key")
    } else if text.contains("PUBLIC KEY-----") {
        Some("a public key, not a private key")
    } else {
        None
    }
}

/// Loads a target profile, resolving `${env:NAME}` and relative file paths.
pub fn load_target(path: &Path) -> Result<Target, ConfigError> {
    let file: TargetFile = parse_yaml_syntax_first(path)?;
    let r = Resolver {
        path,
        base: path.parent().unwrap_or(Path::new(".")),
    };
    let issuer = r.url("issuer", &file.issuer)?;
    let discovery_url = match &file.discovery_url {
        Some(u) => r.url("discovery_url", u)?,
        None => Target::discovery_url_for(&issuer),
    };
    let api_base = match &file.api_base {
        Some(u) => r.url("api_base", u)?.trim_end_matches('/').to_string(),
        None => issuer.trim_end_matches('/').to_string(),
    };
    let urls = [
        ("issuer", Some(&file.issuer)),
        ("discovery_url", file.discovery_url.as_ref()),
        ("api_base", file.api_base.as_ref()),
    ];
    for (key, s) in urls {
        if let Some(s) = s {
            check_transport(path, key, s, &r.env(s)?, file.insecure_http)?;
        }
    }
    let audience = file.client_assertion_audience;
    let mut clients = BTreeMap::new();
    for (name, c) in &file.clients {
        clients.insert(name.clone(), r.client(c, audience)?);
    }
    let consent = match &file.consent {
        Some(c) => ConsentSettings {
            driver: c.driver,
            login: c.login.as_ref().map(|p| r.page(p)).transpose()?,
            consent: c.consent.as_ref().map(|p| r.page(p)).transpose()?,
            max_redirects: c.max_redirects.unwrap_or(10),
            manual: c
                .manual
                .as_ref()
                .map_or_else(Default::default, |m| ManualSettings {
                    timeout: Duration::from_secs(m.timeout_s.unwrap_or(300)),
                    open: m.open.clone(),
                }),
            pages: {
                let mut pages = c.pages.clone();
                resolve_pages(path, &mut pages)?;
                pages
            },
            browser_timeout: Duration::from_secs(c.browser_timeout_s.unwrap_or(10)),
        },
        None => ConsentSettings::default(),
    };
    let tls = r.tls(&file.tls)?;
    let openapi = r.openapi(&file.openapi)?;
    let mut client = r.client(&file.client, audience)?;
    let variant = match &file.variant {
        Some(v) => variant(path, v, &mut client, &tls)?,
        None => Variant::default(),
    };
    Ok(Target {
        name: file.name.unwrap_or_else(|| issuer.clone()),
        issuer,
        discovery_url,
        api_base,
        client,
        clients,
        consent,
        openapi,
        tls,
        http: HttpSettings {
            insecure_http: file.insecure_http,
            ..http_settings(path, &file.http)?
        },
        values: file.values.into_values(),
        plans: file.plans,
        variant,
        secret_fields: secret_fields(path, &file.secret_fields)?,
    })
}

/// The profile's variant, checked against what it needs: a client
/// authentication needs its credential, mTLS a client certificate, a
/// signed request object a signing key. The default client takes the
/// variant's authentication method.
fn variant(
    path: &Path,
    v: &Spanned<VariantFile>,
    client: &mut ClientProfile,
    tls: &TlsSettings,
) -> Result<Variant, ConfigError> {
    let f = &v.value;
    let method = f.client_auth.unwrap_or(client.auth_method);
    let missing = match method {
        ClientAuthMethod::PrivateKeyJwt if client.key.is_none() => {
            Some("`client_auth: private_key_jwt` needs the client's `signing_key`")
        }
        ClientAuthMethod::ClientSecretBasic | ClientAuthMethod::ClientSecretPost
            if client.secret.is_none() =>
        {
            Some("a `client_secret_*` client authentication needs the client's `secret`")
        }
        ClientAuthMethod::TlsClientAuth if tls.identity_pem.is_none() => {
            Some("`client_auth: tls_client_auth` needs `tls.client_cert` and `tls.client_key`")
        }
        _ => None,
    };
    let missing = missing.or(match f.sender_constraint {
        SenderConstraint::Mtls if tls.identity_pem.is_none() => {
            Some("`sender_constraint: mtls` needs `tls.client_cert` and `tls.client_key`")
        }
        _ => None,
    });
    let missing = missing.or(match f.request_style {
        RequestStyle::RequestObject | RequestStyle::ParRequestObject if client.key.is_none() => {
            Some("a signed request object needs the client's `signing_key`")
        }
        _ => None,
    });
    if let Some(why) = missing {
        return Err(invalid(path, &v.referenced, format!("variant: {why}")));
    }
    client.auth_method = method;
    Ok(Variant {
        client_auth: f.client_auth,
        sender_constraint: f.sender_constraint,
        request_style: f.request_style,
        response_mode: f.response_mode,
        declared: true,
    })
}

/// The profile's `secret_fields`: names, each non-empty (an empty name
/// would redact nothing while looking as if it did).
fn secret_fields(path: &Path, names: &[Spanned<String>]) -> Result<Vec<String>, ConfigError> {
    names
        .iter()
        .map(|n| match n.value.trim() {
            "" => Err(invalid(
                path,
                &n.referenced,
                "`secret_fields` lists form field or JSON member names; this one is empty".into(),
            )),
            name => Ok(name.to_string()),
        })
        .collect()
}

/// Plain http only for a development server on this machine: an `http://`
/// URL needs `insecure_http: true`, and `insecure_http: true` needs every
/// URL on a loopback host, so no credential ever crosses a network in
/// cleartext and no such run passes for conformance evidence.
fn check_transport(
    path: &Path,
    key: &str,
    s: &Spanned<String>,
    text: &str,
    insecure_http: bool,
) -> Result<(), ConfigError> {
    let Ok(url) = url::Url::parse(text) else {
        return Ok(());
    };
    let why = if insecure_http && !crate::http::cleartext::is_loopback(&url) {
        format!(
            "`insecure_http: true` is allowed only for loopback hosts (127.0.0.1, ::1, localhost); `{key}` is `{text}`"
        )
    } else if !insecure_http && url.scheme() == "http" {
        format!(
            "`{key}` is plain http (`{text}`): client credentials and tokens would travel in cleartext. Use https, or, for a development server on this machine (127.0.0.1, ::1, localhost), add `insecure_http: true` to the profile (its results are marked not certifiable)"
        )
    } else {
        return Ok(());
    };
    Err(invalid(path, &s.referenced, why))
}

/// The exchange limits, each positive and bounded.
fn http_settings(path: &Path, h: &HttpFile) -> Result<HttpSettings, ConfigError> {
    let defaults = HttpSettings::default();
    let timeout = match &h.timeout_ms {
        Some(t) if t.value == 0 || t.value > MAX_TIMEOUT_MS => {
            return Err(invalid(
                path,
                &t.referenced,
                format!(
                    "`timeout_ms` must be between 1 and {MAX_TIMEOUT_MS} (an hour); got {}",
                    t.value
                ),
            ))
        }
        Some(t) => Duration::from_millis(t.value),
        None => defaults.timeout,
    };
    let max_body_bytes = match &h.max_body_bytes {
        Some(m) if m.value == 0 || m.value > MAX_BODY_BYTES => {
            return Err(invalid(
                path,
                &m.referenced,
                format!(
                    "`max_body_bytes` must be between 1 and {MAX_BODY_BYTES} (1 GiB); got {}",
                    m.value
                ),
            ))
        }
        Some(m) => m.value,
        None => defaults.max_body_bytes,
    };
    Ok(HttpSettings {
        timeout,
        max_body_bytes,
        insecure_http: false,
    })
}

/// Checks the browser driver's page scripts where serde cannot: every
/// selector must parse as CSS (the browser would only say so mid-run), and a
/// script must say which page it is for; `${env:NAME}` in values is
/// resolved. Used for the profile's scripts and a step's override.
pub fn resolve_pages(path: &Path, pages: &mut [PageScript]) -> Result<(), ConfigError> {
    for page in pages.iter_mut() {
        let name = page.name.value.clone();
        let css = |s: &Spanned<String>, action: &str| {
            scraper::Selector::parse(&s.value).map(|_| ()).map_err(|e| {
                invalid(
                    path,
                    &s.referenced,
                    format!(
                        "page `{name}`, `{action}`: `{}` is not a CSS selector: {e}",
                        s.value
                    ),
                )
            })
        };
        if let Some(d) = &page.detect {
            css(d, "detect")?;
        } else if page.url_contains.is_none() {
            let why = format!("page `{name}` needs `url_contains` or `detect`: without either it would match every page");
            return Err(invalid(path, &page.name.referenced, why));
        }
        for action in page.actions.iter_mut() {
            if let Some(s) = action.selector() {
                css(s, action.name())?;
            }
            if let PageAction::Fill(f) | PageAction::Select(f) = action {
                f.value = interpolate_env(&f.value)
                    .map_err(|m| invalid(path, &f.selector.referenced, m))?;
            }
        }
    }
    Ok(())
}

/// Replaces `${env:NAME}` with the environment variable's value.
fn interpolate_env(text: &str) -> Result<String, String> {
    let mut out = String::new();
    let mut rest = text;
    while let Some((before, after)) = rest.split_once("${env:") {
        out.push_str(before);
        let (name, after) = after
            .split_once('}')
            .ok_or_else(|| format!("unclosed `${{env:` in `{text}`"))?;
        let value =
            std::env::var(name).map_err(|_| format!("environment variable `{name}` is not set"))?;
        out.push_str(&value);
        rest = after;
    }
    out.push_str(rest);
    Ok(out)
}
