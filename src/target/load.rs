//! Loading a target profile: `${env:NAME}`, files relative to the profile,
//! keys parsed once, errors located in the YAML.

use super::model::*;
use crate::http::{HttpSettings, TlsSettings};
use crate::openapi::SchemaBook;
use crate::yaml::{invalid, parse_yaml};
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
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConsentFile {
    driver: ConsentDriver,
    login: Option<PageFile>,
    consent: Option<PageFile>,
    max_redirects: Option<usize>,
    manual: Option<ManualFile>,
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
    timeout_ms: Option<u64>,
    max_body_bytes: Option<usize>,
}

/// Resolves `${env:…}` and reads files relative to the profile.
struct Resolver<'a> {
    path: &'a Path,
    base: &'a Path,
}

impl Resolver<'_> {
    fn env(&self, s: &Spanned<String>) -> Result<String, ConfigError> {
        interpolate_env(&s.value).map_err(|m| invalid(self.path, &s.referenced, m))
    }

    fn read(&self, s: &Spanned<String>) -> Result<String, ConfigError> {
        let file = self.base.join(self.env(s)?);
        std::fs::read_to_string(&file).map_err(|e| {
            invalid(
                self.path,
                &s.referenced,
                format!("cannot read {}: {e}", file.display()),
            )
        })
    }

    /// Loads the named OpenAPI files (paths relative to the profile).
    fn openapi(&self, files: &[Spanned<String>]) -> Result<Option<Arc<SchemaBook>>, ConfigError> {
        let mut loaded = Vec::new();
        for f in files {
            let path = self.base.join(self.env(f)?);
            let api = crate::openapi::OpenApi::load(&path)
                .map_err(|m| invalid(self.path, &f.referenced, m))?;
            loaded.push(api);
        }
        Ok((!loaded.is_empty()).then(|| Arc::new(SchemaBook::new(loaded))))
    }

    fn client(&self, f: &ClientFile) -> Result<ClientProfile, ConfigError> {
        let key = match &f.signing_key {
            Some(k) => Some(
                parse_client_key(&self.read(k)?, f.kid.clone(), f.signing_alg.clone())
                    .map_err(|m| invalid(self.path, &k.referenced, m))?,
            ),
            None => None,
        };
        if f.auth_method == ClientAuthMethod::PrivateKeyJwt && key.is_none() {
            return Err(invalid(
                self.path,
                &f.id.referenced,
                "private_key_jwt needs `signing_key`".into(),
            ));
        }
        Ok(ClientProfile {
            id: self.env(&f.id)?,
            auth_method: f.auth_method,
            secret: f.secret.as_ref().map(|s| self.env(s)).transpose()?,
            redirect_uri: f.redirect_uri.as_ref().map(|s| self.env(s)).transpose()?,
            key,
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
            .map_err(|e| format!("not a valid JWK: {e}"))?
    } else if let Ok(k) = EcKeyPair::from_pem(text.as_bytes(), None) {
        k.to_jwk_key_pair()
    } else {
        RsaKeyPair::from_pem(text.as_bytes())
            .map_err(|e| format!("not a usable private key (JWK or PEM): {e}"))?
            .to_jwk_key_pair()
    };
    if jwk.parameter("d").is_none() {
        return Err("the signing key has no private part (`d`)".into());
    }
    let alg = alg
        .or_else(|| jwk.algorithm().map(str::to_string))
        .unwrap_or_else(|| crate::jose::signer_alg_for(&jwk).to_string());
    let kid = kid
        .or_else(|| jwk.key_id().map(str::to_string))
        .unwrap_or_default();
    Ok(ClientKey { jwk, kid, alg })
}

/// Loads a target profile, resolving `${env:NAME}` and relative file paths.
pub fn load_target(path: &Path) -> Result<Target, ConfigError> {
    let file: TargetFile = parse_yaml(path)?;
    let r = Resolver {
        path,
        base: path.parent().unwrap_or(Path::new(".")),
    };
    let issuer = r.env(&file.issuer)?;
    let discovery_url = match &file.discovery_url {
        Some(u) => r.env(u)?,
        None => Target::discovery_url_for(&issuer),
    };
    let api_base = match &file.api_base {
        Some(u) => r.env(u)?.trim_end_matches('/').to_string(),
        None => issuer.trim_end_matches('/').to_string(),
    };
    let mut clients = BTreeMap::new();
    for (name, c) in &file.clients {
        clients.insert(name.clone(), r.client(c)?);
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
        },
        None => ConsentSettings::default(),
    };
    let ca_pem = file.tls.ca.as_ref().map(|s| r.read(s)).transpose()?;
    let identity_pem = match (&file.tls.client_cert, &file.tls.client_key) {
        (Some(c), Some(k)) => Some(format!("{}\n{}", r.read(c)?, r.read(k)?)),
        (None, None) => None,
        (Some(s), None) | (None, Some(s)) => {
            return Err(invalid(
                path,
                &s.referenced,
                "`client_cert` and `client_key` go together".into(),
            ))
        }
    };
    let openapi = r.openapi(&file.openapi)?;
    let defaults = HttpSettings::default();
    Ok(Target {
        name: file.name.unwrap_or_else(|| issuer.clone()),
        issuer,
        discovery_url,
        api_base,
        client: r.client(&file.client)?,
        clients,
        consent,
        openapi,
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
