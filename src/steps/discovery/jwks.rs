//! Fetching the JWKS named by `jwks_uri` and judging its keys.

use super::kind_of;
use crate::http::OutgoingRequest;
use crate::specs::discovery::*;
use crate::specs::SpecResult;
use crate::steps::StepContext;
use base64::Engine;
use serde_json::{Map, Value};
use std::collections::HashMap;

/// Fetches the JWKS and judges it; captures its text as `discovery.jwks`.
pub(super) async fn fetch_and_judge(
    metadata: &Map<String, Value>,
    stage: &str,
    ctx: &mut StepContext<'_>,
) -> Vec<SpecResult> {
    let Some(uri) = metadata.get("jwks_uri").and_then(Value::as_str) else {
        return skip_all("no `jwks_uri` to fetch");
    };
    let exchange = ctx
        .session
        .send(
            stage,
            OutgoingRequest::get(uri).header("accept", "application/json"),
        )
        .await;
    let keys = match exchange.response().map_err(String::from).and_then(|r| {
        if r.status != 200 {
            return Err(format!("{uri} answered {}", r.status));
        }
        r.json()
    }) {
        Ok(Value::Object(set)) => match set.get("keys") {
            Some(Value::Array(keys)) => keys.clone(),
            other => {
                return fail_reachable(format!(
                    "`keys` is {}",
                    other.map(kind_of).unwrap_or("absent".into())
                ))
            }
        },
        Ok(other) => return fail_reachable(format!("the JWKS is {}", kind_of(&other))),
        Err(e) => return fail_reachable(e.to_string()),
    };
    if let Some(d) = ctx.state.discovery.as_mut() {
        d.jwks = keys.iter().filter_map(Value::as_object).cloned().collect();
        d.jwks_fetched = true;
    }
    let keys: Vec<&Map<String, Value>> = keys.iter().filter_map(Value::as_object).collect();
    let algs: Vec<&str> = metadata
        .get("id_token_signing_alg_values_supported")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    vec![
        JWKS_REACHABLE.pass_with(format!("{} keys", keys.len())),
        signing_key(&keys),
        kid_present(&keys),
        kid_unique(&keys),
        no_private(&keys),
        rsa_size(&keys),
        alg_matches_kty(&keys),
        covers_algs(&keys, &algs),
    ]
}

fn skip_all(reason: &str) -> Vec<SpecResult> {
    JWKS_SPECS.iter().map(|s| s.skip(reason)).collect()
}

fn fail_reachable(reason: String) -> Vec<SpecResult> {
    let mut out = vec![JWKS_REACHABLE.fail_because(reason)];
    out.extend(
        JWKS_SPECS
            .iter()
            .skip(1)
            .map(|s| s.skip("the JWKS could not be read")),
    );
    out
}

fn str_of<'a>(k: &'a Map<String, Value>, name: &str) -> Option<&'a str> {
    k.get(name).and_then(Value::as_str)
}

fn label(k: &Map<String, Value>) -> String {
    format!(
        "{} key {}",
        str_of(k, "kty").unwrap_or("?"),
        str_of(k, "kid").unwrap_or("(no kid)")
    )
}

fn signing_key(keys: &[&Map<String, Value>]) -> SpecResult {
    let usable = keys.iter().filter(|k| {
        matches!(str_of(k, "use"), None | Some("sig"))
            && matches!(str_of(k, "kty"), Some("RSA" | "EC" | "OKP"))
    });
    let n = usable.count();
    JWKS_SIGNING_KEY.check(
        n > 0,
        "at least one RSA/EC/OKP key for `sig`",
        format!("{n} of {} keys", keys.len()),
    )
}

fn kid_present(keys: &[&Map<String, Value>]) -> SpecResult {
    let missing = keys.iter().filter(|k| str_of(k, "kid").is_none()).count();
    JWKS_KID_PRESENT.check(
        keys.len() <= 1 || missing == 0,
        "a `kid` on every key",
        format!("{missing} of {} keys without `kid`", keys.len()),
    )
}

fn kid_unique(keys: &[&Map<String, Value>]) -> SpecResult {
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for kid in keys.iter().filter_map(|k| str_of(k, "kid")) {
        *seen.entry(kid).or_default() += 1;
    }
    let mut dups: Vec<String> = seen
        .into_iter()
        .filter(|(_, n)| *n > 1)
        .map(|(k, n)| format!("`{k}` ×{n}"))
        .collect();
    dups.sort();
    JWKS_KID_UNIQUE.check(
        dups.is_empty(),
        "unique `kid` values",
        format!("duplicated: {}", dups.join(", ")),
    )
}

fn no_private(keys: &[&Map<String, Value>]) -> SpecResult {
    const PRIVATE: [&str; 7] = ["d", "p", "q", "dp", "dq", "qi", "k"];
    let bad: Vec<String> = keys
        .iter()
        .filter_map(|k| {
            let found: Vec<&str> = PRIVATE
                .iter()
                .copied()
                .filter(|m| k.contains_key(*m))
                .collect();
            (!found.is_empty()).then(|| format!("{} has {}", label(k), found.join(", ")))
        })
        .collect();
    JWKS_NO_PRIVATE.check(bad.is_empty(), "public members only", bad.join("; "))
}

fn rsa_bits(k: &Map<String, Value>) -> Option<usize> {
    let n = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(str_of(k, "n")?)
        .ok()?;
    let (first, lead) = n.iter().enumerate().find(|(_, b)| **b != 0)?;
    Some((n.len() - first - 1) * 8 + (8 - lead.leading_zeros() as usize))
}

fn rsa_size(keys: &[&Map<String, Value>]) -> SpecResult {
    let bad: Vec<String> = keys
        .iter()
        .filter(|k| str_of(k, "kty") == Some("RSA"))
        .filter_map(|k| match rsa_bits(k) {
            Some(bits) if bits >= 2048 => None,
            Some(bits) => Some(format!("{} has {bits} bits", label(k))),
            None => Some(format!("{} has no readable modulus `n`", label(k))),
        })
        .collect();
    JWKS_RSA_SIZE.check(
        bad.is_empty(),
        "RSA moduli of 2048 bits or more",
        bad.join("; "),
    )
}

/// Whether a JWS `alg` can be used with a key of this type and curve.
pub(crate) fn alg_fits(alg: &str, kty: &str, crv: Option<&str>) -> bool {
    match alg {
        "RS256" | "RS384" | "RS512" | "PS256" | "PS384" | "PS512" => kty == "RSA",
        "ES256" => kty == "EC" && crv == Some("P-256"),
        "ES384" => kty == "EC" && crv == Some("P-384"),
        "ES512" => kty == "EC" && crv == Some("P-521"),
        "ES256K" => kty == "EC" && crv == Some("secp256k1"),
        "EdDSA" | "Ed25519" => kty == "OKP",
        _ => false,
    }
}

fn alg_matches_kty(keys: &[&Map<String, Value>]) -> SpecResult {
    let bad: Vec<String> = keys
        .iter()
        .filter_map(|k| {
            let alg = str_of(k, "alg")?;
            let fits = alg_fits(alg, str_of(k, "kty").unwrap_or(""), str_of(k, "crv"));
            // Encryption algs (RSA-OAEP, ECDH-ES…) belong to `use: enc` keys.
            let enc = str_of(k, "use") == Some("enc");
            (!fits && !enc).then(|| format!("{} declares {alg}", label(k)))
        })
        .collect();
    JWKS_ALG_KTY.check(
        bad.is_empty(),
        "each `alg` usable with its key type",
        bad.join("; "),
    )
}

fn covers_algs(keys: &[&Map<String, Value>], algs: &[&str]) -> SpecResult {
    let missing: Vec<&str> = algs
        .iter()
        .copied()
        .filter(|a| *a != "none" && !a.starts_with("HS"))
        .filter(|a| {
            !keys.iter().any(|k| {
                matches!(str_of(k, "use"), None | Some("sig"))
                    && alg_fits(a, str_of(k, "kty").unwrap_or(""), str_of(k, "crv"))
                    && str_of(k, "alg").is_none_or(|ka| ka == *a)
            })
        })
        .collect();
    JWKS_COVERS_ALGS.check(
        missing.is_empty(),
        "a signing key for each advertised alg",
        format!("no key for {}", missing.join(", ")),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rsa_bit_length_ignores_leading_zero_bytes() {
        let mut n = vec![0u8, 0x80];
        n.extend(vec![0u8; 255]);
        let k: Map<String, Value> = serde_json::from_value(serde_json::json!({
            "kty": "RSA",
            "n": base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&n)
        }))
        .unwrap();
        assert_eq!(rsa_bits(&k), Some(2048));
    }
}
