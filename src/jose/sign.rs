//! Signing and verifying compact JWTs with josekit.

use josekit::jwk::Jwk;
use josekit::jws::{self, JwsHeader, JwsSigner, JwsVerifier};
use josekit::jwt::{self, JwtPayload};
use serde_json::{Map, Value};

/// Why a JWT could not be signed, decoded or verified.
#[derive(Debug, thiserror::Error)]
pub enum JoseFailure {
    /// The alg is not one probity signs or verifies with.
    #[error("unsupported alg `{0}`")]
    UnsupportedAlg(String),
    /// josekit refused (bad key, bad signature, malformed token …).
    #[error("{0}")]
    Jose(String),
    /// The token is not a compact JWS with a JSON payload.
    #[error("malformed JWT: {0}")]
    Malformed(String),
}

fn jose(e: impl std::fmt::Display) -> JoseFailure {
    JoseFailure::Jose(e.to_string())
}

/// A signer for `alg` from a private JWK.
pub(super) fn signer(alg: &str, key: &Jwk) -> Result<Box<dyn JwsSigner>, JoseFailure> {
    Ok(match alg {
        "PS256" => Box::new(jws::PS256.signer_from_jwk(key).map_err(jose)?),
        "PS384" => Box::new(jws::PS384.signer_from_jwk(key).map_err(jose)?),
        "RS256" => Box::new(jws::RS256.signer_from_jwk(key).map_err(jose)?),
        "ES256" => Box::new(jws::ES256.signer_from_jwk(key).map_err(jose)?),
        "ES384" => Box::new(jws::ES384.signer_from_jwk(key).map_err(jose)?),
        other => return Err(JoseFailure::UnsupportedAlg(other.into())),
    })
}

/// A verifier for `alg` from a public JWK.
pub(super) fn verifier(alg: &str, key: &Jwk) -> Result<Box<dyn JwsVerifier>, JoseFailure> {
    Ok(match alg {
        "PS256" => Box::new(jws::PS256.verifier_from_jwk(key).map_err(jose)?),
        "PS384" => Box::new(jws::PS384.verifier_from_jwk(key).map_err(jose)?),
        "RS256" => Box::new(jws::RS256.verifier_from_jwk(key).map_err(jose)?),
        "ES256" => Box::new(jws::ES256.verifier_from_jwk(key).map_err(jose)?),
        "ES384" => Box::new(jws::ES384.verifier_from_jwk(key).map_err(jose)?),
        other => return Err(JoseFailure::UnsupportedAlg(other.into())),
    })
}

/// The default signing alg for a key: PS256 for RSA, ES256 for P-256.
pub fn signer_alg_for(key: &Jwk) -> &'static str {
    match (key.key_type(), key.curve()) {
        ("EC", Some("P-384")) => "ES384",
        ("EC", _) => "ES256",
        _ => "PS256",
    }
}

/// Signs `claims` as a compact JWT; `alg: none` gives an unsecured JWT.
pub fn sign_jwt(
    claims: &Map<String, Value>,
    alg: &str,
    key: Option<(&Jwk, &str)>,
    typ: Option<&str>,
) -> Result<String, JoseFailure> {
    let payload = JwtPayload::from_map(claims.clone()).map_err(jose)?;
    let mut header = JwsHeader::new();
    if let Some(t) = typ {
        header.set_token_type(t);
    }
    if alg == "none" {
        return jwt::encode_unsecured(&payload, &header).map_err(jose);
    }
    let (jwk, kid) = key.ok_or_else(|| JoseFailure::Jose(format!("alg {alg} needs a key")))?;
    // An empty kid names no key: the header goes without one.
    if !kid.is_empty() {
        header.set_key_id(kid);
    }
    let s = signer(alg, jwk)?;
    jwt::encode_with_signer(&payload, &header, s.as_ref()).map_err(jose)
}

/// A compact JWS taken apart: its protected header and its claims.
pub type HeaderAndClaims = (Map<String, Value>, Map<String, Value>);

/// Verifies a compact JWS against a public JWK with the token's own alg,
/// which must be in `allowed`. Returns header and claims.
pub fn verify_jwt(
    token: &str,
    key: &Jwk,
    allowed: &[&str],
) -> Result<HeaderAndClaims, JoseFailure> {
    let (header, _) = decode_unverified(token)?;
    let alg = header.get("alg").and_then(Value::as_str).unwrap_or("");
    if !allowed.contains(&alg) {
        return Err(JoseFailure::UnsupportedAlg(alg.into()));
    }
    let v = verifier(alg, key)?;
    let (payload, header) = jwt::decode_with_verifier(token, v.as_ref()).map_err(jose)?;
    Ok((header.claims_set().clone(), payload.claims_set().clone()))
}

/// Decodes header and claims without verifying the signature.
pub fn decode_unverified(token: &str) -> Result<HeaderAndClaims, JoseFailure> {
    use base64::Engine;
    let mut parts = token.split('.');
    let (Some(h), Some(p), Some(_), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(JoseFailure::Malformed(
            "expected three dot-separated parts".into(),
        ));
    };
    let decode = |s: &str, what: &str| -> Result<Map<String, Value>, JoseFailure> {
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(s)
            .map_err(|e| JoseFailure::Malformed(format!("{what} is not base64url: {e}")))?;
        serde_json::from_slice(&bytes)
            .map_err(|e| JoseFailure::Malformed(format!("{what} is not a JSON object: {e}")))
    };
    Ok((decode(h, "header")?, decode(p, "payload")?))
}
