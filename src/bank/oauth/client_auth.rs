//! Client authentication at the token, PAR, introspection and revocation
//! endpoints: client_secret_basic, client_secret_post, private_key_jwt.

use super::OAuthError;
use crate::bank::clients::{AuthMethod, Client};
use crate::bank::faults::Fault;
use crate::bank::mtls::PeerCertificate;
use crate::bank::state::Bank;
use crate::bank::store::now;
use axum::http::HeaderMap;
use base64::Engine;
use std::collections::HashMap;

const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// Authenticates the client of a request by the method it is registered for.
pub fn authenticate<'a>(
    bank: &'a Bank,
    headers: &HeaderMap,
    form: &HashMap<String, String>,
    peer: &PeerCertificate,
) -> Result<&'a Client, OAuthError> {
    let basic = basic_credentials(headers)?;
    let client_id = basic
        .as_ref()
        .map(|(id, _)| id.clone())
        .or_else(|| form.get("client_id").cloned())
        .or_else(|| assertion_issuer(form))
        .ok_or_else(|| OAuthError::invalid_client("no client authentication"))?;
    let client = bank
        .client(&client_id)
        .ok_or_else(|| OAuthError::invalid_client(format!("unknown client `{client_id}`")))?;
    match client.auth {
        AuthMethod::SecretBasic => match &basic {
            Some((_, secret)) if Some(secret.as_str()) == client.secret => Ok(client),
            Some(_) => Err(OAuthError::invalid_client("wrong client secret")),
            None => Err(OAuthError::invalid_client("client_secret_basic required")),
        },
        AuthMethod::SecretPost => match form.get("client_secret") {
            Some(s) if Some(s.as_str()) == client.secret && basic.is_none() => Ok(client),
            Some(_) => Err(OAuthError::invalid_client("wrong client secret")),
            None => Err(OAuthError::invalid_client("client_secret_post required")),
        },
        AuthMethod::PrivateKeyJwt => verify_assertion(bank, client, form).map(|_| client),
        // RFC 8705 §2: the certificate must be the one registered for the client.
        AuthMethod::TlsClientAuth => match (peer.thumbprint(), &client.cert_thumbprint) {
            (Some(got), Some(want)) if &got == want => Ok(client),
            (Some(_), _) => Err(OAuthError::invalid_client(
                "the client certificate is not the one registered",
            )),
            (None, _) => Err(OAuthError::invalid_client(
                "tls_client_auth requires a client certificate",
            )),
        },
        AuthMethod::None => {
            if basic.is_some()
                || form.contains_key("client_secret")
                || form.contains_key("client_assertion")
            {
                Err(OAuthError::invalid_client(
                    "a public client sends no credentials",
                ))
            } else {
                Ok(client)
            }
        }
    }
}

fn basic_credentials(headers: &HeaderMap) -> Result<Option<(String, String)>, OAuthError> {
    let Some(value) = headers.get("authorization").and_then(|v| v.to_str().ok()) else {
        return Ok(None);
    };
    let Some(encoded) = value.strip_prefix("Basic ") else {
        return Ok(None);
    };
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(|| OAuthError::invalid_client("malformed Basic credentials"))?;
    let (id, secret) = decoded
        .split_once(':')
        .ok_or_else(|| OAuthError::invalid_client("malformed Basic credentials"))?;
    let unescape = |s: &str| {
        url::form_urlencoded::parse(format!("x={s}").as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default()
    };
    Ok(Some((unescape(id), unescape(secret))))
}

fn assertion_issuer(form: &HashMap<String, String>) -> Option<String> {
    let (_, claims) = crate::jose::decode_unverified(form.get("client_assertion")?).ok()?;
    claims.get("iss")?.as_str().map(str::to_string)
}

/// RFC 7523 §3: signature, iss = sub = client_id, aud, exp, jti not replayed.
fn verify_assertion(
    bank: &Bank,
    client: &Client,
    form: &HashMap<String, String>,
) -> Result<(), OAuthError> {
    if bank.faults.has(Fault::ClientAuthAssertionsRefused) {
        return Err(OAuthError::invalid_client(
            "client assertions are not accepted",
        ));
    }
    if form.get("client_assertion").is_none() && bank.faults.has(Fault::ClientAuthOptional) {
        return Ok(());
    }
    if form.get("client_assertion_type").map(String::as_str) != Some(ASSERTION_TYPE) {
        return Err(OAuthError::invalid_client(format!(
            "client_assertion_type must be {ASSERTION_TYPE}"
        )));
    }
    let assertion = form
        .get("client_assertion")
        .ok_or_else(|| OAuthError::invalid_client("no client_assertion"))?;
    let public = client
        .key
        .to_public_key()
        .map_err(|e| OAuthError::invalid_client(e.to_string()))?;
    // FAPI 2.0 SP §5.4.1: PS256, ES256 or EdDSA; RS256 only for others.
    let algs: &[&str] = if client.fapi2 && !bank.faults.has(Fault::Fapi2Rs256AssertionAccepted) {
        &["PS256", "ES256"]
    } else {
        &["PS256", "ES256", "RS256"]
    };
    let (_, claims) = crate::jose::verify_jwt(assertion, &public, algs)
        .map_err(|e| OAuthError::invalid_client(format!("client assertion rejected: {e}")))?;
    let s = |k: &str| claims.get(k).and_then(|v| v.as_str()).unwrap_or("");
    let sub_ok = s("sub") == client.id
        || (claims.get("sub").is_none() && bank.faults.has(Fault::ClientAuthNoSubAccepted));
    if s("iss") != client.id || !sub_ok {
        return Err(OAuthError::invalid_client(
            "client assertion iss and sub must be the client_id",
        ));
    }
    let auds: Vec<&str> = match claims.get("aud") {
        Some(serde_json::Value::Array(a)) => a.iter().filter_map(|v| v.as_str()).collect(),
        Some(serde_json::Value::String(a)) => vec![a.as_str()],
        _ => vec![],
    };
    let accepted = [
        "",
        "/token",
        "/par",
        "/bc-authorize",
        "/headless/authorize",
        "/introspect",
        "/revoke",
    ]
    .map(|p| bank.url(p));
    if !auds.iter().any(|a| accepted.iter().any(|x| x == a))
        && !bank.faults.has(Fault::ClientAuthAudIgnored)
    {
        return Err(OAuthError::invalid_client(format!(
            "client assertion aud {auds:?} is not this server"
        )));
    }
    // FAPI 2.0 SP §5.3.2.1: the issuer identifier alone, as a string.
    let issuer_only = claims.get("aud").and_then(|a| a.as_str()) == Some(bank.issuer.as_str());
    let lenient = bank.faults.has(Fault::Fapi2AssertionAudLenient)
        || bank.faults.has(Fault::ClientAuthAudIgnored);
    if client.fapi2 && !issuer_only && !lenient {
        return Err(OAuthError::invalid_client(
            "FAPI 2.0: a client assertion's aud must be the issuer identifier, as a string",
        ));
    }
    // FAPI 2.0 SP §5.3.2.1 and RFC 7523 §3: up to 10 s in the future is
    // clock skew; more than 60 s is refused.
    let later = ["nbf", "iat"]
        .iter()
        .filter_map(|k| claims.get(*k).and_then(|v| v.as_i64()))
        .max()
        .unwrap_or(0);
    if later > now() && bank.faults.has(Fault::ClientAuthClockStrict) {
        return Err(OAuthError::invalid_client(
            "fault client_auth.clock_strict: client assertion nbf or iat is in the future",
        ));
    }
    if later > now() + 60 && !bank.faults.has(Fault::ClientAuthFutureAssertion) {
        return Err(OAuthError::invalid_client(
            "client assertion nbf or iat is more than 60 s in the future",
        ));
    }
    let exp = claims
        .get("exp")
        .and_then(|v| v.as_i64())
        .ok_or_else(|| OAuthError::invalid_client("client assertion has no exp"))?;
    if exp < now() && !bank.faults.has(Fault::ClientAuthExpIgnored) {
        return Err(OAuthError::invalid_client("client assertion expired"));
    }
    let jti = s("jti");
    if jti.is_empty() {
        return Err(OAuthError::invalid_client("client assertion has no jti"));
    }
    let key = format!("{}|{jti}", client.id);
    if bank.seen_jtis.get(&key).is_some() && !bank.faults.has(Fault::ClientAuthJtiReplayAllowed) {
        return Err(OAuthError::invalid_client(
            "client assertion jti was used before",
        ));
    }
    bank.seen_jtis.insert(key, exp);
    Ok(())
}

/// A form POST from an authenticated client: the extractor behind the token,
/// PAR, introspection and revocation endpoints. Rejects with the OAuth
/// error response.
pub struct ClientForm {
    /// The authenticated client.
    pub client: Client,
    /// The form fields.
    pub form: HashMap<String, String>,
    /// The connection's client certificate.
    pub peer: PeerCertificate,
    /// The request headers (a DPoP proof among them).
    pub headers: HeaderMap,
}

impl axum::extract::FromRequest<std::sync::Arc<Bank>> for ClientForm {
    type Rejection = axum::response::Response;

    async fn from_request(
        req: axum::extract::Request,
        bank: &std::sync::Arc<Bank>,
    ) -> Result<Self, Self::Rejection> {
        use axum::response::IntoResponse;
        let headers = req.headers().clone();
        let peer = req
            .extensions()
            .get::<PeerCertificate>()
            .cloned()
            .unwrap_or_default();
        let axum::extract::Form(form) =
            axum::extract::Form::<HashMap<String, String>>::from_request(req, bank)
                .await
                .map_err(IntoResponse::into_response)?;
        let client = authenticate(bank, &headers, &form, &peer)
            .map_err(IntoResponse::into_response)?
            .clone();
        Ok(ClientForm {
            client,
            form,
            peer,
            headers,
        })
    }
}
