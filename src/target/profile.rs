//! The target profile model and its loader.

use crate::http::{HttpSettings, TlsSettings};
use crate::suite::load::{invalid, parse_yaml};
use crate::ConfigError;
use serde::Deserialize;
use serde_saphyr::Spanned;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// How the client authenticates at the token endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
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
    /// The client.
    pub client: ClientProfile,
    /// TLS trust and identity.
    pub tls: TlsSettings,
    /// Timeouts and limits.
    pub http: HttpSettings,
}

impl Target {
    /// Literal secrets that reports must mask wherever they appear.
    pub fn secrets(&self) -> Vec<String> {
        self.client.secret.iter().cloned().collect()
    }

    /// The discovery URL derived from an issuer (OIDC Discovery §4).
    pub fn discovery_url_for(issuer: &str) -> String {
        format!(
            "{}/.well-known/openid-configuration",
            issuer.trim_end_matches('/')
        )
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TargetFile {
    name: Option<String>,
    issuer: Spanned<String>,
    discovery_url: Option<Spanned<String>>,
    client: ClientFile,
    #[serde(default)]
    tls: TlsFile,
    #[serde(default)]
    http: HttpFile,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ClientFile {
    id: Spanned<String>,
    auth_method: ClientAuthMethod,
    secret: Option<Spanned<String>>,
    redirect_uri: Option<Spanned<String>>,
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
    timeout_ms: Option<u64>,
    max_body_bytes: Option<usize>,
}

/// Loads a target profile, resolving `${env:NAME}` and relative file paths.
pub fn load_target(path: &Path) -> Result<Target, ConfigError> {
    let file: TargetFile = parse_yaml(path)?;
    let env = |s: &Spanned<String>| {
        interpolate_env(&s.value).map_err(|m| invalid(path, &s.referenced, m))
    };
    let issuer = env(&file.issuer)?;
    let discovery_url = match &file.discovery_url {
        Some(u) => env(u)?,
        None => Target::discovery_url_for(&issuer),
    };
    let client = ClientProfile {
        id: env(&file.client.id)?,
        auth_method: file.client.auth_method,
        secret: file.client.secret.as_ref().map(env).transpose()?,
        redirect_uri: file.client.redirect_uri.as_ref().map(env).transpose()?,
    };
    let base = path.parent().unwrap_or(Path::new("."));
    let read = |s: &Spanned<String>| read_relative(path, base, s);
    let ca_pem = file.tls.ca.as_ref().map(read).transpose()?;
    let identity_pem = match (&file.tls.client_cert, &file.tls.client_key) {
        (Some(c), Some(k)) => Some(format!("{}\n{}", read(c)?, read(k)?)),
        (None, None) => None,
        (Some(s), None) | (None, Some(s)) => {
            return Err(invalid(
                path,
                &s.referenced,
                "`client_cert` and `client_key` go together".into(),
            ))
        }
    };
    let defaults = HttpSettings::default();
    Ok(Target {
        name: file.name.unwrap_or_else(|| issuer.clone()),
        issuer,
        discovery_url,
        client,
        tls: TlsSettings {
            ca_pem,
            identity_pem,
        },
        http: HttpSettings {
            timeout: file
                .http
                .timeout_ms
                .map(Duration::from_millis)
                .unwrap_or(defaults.timeout),
            max_body_bytes: file.http.max_body_bytes.unwrap_or(defaults.max_body_bytes),
        },
    })
}

fn read_relative(profile: &Path, base: &Path, s: &Spanned<String>) -> Result<String, ConfigError> {
    let name = interpolate_env(&s.value).map_err(|m| invalid(profile, &s.referenced, m))?;
    let file: PathBuf = base.join(name);
    std::fs::read_to_string(&file).map_err(|e| {
        invalid(
            profile,
            &s.referenced,
            format!("cannot read {}: {e}", file.display()),
        )
    })
}

/// Replaces `${env:NAME}` with the environment variable's value.
fn interpolate_env(text: &str) -> Result<String, String> {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("${env:") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 6..];
        let end = after
            .find('}')
            .ok_or_else(|| format!("unclosed `${{env:` in `{text}`"))?;
        let name = &after[..end];
        let value =
            std::env::var(name).map_err(|_| format!("environment variable `{name}` is not set"))?;
        out.push_str(&value);
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}
