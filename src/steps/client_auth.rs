//! Client authentication on back-channel requests (token, PAR):
//! client_secret_basic, client_secret_post, private_key_jwt,
//! tls_client_auth (the certificate is the TLS identity) and none.

use crate::target::{ClientAuthMethod, ClientProfile};
use base64::Engine;
use serde_json::{json, Map, Value};

/// The `client_assertion_type` of RFC 7523.
pub const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// Adds the client's credentials to a form request. Client assertions are
/// addressed to the issuer identifier, as FAPI 2, CIBA §7.1 and RFC 9126 §2
/// recommend (RFC 7523 allows it for the token endpoint too).
pub(crate) fn apply(
    client: &ClientProfile,
    issuer: &str,
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
        ClientAuthMethod::PrivateKeyJwt => {
            form.push(("client_id".into(), client.id.clone()));
            form.push(("client_assertion_type".into(), ASSERTION_TYPE.into()));
            form.push(("client_assertion".into(), assertion(client, issuer)?));
        }
        ClientAuthMethod::TlsClientAuth | ClientAuthMethod::None => {
            form.push(("client_id".into(), client.id.clone()))
        }
    }
    Ok(())
}

/// A client assertion (RFC 7523 §3) for `audience`.
pub(crate) fn assertion(client: &ClientProfile, audience: &str) -> Result<String, String> {
    let key = client
        .key
        .as_ref()
        .ok_or_else(|| format!("client `{}` has no signing key", client.id))?;
    let now = chrono::Utc::now().timestamp();
    let claims: Map<String, Value> = json!({
        "iss": client.id, "sub": client.id, "aud": audience,
        "jti": random_id(), "iat": now, "exp": now + 60,
    })
    .as_object()
    .cloned()
    .unwrap_or_default();
    crate::jose::sign_jwt(&claims, &key.alg, Some((&key.jwk, &key.kid)), None)
        .map_err(|e| e.to_string())
}

/// A random URL-safe identifier (jti, state, nonce, PKCE verifier).
pub(crate) fn random_id() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}
