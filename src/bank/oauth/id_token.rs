//! ID tokens: minted with the bank's PS256 key, with the hash claims and
//! ecosystem claims, and the ID token faults applied.

use super::AuthRequest;
use crate::bank::faults::Fault::{self, *};
use crate::bank::state::Bank;
use crate::bank::store::{now, random_token};
use crate::jose::{oidc_hash, sign_jwt};
use serde_json::{json, Map, Value};

const ALG: &str = "PS256";
const LIFETIME: i64 = 600;

fn base_claims(
    bank: &Bank,
    request: &AuthRequest,
    sub: &str,
    auth_time: i64,
) -> Map<String, Value> {
    let iat = now();
    let mut c = Map::new();
    c.insert("iss".into(), json!(bank.issuer));
    c.insert("sub".into(), json!(sub));
    c.insert("aud".into(), json!(request.client_id));
    c.insert("iat".into(), json!(iat));
    c.insert("exp".into(), json!(iat + LIFETIME));
    let auth_time = if bank.faults.has(IdTokenAuthTimeNow) {
        now()
    } else {
        auth_time
    };
    c.insert("auth_time".into(), json!(auth_time));
    c.insert("acr".into(), json!("urn:openbanking:psd2:sca"));
    if let Some(n) = &request.nonce {
        c.insert("nonce".into(), json!(n));
    }
    for name in ["openbanking_intent_id", "authorizationId"] {
        if let Some(v) = request.requested_claim(name) {
            c.insert(name.into(), v);
        }
    }
    if !bank.faults.has(IdTokenRequestedClaimsIgnored) {
        identity_claims(request, &mut c);
    }
    c
}

/// OIDC Core §5.5: the PSU's standard claims the `id_token` member of the
/// `claims` parameter asks for.
fn identity_claims(request: &AuthRequest, c: &mut Map<String, Value>) {
    let Some(asked) = request
        .claims
        .as_ref()
        .and_then(|c| c.get("id_token"))
        .and_then(Value::as_object)
    else {
        return;
    };
    let psu = super::resources::psu_claims();
    for name in asked.keys() {
        if let Some(v) = psu.get(name) {
            c.entry(name.clone()).or_insert_with(|| v.clone());
        }
    }
}

/// The ID token returned with the code (`code id_token`): `c_hash`, `s_hash`.
pub fn front_channel(
    bank: &Bank,
    request: &AuthRequest,
    sub: &str,
    auth_time: i64,
    code: &str,
) -> String {
    let mut c = base_claims(bank, request, sub, auth_time);
    if !bank.faults.has(IdTokenMissingCHash) {
        c.insert("c_hash".into(), json!(oidc_hash(ALG, code)));
    }
    if let Some(state) = request
        .state
        .as_ref()
        .filter(|_| !bank.faults.has(IdTokenMissingSHash))
    {
        c.insert("s_hash".into(), json!(oidc_hash(ALG, state)));
    }
    mint(bank, c)
}

/// The ID token returned by the token endpoint: `at_hash`.
pub fn token_endpoint(
    bank: &Bank,
    request: &AuthRequest,
    sub: &str,
    auth_time: i64,
    access_token: &str,
    refresh_token: Option<&str>,
) -> String {
    let mut c = base_claims(bank, request, sub, auth_time);
    let at = if bank.faults.has(IdTokenWrongAtHash) {
        "some-other-token"
    } else {
        access_token
    };
    c.insert("at_hash".into(), json!(oidc_hash(ALG, at)));
    if let (true, Some(_)) = (bank.faults.has(IdTokenWrongRtHash), refresh_token) {
        c.insert(
            "rt_hash".into(),
            json!(oidc_hash(ALG, "some-other-refresh-token")),
        );
    }
    mint(bank, c)
}

/// Claim faults: (fault, claim, value); `Value::Null` removes the claim.
fn claim_faults(bank: &Bank) -> Vec<(Fault, &'static str, Value)> {
    let t = now();
    vec![
        (IdTokenWrongAud, "aud", json!("someone-else")),
        (
            IdTokenWrongIss,
            "iss",
            json!(format!("{}/other-tenant", bank.issuer)),
        ),
        (IdTokenWrongAzp, "azp", json!("someone-else")),
        (IdTokenNoSub, "sub", Value::Null),
        (IdTokenIatFuture, "iat", json!(t + 3600)),
        (IdTokenNbfFuture, "nbf", json!(t + 3600)),
        (IdTokenWrongNonce, "nonce", json!("not-the-nonce-you-sent")),
        (IdTokenNoAuthTime, "auth_time", Value::Null),
        (IdTokenNoAcr, "acr", Value::Null),
        (
            IdTokenUnstableSub,
            "sub",
            json!(format!("psu-{}", random_token())),
        ),
        (IdTokenIntentDropped, "openbanking_intent_id", Value::Null),
        (IdTokenIntentDropped, "authorizationId", Value::Null),
    ]
}

fn mint(bank: &Bank, mut claims: Map<String, Value>) -> String {
    if bank.faults.has(IdTokenMalformed) {
        return "not-a-jwt".into();
    }
    for (fault, claim, value) in claim_faults(bank) {
        if bank.faults.has(fault) {
            match value {
                Value::Null => claims.remove(claim),
                v => claims.insert(claim.into(), v),
            };
        }
    }
    if bank.faults.has(IdTokenExpired) {
        let past = now() - 3600;
        claims.insert("iat".into(), json!(past - LIFETIME));
        claims.insert("exp".into(), json!(past));
    }
    let key = &bank.keys.ps256;
    let (alg, kid) = match (
        bank.faults.has(IdTokenAlgNone),
        bank.faults.has(IdTokenUnknownKid),
    ) {
        (true, _) => ("none", key.kid.as_str()),
        (false, true) => (ALG, "unknown-kid"),
        _ if bank.faults.has(IdTokenNoKid) => (ALG, ""),
        _ => (ALG, key.kid.as_str()),
    };
    let token = sign_jwt(&claims, alg, Some((&key.private, kid)), Some("JWT")).unwrap_or_default();
    if bank.faults.has(IdTokenBadSignature) {
        return corrupt_signature(&token);
    }
    token
}

/// Changes the first signature character so the signature no longer verifies.
fn corrupt_signature(token: &str) -> String {
    let Some(dot) = token.rfind('.') else {
        return token.to_string();
    };
    let mut bytes = token.as_bytes().to_vec();
    if let Some(b) = bytes.get_mut(dot + 1) {
        *b = if *b == b'A' { b'B' } else { b'A' };
    }
    String::from_utf8(bytes).unwrap_or_default()
}
