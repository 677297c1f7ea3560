//! Client authentication on back-channel requests (token, PAR):
//! client_secret_basic, client_secret_post, private_key_jwt,
//! tls_client_auth (the certificate is the TLS identity) and none.

use crate::target::{ClientAssertionAudience, ClientAuthMethod, ClientProfile};
use base64::Engine;
use serde::Deserialize;
use serde_json::{json, Map, Value};

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

/// The `client_assertion_type` of RFC 7523.
pub const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// Who a request's client assertion is addressed to. By default the issuer
/// identifier, as FAPI 2, CIBA §7.1 and RFC 9126 §2 recommend; RFC 7523 §3
/// lets servers demand the token endpoint URL instead, so the profile's
/// `client_assertion_audience` may choose it, or the endpoint being called.
#[derive(Debug, Clone)]
pub(crate) struct Audience {
    choice: ClientAssertionAudience,
    issuer: String,
    token_endpoint: Option<String>,
    endpoint: String,
    explicit: Option<String>,
    overrides: AssertionOverrides,
}

impl Audience {
    /// For `client` calling `endpoint`; `token_endpoint` is discovery's.
    pub(crate) fn new(
        issuer: &str,
        client: &ClientProfile,
        token_endpoint: Option<String>,
        endpoint: &str,
    ) -> Self {
        Audience {
            choice: client.assertion_audience,
            issuer: issuer.to_string(),
            token_endpoint,
            endpoint: endpoint.to_string(),
            explicit: None,
            overrides: AssertionOverrides::default(),
        }
    }

    /// A step's deliberate assertion defects (`client_assertion:`).
    pub(crate) fn with(mut self, overrides: Option<&AssertionOverrides>) -> Self {
        if let Some(o) = overrides {
            self.overrides = o.clone();
        }
        self
    }

    /// The `aud` claim: a string, or the issuer inside a list when a
    /// scenario asks for `aud: array`.
    fn claim(&self) -> Result<Value, String> {
        Ok(match self.overrides.aud.as_deref() {
            None => json!(self.resolve()?),
            Some("issuer") => json!(self.issuer),
            Some("endpoint") => json!(self.endpoint),
            Some("array") => json!([self.issuer]),
            Some("token_endpoint") => json!(self.token_endpoint.clone().ok_or(
                "`aud: token_endpoint`, but the provider metadata names no `token_endpoint`"
            )?),
            Some(other) => json!(other),
        })
    }

    /// A step's own `assertion_audience:`, which wins over the profile.
    pub(crate) fn explicit(mut self, aud: Option<String>) -> Self {
        self.explicit = aud;
        self
    }

    /// The `aud` value, or why there is none.
    pub(crate) fn resolve(&self) -> Result<String, String> {
        if let Some(aud) = &self.explicit {
            return Ok(aud.clone());
        }
        match self.choice {
            ClientAssertionAudience::Issuer => Ok(self.issuer.clone()),
            ClientAssertionAudience::Endpoint => Ok(self.endpoint.clone()),
            ClientAssertionAudience::TokenEndpoint => self.token_endpoint.clone().ok_or_else(|| {
                "`client_assertion_audience: token_endpoint`, but the provider metadata names no `token_endpoint`".to_string()
            }),
        }
    }
}

/// Adds the client's credentials to a form request; a client assertion is
/// addressed to `audience`.
pub(crate) fn apply(
    client: &ClientProfile,
    audience: &Audience,
    form: &mut Vec<(String, String)>,
    headers: &mut Vec<(String, String)>,
) -> Result<(), String> {
    let secret = || {
        client
            .secret
            .clone()
            .ok_or_else(|| format!("client `{}` has no secret", client.id))
    };
    match client.auth_method {
        ClientAuthMethod::ClientSecretBasic => {
            // RFC 6749 §2.3.1: id and secret are form-urlencoded before Base64.
            let enc =
                |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
            let pair = format!("{}:{}", enc(&client.id), enc(&secret()?));
            headers.push((
                "authorization".into(),
                format!(
                    "Basic {}",
                    base64::engine::general_purpose::STANDARD.encode(pair)
                ),
            ));
        }
        ClientAuthMethod::ClientSecretPost => {
            form.push(("client_id".into(), client.id.clone()));
            form.push(("client_secret".into(), secret()?));
        }
        _ if audience.overrides.omitted => form.push(("client_id".into(), client.id.clone())),
        ClientAuthMethod::PrivateKeyJwt => {
            form.push(("client_id".into(), client.id.clone()));
            form.push(("client_assertion_type".into(), ASSERTION_TYPE.into()));
            form.push(("client_assertion".into(), assertion(client, audience)?));
        }
        ClientAuthMethod::TlsClientAuth | ClientAuthMethod::None => {
            form.push(("client_id".into(), client.id.clone()))
        }
    }
    Ok(())
}

/// A client assertion (RFC 7523 §3) for `audience`, with the step's
/// deliberate defects.
fn assertion(client: &ClientProfile, audience: &Audience) -> Result<String, String> {
    let key = client
        .key
        .as_ref()
        .ok_or_else(|| format!("client `{}` has no signing key", client.id))?;
    let now = chrono::Utc::now().timestamp();
    let o = &audience.overrides;
    let mut claims: Map<String, Value> = json!({
        "iss": client.id, "sub": client.id, "aud": audience.claim()?,
        "jti": random_id(),
        "iat": now + o.iat_in.unwrap_or(0),
        "exp": now + o.exp_in.unwrap_or(60),
    })
    .as_object()
    .cloned()
    .unwrap_or_default();
    if let Some(nbf) = o.nbf_in {
        claims.insert("nbf".into(), json!(now + nbf));
    }
    claims.retain(|k, _| !o.omit.contains(k));
    let Some(alg) = o.alg.as_deref() else {
        return crate::jose::sign_jwt(&claims, &key.alg, Some((&key.jwk, &key.kid)), None)
            .map_err(|e| e.to_string());
    };
    // The same key under another alg: its JWK's own `alg` must not forbid it.
    let mut jwk = key.jwk.clone();
    jwk.set_algorithm(alg);
    crate::jose::sign_jwt(&claims, alg, Some((&jwk, &key.kid)), None).map_err(|e| e.to_string())
}

/// A random URL-safe identifier (jti, state, nonce, PKCE verifier).
pub(crate) fn random_id() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client(choice: ClientAssertionAudience) -> ClientProfile {
        ClientProfile {
            id: "c".into(),
            auth_method: ClientAuthMethod::PrivateKeyJwt,
            secret: None,
            redirect_uri: None,
            key: None,
            assertion_audience: choice,
        }
    }

    fn aud(choice: ClientAssertionAudience, token: Option<&str>) -> Audience {
        Audience::new(
            "https://as.example",
            &client(choice),
            token.map(str::to_string),
            "https://as.example/par",
        )
    }

    #[test]
    fn the_profile_chooses_the_assertion_audience_and_a_step_overrides_it() {
        use ClientAssertionAudience::*;
        let token = Some("https://as.example/token");
        assert_eq!(aud(Issuer, token).resolve().unwrap(), "https://as.example");
        assert_eq!(
            aud(TokenEndpoint, token).resolve().unwrap(),
            "https://as.example/token"
        );
        assert_eq!(
            aud(Endpoint, token).resolve().unwrap(),
            "https://as.example/par"
        );
        assert!(aud(TokenEndpoint, None)
            .resolve()
            .unwrap_err()
            .contains("names no `token_endpoint`"));
        let step = aud(Endpoint, token).explicit(Some("https://elsewhere".into()));
        assert_eq!(step.resolve().unwrap(), "https://elsewhere");
        assert_eq!(ClientAssertionAudience::default(), Issuer);
    }
}
