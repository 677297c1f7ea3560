//! DPoP (RFC 9449): proofs of possession a client sends with token and
//! resource requests, their checks on the server side, and the JWK
//! thumbprint (RFC 7638) a DPoP-bound token is bound to.
//!
//! Both sides live here because they must agree byte for byte: the bank
//! checks what probity signs, and tests prove each check can fail.

use super::sign::{decode_unverified, signer, verifier, JoseFailure};
use base64::Engine;
use josekit::jwk::Jwk;
use josekit::jws::JwsHeader;
use josekit::jwt::{self, JwtPayload};
use serde_json::{json, Map, Value};
use sha2::Digest;

/// The `typ` of a DPoP proof (RFC 9449 §4.2).
pub const DPOP_TYP: &str = "dpop+jwt";

/// The algs probity signs proofs with and the bank accepts: asymmetric only
/// (RFC 9449 §4.2 forbids `none` and MACs).
pub const DPOP_ALGS: &[&str] = &["ES256", "PS256"];

/// A client's DPoP key pair: generated per scenario, so a token bound to it
/// cannot leak into another scenario.
#[derive(Debug, Clone)]
pub struct DpopKey {
    private: Jwk,
    public: Jwk,
    /// The JWK SHA-256 thumbprint of the public key: the `jkt`.
    pub thumbprint: String,
}

/// What goes into one proof besides the key.
#[derive(Debug, Clone, Default)]
pub struct ProofClaims<'a> {
    /// `htm`: the HTTP method.
    pub method: &'a str,
    /// `htu`: the target URI without query and fragment.
    pub url: &'a str,
    /// The access token the proof accompanies, for `ath`.
    pub access_token: Option<&'a str>,
    /// A server-provided `nonce` (RFC 9449 §8).
    pub nonce: Option<&'a str>,
    /// Seconds added to `iat`: a client clock ahead or behind.
    pub iat_offset: i64,
    /// Add `nbf` (now) and `exp` (in a minute): claims RFC 9449 neither
    /// asks for nor forbids, which a server must tolerate.
    pub nbf_exp: bool,
    /// A deliberately malformed proof, which a server must refuse.
    pub malformed: Option<Malformed>,
}

/// How a proof is malformed on purpose (RFC 9449 §4.3 items 2-6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Malformed {
    /// `typ` is `JWT`, not `dpop+jwt`.
    Typ,
    /// `alg: none`, no signature.
    AlgNone,
    /// A signature that does not verify.
    Signature,
}

impl DpopKey {
    /// A fresh P-256 key.
    pub fn generate() -> Result<Self, JoseFailure> {
        let private = Jwk::generate_ec_key(josekit::jwk::alg::ec::EcCurve::P256)
            .map_err(|e| JoseFailure::Jose(e.to_string()))?;
        let public = private
            .to_public_key()
            .map_err(|e| JoseFailure::Jose(e.to_string()))?;
        let thumbprint = thumbprint(public.as_ref())?;
        Ok(DpopKey {
            private,
            public,
            thumbprint,
        })
    }

    /// A signed proof for one request.
    pub fn proof(&self, claims: &ProofClaims<'_>) -> Result<String, JoseFailure> {
        let mut payload = Map::new();
        payload.insert("jti".into(), json!(random_jti()));
        payload.insert("htm".into(), json!(claims.method));
        payload.insert("htu".into(), json!(htu(claims.url)));
        let now = chrono::Utc::now().timestamp();
        payload.insert("iat".into(), json!(now + claims.iat_offset));
        if claims.nbf_exp {
            payload.insert("nbf".into(), json!(now));
            payload.insert("exp".into(), json!(now + 60));
        }
        if let Some(token) = claims.access_token {
            payload.insert("ath".into(), json!(ath(token)));
        }
        if let Some(nonce) = claims.nonce {
            payload.insert("nonce".into(), json!(nonce));
        }
        if claims.malformed == Some(Malformed::AlgNone) {
            return Ok(self.unsigned(&payload));
        }
        let mut header = JwsHeader::new();
        let typ = match claims.malformed {
            Some(Malformed::Typ) => "JWT",
            _ => DPOP_TYP,
        };
        header.set_token_type(typ);
        header.set_jwk(self.public.clone());
        let payload =
            JwtPayload::from_map(payload).map_err(|e| JoseFailure::Jose(e.to_string()))?;
        let s = signer("ES256", &self.private)?;
        let proof = jwt::encode_with_signer(&payload, &header, s.as_ref())
            .map_err(|e| JoseFailure::Jose(e.to_string()))?;
        Ok(match claims.malformed {
            Some(Malformed::Signature) => with_other_signature(&proof),
            _ => proof,
        })
    }

    /// The proof as an unsecured JWT (`alg: none`, RFC 7519 §6).
    fn unsigned(&self, payload: &Map<String, Value>) -> String {
        let b64 = |v: &Value| {
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string().as_bytes())
        };
        let header = json!({"typ": DPOP_TYP, "alg": "none", "jwk": self.public.as_ref()});
        format!("{}.{}.", b64(&header), b64(&Value::Object(payload.clone())))
    }
}

/// The same JWS with its signature bytes reversed: well-formed, but it
/// does not verify.
fn with_other_signature(jws: &str) -> String {
    let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let Some((signed, signature)) = jws.rsplit_once('.') else {
        return jws.to_string();
    };
    let mut bytes = engine.decode(signature).unwrap_or_default();
    bytes.reverse();
    format!("{signed}.{}", engine.encode(bytes))
}

/// `htu` is compared without query and fragment (RFC 9449 §4.3 item 9).
pub fn htu(url: &str) -> String {
    url.split(['?', '#']).next().unwrap_or(url).to_string()
}

/// `ath`: base64url of the SHA-256 of the access token (RFC 9449 §4.2).
pub fn ath(access_token: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(sha2::Sha256::digest(access_token.as_bytes()))
}

fn random_jti() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// The JWK SHA-256 thumbprint (RFC 7638 §3): the required members in
/// lexicographic order, no whitespace.
pub fn thumbprint(jwk: &Map<String, Value>) -> Result<String, JoseFailure> {
    let kty = jwk.get("kty").and_then(Value::as_str).unwrap_or("");
    let members: &[&str] = match kty {
        "EC" => &["crv", "kty", "x", "y"],
        "RSA" => &["e", "kty", "n"],
        "OKP" => &["crv", "kty", "x"],
        other => return Err(JoseFailure::UnsupportedAlg(format!("kty `{other}`"))),
    };
    let mut canonical = Map::new();
    for m in members {
        let v = jwk
            .get(*m)
            .and_then(Value::as_str)
            .ok_or_else(|| JoseFailure::Malformed(format!("the JWK has no `{m}`")))?;
        canonical.insert((*m).to_string(), json!(v));
    }
    // serde_json's Map keeps keys sorted, and to_string adds no whitespace.
    let text = Value::Object(canonical).to_string();
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(text)))
}

/// What a server expects of a proof.
#[derive(Debug, Clone)]
pub struct ProofCheck<'a> {
    /// The request's method.
    pub method: &'a str,
    /// The request's URL.
    pub url: &'a str,
    /// The access token presented with it, if any (then `ath` is required).
    pub access_token: Option<&'a str>,
    /// Now, epoch seconds.
    pub now: i64,
    /// How far `iat` may be from now, seconds.
    pub leeway: i64,
}

/// A proof that passed: its key's thumbprint and its `jti`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedProof {
    /// `jkt` of the proof's key.
    pub jkt: String,
    /// The proof's `jti`, for replay detection.
    pub jti: String,
    /// The proof's `nonce`, if it carries one (RFC 9449 §8).
    pub nonce: Option<String>,
}

/// Checks a proof as RFC 9449 §4.3 lists; the error says which rule failed.
pub fn check_proof(proof: &str, expect: &ProofCheck<'_>) -> Result<CheckedProof, String> {
    let (header, _) = decode_unverified(proof).map_err(|e| e.to_string())?;
    let text =
        |m: &Map<String, Value>, k: &str| m.get(k).and_then(Value::as_str).map(str::to_string);
    if text(&header, "typ").as_deref() != Some(DPOP_TYP) {
        return Err(format!("`typ` is not `{DPOP_TYP}`"));
    }
    let alg = text(&header, "alg").unwrap_or_default();
    if !DPOP_ALGS.contains(&alg.as_str()) {
        return Err(format!(
            "alg `{}` is not an accepted asymmetric alg",
            alg.escape_debug()
        ));
    }
    let Some(Value::Object(jwk)) = header.get("jwk") else {
        return Err("the header carries no `jwk`".into());
    };
    if jwk.contains_key("d") {
        return Err("the `jwk` holds private key material".into());
    }
    let key = Jwk::from_map(jwk.clone()).map_err(|e| format!("the `jwk` is not a key: {e}"))?;
    let v = verifier(&alg, &key).map_err(|e| e.to_string())?;
    let (payload, _) = jwt::decode_with_verifier(proof, v.as_ref())
        .map_err(|e| format!("the signature does not verify: {e}"))?;
    let claims = payload.claims_set();
    if text(claims, "htm").as_deref() != Some(expect.method) {
        return Err(format!("`htm` is not {}", expect.method));
    }
    if text(claims, "htu").as_deref() != Some(htu(expect.url).as_str()) {
        return Err(format!("`htu` is not {}", htu(expect.url)));
    }
    let iat = claims
        .get("iat")
        .and_then(Value::as_i64)
        .unwrap_or(i64::MIN);
    if iat.saturating_sub(expect.now).saturating_abs() > expect.leeway {
        return Err("`iat` is not within the accepted window".into());
    }
    if let Some(token) = expect.access_token {
        if text(claims, "ath").as_deref() != Some(ath(token).as_str()) {
            return Err("`ath` is not the hash of the access token".into());
        }
    }
    let jti = text(claims, "jti")
        .filter(|j| !j.is_empty())
        .ok_or("no `jti`")?;
    Ok(CheckedProof {
        jkt: thumbprint(jwk).map_err(|e| e.to_string())?,
        jti,
        nonce: text(claims, "nonce"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check<'a>(url: &'a str, token: Option<&'a str>) -> ProofCheck<'a> {
        ProofCheck {
            method: "POST",
            url,
            access_token: token,
            now: chrono::Utc::now().timestamp(),
            leeway: 60,
        }
    }

    #[test]
    fn rfc_7638s_example_thumbprint() {
        // RFC 7638 §3.1.
        let jwk = json!({
            "kty": "RSA",
            "n": "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw",
            "e": "AQAB",
            "alg": "RS256",
            "kid": "2011-04-29"
        });
        let Value::Object(jwk) = jwk else { panic!() };
        assert_eq!(
            thumbprint(&jwk).unwrap(),
            "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
        );
    }

    #[test]
    fn each_malformed_proof_is_refused_for_its_own_reason() {
        let key = DpopKey::generate().unwrap();
        let url = "https://as.example/token";
        for (malformed, why) in [
            (Malformed::Typ, "`typ`"),
            (Malformed::AlgNone, "alg `none`"),
            (Malformed::Signature, "signature"),
        ] {
            let proof = key
                .proof(&ProofClaims {
                    method: "POST",
                    url,
                    malformed: Some(malformed),
                    ..Default::default()
                })
                .unwrap();
            let err = check_proof(&proof, &check(url, None)).unwrap_err();
            assert!(err.contains(why), "{malformed:?}: {err}");
        }
    }

    #[test]
    fn a_proof_checks_and_each_rule_can_fail() {
        let key = DpopKey::generate().unwrap();
        let url = "https://as.example/token";
        let proof = |token: Option<&str>| {
            key.proof(&ProofClaims {
                method: "POST",
                url: "https://as.example/token?x=1",
                access_token: token,
                ..Default::default()
            })
            .unwrap()
        };
        let ok = check_proof(&proof(None), &check(url, None)).unwrap();
        assert_eq!(ok.jkt, key.thumbprint);
        let other = check_proof(&proof(None), &check("https://as.example/par", None));
        assert!(other.unwrap_err().contains("`htu`"));
        let get = ProofCheck {
            method: "GET",
            ..check(url, None)
        };
        assert!(check_proof(&proof(None), &get)
            .unwrap_err()
            .contains("`htm`"));
        let ath_wrong = check_proof(&proof(Some("a")), &check(url, Some("b")));
        assert!(ath_wrong.unwrap_err().contains("`ath`"));
        let late = ProofCheck {
            now: chrono::Utc::now().timestamp() + 3600,
            ..check(url, None)
        };
        assert!(check_proof(&proof(None), &late)
            .unwrap_err()
            .contains("`iat`"));
        let mut parts: Vec<String> = proof(None).split('.').map(str::to_string).collect();
        parts[2] = "AAAA".into();
        assert!(check_proof(&parts.join("."), &check(url, None))
            .unwrap_err()
            .contains("signature"));
    }
}
