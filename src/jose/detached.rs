//! Detached JWS for request and response signatures (`x-jws-signature`):
//! the OBIE form (`b64: false`, listed in `crit` with the OB claims
//! `iat`, `iss`, `tan`) and the plain detached form (RFC 7515 Appendix F).
//! josekit has no detached mode, so the JWS is assembled here around its
//! low-level signer and verifier.

use super::sign::{signer, verifier};
use super::JoseFailure;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use josekit::jwk::Jwk;
use serde_json::{json, Map, Value};

/// The OBIE header claims.
pub const OB_IAT: &str = "http://openbanking.org.uk/iat";
/// The OBIE header claims.
pub const OB_ISS: &str = "http://openbanking.org.uk/iss";
/// The OBIE header claims.
pub const OB_TAN: &str = "http://openbanking.org.uk/tan";

/// Which detached form to produce.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DetachedForm {
    /// OBIE: unencoded payload (`b64: false`), `crit` with the OB claims.
    Obie {
        /// `http://openbanking.org.uk/iss` (e.g. org-id/software-statement-id).
        iss: String,
        /// `http://openbanking.org.uk/tan` (the trust anchor).
        tan: String,
    },
    /// RFC 7515 Appendix F: the usual JWS with its payload part removed.
    Plain,
}

/// Signs `payload` and returns `header..signature`.
pub fn sign_detached(
    payload: &[u8],
    key: &Jwk,
    alg: &str,
    kid: &str,
    form: &DetachedForm,
) -> Result<String, JoseFailure> {
    let mut header = Map::new();
    header.insert("alg".into(), json!(alg));
    header.insert("kid".into(), json!(kid));
    if let DetachedForm::Obie { iss, tan } = form {
        header.insert("b64".into(), json!(false));
        header.insert(OB_IAT.into(), json!(chrono::Utc::now().timestamp()));
        header.insert(OB_ISS.into(), json!(iss));
        header.insert(OB_TAN.into(), json!(tan));
        header.insert("crit".into(), json!(["b64", OB_IAT, OB_ISS, OB_TAN]));
        header.insert("typ".into(), json!("JOSE"));
        header.insert("cty".into(), json!("application/json"));
    }
    let encoded_header = B64.encode(Value::Object(header).to_string());
    let input = signing_input(
        &encoded_header,
        payload,
        !matches!(form, DetachedForm::Obie { .. }),
    );
    let signature = signer(alg, key)?
        .sign(&input)
        .map_err(|e| JoseFailure::Jose(e.to_string()))?;
    Ok(format!("{encoded_header}..{}", B64.encode(signature)))
}

fn signing_input(encoded_header: &str, payload: &[u8], b64: bool) -> Vec<u8> {
    let mut input = Vec::with_capacity(encoded_header.len() + 1 + payload.len() * 4 / 3 + 4);
    input.extend_from_slice(encoded_header.as_bytes());
    input.push(b'.');
    if b64 {
        input.extend_from_slice(B64.encode(payload).as_bytes());
    } else {
        input.extend_from_slice(payload);
    }
    input
}

/// What a verified detached JWS said about itself.
#[derive(Debug, Clone)]
pub struct DetachedInfo {
    /// The JWS alg.
    pub alg: String,
    /// The key id, if any.
    pub kid: Option<String>,
    /// Whether the payload was signed base64url-encoded (the plain form).
    pub b64: bool,
    /// The protected header.
    pub header: Map<String, Value>,
}

/// Parses a detached JWS header (without verifying).
pub fn detached_header(jws: &str) -> Result<DetachedInfo, JoseFailure> {
    let (encoded_header, rest) = jws
        .split_once('.')
        .ok_or_else(|| JoseFailure::Malformed("no `.` in the detached JWS".into()))?;
    if !rest.starts_with('.') {
        return Err(JoseFailure::Malformed(
            "the payload part is not empty: not a detached JWS".into(),
        ));
    }
    let header: Map<String, Value> = B64
        .decode(encoded_header)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .ok_or_else(|| {
            JoseFailure::Malformed("the protected header is not base64url JSON".into())
        })?;
    let b64 = header.get("b64").and_then(Value::as_bool).unwrap_or(true);
    if !b64 {
        // RFC 7797 §6: b64 must be understood, so it must be listed in crit.
        let crit = header
            .get("crit")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        if !crit.iter().any(|c| c == "b64") {
            return Err(JoseFailure::Malformed(
                "`b64: false` is not listed in `crit`".into(),
            ));
        }
    }
    Ok(DetachedInfo {
        alg: header
            .get("alg")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string(),
        kid: header
            .get("kid")
            .and_then(Value::as_str)
            .map(str::to_string),
        b64,
        header,
    })
}

/// Verifies `header..signature` over `payload` with `key`; the alg must be
/// in `allowed`.
pub fn verify_detached(
    jws: &str,
    payload: &[u8],
    key: &Jwk,
    allowed: &[&str],
) -> Result<DetachedInfo, JoseFailure> {
    let info = detached_header(jws)?;
    if !allowed.contains(&info.alg.as_str()) {
        return Err(JoseFailure::UnsupportedAlg(info.alg.clone()));
    }
    let (encoded_header, signature) = jws
        .split_once("..")
        .ok_or_else(|| JoseFailure::Malformed("no `..` in the detached JWS".into()))?;
    let signature = B64
        .decode(signature)
        .map_err(|e| JoseFailure::Malformed(format!("signature is not base64url: {e}")))?;
    let input = signing_input(encoded_header, payload, info.b64);
    verifier(&info.alg, key)?
        .verify(&input, &signature)
        .map_err(|e| JoseFailure::Jose(e.to_string()))?;
    Ok(info)
}

#[cfg(test)]
mod tests {
    use super::*;
    use josekit::jwk::alg::ec::{EcCurve, EcKeyPair};

    #[test]
    fn both_forms_round_trip_and_detect_tampering() {
        let key = EcKeyPair::generate(EcCurve::P256)
            .unwrap()
            .to_jwk_key_pair();
        let public = key.to_public_key().unwrap();
        let body = br#"{"Data":{"Amount":"10.00"}}"#;
        for form in [
            DetachedForm::Plain,
            DetachedForm::Obie {
                iss: "org/ssa".into(),
                tan: "openbanking.org.uk".into(),
            },
        ] {
            let jws = sign_detached(body, &key, "ES256", "k1", &form).unwrap();
            assert!(jws.contains(".."));
            let info = verify_detached(&jws, body, &public, &["ES256"]).unwrap();
            assert_eq!(info.b64, form == DetachedForm::Plain);
            assert!(
                verify_detached(&jws, br#"{"Data":{"Amount":"99.00"}}"#, &public, &["ES256"])
                    .is_err()
            );
            assert!(matches!(
                verify_detached(&jws, body, &public, &["PS256"]),
                Err(JoseFailure::UnsupportedAlg(_))
            ));
        }
    }
}
