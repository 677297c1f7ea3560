//! Verifying a response's detached `x-jws-signature` against the ASPSP's
//! JWKS, naming the key and alg: every payment, submit and consent step does
//! it for its own response.

use crate::http::RecordedResponse;
use crate::jose::{detached_header, verify_detached};
use crate::specs::payment::{RESPONSE_SIGNATURE_VALID, RESPONSE_SIGNED};
use crate::specs::SpecResult;
use serde_json::{Map, Value};

/// Judges `x-jws-signature` on a response against the ASPSP's JWKS.
pub(super) fn judge(r: &RecordedResponse, keys: &[Map<String, Value>]) -> Vec<SpecResult> {
    let Some(jws) = r.header("x-jws-signature") else {
        return vec![RESPONSE_SIGNED.fail("an `x-jws-signature` header", "absent")];
    };
    let mut out = vec![RESPONSE_SIGNED.pass()];
    let header = match detached_header(jws) {
        Ok(h) => h,
        Err(e) => {
            return [
                out,
                vec![RESPONSE_SIGNATURE_VALID.fail_because(e.to_string())],
            ]
            .concat()
        }
    };
    let key = keys
        .iter()
        .find(|k| k.get("kid").and_then(Value::as_str) == header.kid.as_deref());
    out.push(match key.map(|k| josekit::jwk::Jwk::from_map(k.clone())) {
        None => RESPONSE_SIGNATURE_VALID.fail(
            "a kid published in the JWKS",
            match &header.kid {
                Some(kid) => format!("kid `{kid}`, which the JWKS does not publish"),
                None => "no `kid` in the signature header".to_string(),
            },
        ),
        Some(Err(e)) => RESPONSE_SIGNATURE_VALID.fail_because(format!("unusable JWK: {e}")),
        Some(Ok(jwk)) => {
            match verify_detached(jws, r.body.as_bytes(), &jwk, &["PS256", "ES256", "RS256"]) {
                Ok(info) => RESPONSE_SIGNATURE_VALID.pass_with(format!(
                    "{} with key {}{}",
                    info.alg,
                    info.kid.unwrap_or_default(),
                    if info.b64 { "" } else { " (b64: false)" }
                )),
                Err(e) => RESPONSE_SIGNATURE_VALID.fail_because(format!(
                    "{} signature by key `{}` does not verify: {e}",
                    header.alg,
                    header.kid.as_deref().unwrap_or("(no kid)")
                )),
            }
        }
    });
    out
}
