//! DPoP at the bank (RFC 9449): the token endpoint binds tokens to the key
//! of a valid proof, and a layer in front of every resource checks the
//! proof that comes with a DPoP-bound token.

use super::OAuthError;
use crate::bank::faults::Fault;
use crate::bank::state::Bank;
use crate::bank::store::now;
use crate::jose::dpop::{check_proof, thumbprint, ProofCheck};
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::sync::Arc;

/// How far a proof's `iat` may be from the bank's clock, seconds.
const LEEWAY: i64 = 60;

/// The leeway in force: 60 s, or 5 s under the fault (too strict for the
/// clock skew FAPI 2 clients may have).
fn leeway(bank: &Bank) -> i64 {
    if bank.faults.has(Fault::DpopClockStrict) {
        5
    } else {
        LEEWAY
    }
}

fn proof_header(headers: &HeaderMap) -> Option<&str> {
    headers.get("dpop").and_then(|v| v.to_str().ok())
}

/// The `jkt` a token request's proof binds the tokens to; `None` without a
/// `DPoP` header (the tokens are then Bearer tokens).
pub fn token_binding(bank: &Bank, headers: &HeaderMap) -> Result<Option<String>, OAuthError> {
    binding_at(bank, headers, "/token")
}

/// The `jkt` of the proof sent with a pushed request (RFC 9449 §10.1): the
/// code will be bound to it.
pub fn par_binding(bank: &Bank, headers: &HeaderMap) -> Result<Option<String>, OAuthError> {
    binding_at(bank, headers, "/par")
}

fn binding_at(bank: &Bank, headers: &HeaderMap, path: &str) -> Result<Option<String>, OAuthError> {
    let Some(proof) = proof_header(headers) else {
        return Ok(None);
    };
    if bank.faults.has(Fault::DpopNotBound) {
        return Ok(None);
    }
    if bank.faults.has(Fault::DpopTokenProofUnchecked) {
        return Ok(unchecked_jkt(proof));
    }
    let expect = ProofCheck {
        method: "POST",
        url: &bank.url(path),
        access_token: None,
        now: now(),
        leeway: leeway(bank),
    };
    check_fresh(bank, proof, &expect)
        .map(Some)
        .map_err(|why| OAuthError::bad("invalid_dpop_proof", why))
}

/// A proof that checks and was not seen before; its key's `jkt`.
fn check_fresh(bank: &Bank, proof: &str, expect: &ProofCheck<'_>) -> Result<String, String> {
    let checked = check_proof(proof, expect)?;
    let key = format!("dpop|{}", checked.jti);
    if bank.seen_jtis.get(&key).is_some() {
        return Err("the proof's `jti` was used before".into());
    }
    bank.seen_jtis.insert(key, now() + LEEWAY);
    Ok(checked.jkt)
}

/// The thumbprint of a proof's header key, taken on trust (the fault).
fn unchecked_jkt(proof: &str) -> Option<String> {
    let (header, _) = crate::jose::decode_unverified(proof).ok()?;
    match header.get("jwk") {
        Some(serde_json::Value::Object(jwk)) => thumbprint(jwk).ok(),
        _ => None,
    }
}

/// The token of an `Authorization` header under `scheme`, matched without
/// regard to case (RFC 9110 §11.1) unless `exact` (the fault).
pub fn scheme_token<'a>(headers: &'a HeaderMap, scheme: &str, exact: bool) -> Option<&'a str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (given, token) = value.split_once(' ')?;
    let same = if exact {
        given == scheme
    } else {
        given.eq_ignore_ascii_case(scheme)
    };
    same.then(|| token.trim())
}

/// The layer in front of every route: a request that presents a token
/// under the DPoP scheme must carry a proof for this method and URL, signed
/// by the key the token is bound to, with the token's hash (RFC 9449 §7.1).
/// Otherwise it is answered 401 here; the handlers then trust the scheme.
pub async fn resource_layer(State(bank): State<Arc<Bank>>, req: Request, next: Next) -> Response {
    let exact = bank.faults.has(Fault::ResourceSchemeCaseSensitive);
    let Some(token) = scheme_token(req.headers(), "DPoP", exact) else {
        return next.run(req).await;
    };
    if bank.faults.has(Fault::DpopResourceProofUnchecked) {
        return next.run(req).await;
    }
    let bound = bank.access_tokens.get(token).and_then(|g| g.jkt);
    let url = bank.url(req.uri().path());
    let expect = ProofCheck {
        method: req.method().as_str(),
        url: &url,
        access_token: Some(token),
        now: now(),
        leeway: leeway(&bank),
    };
    let verdict = match (bound, proof_header(req.headers())) {
        (None, _) => Err("the token is not DPoP-bound".to_string()),
        (Some(_), None) => Err("no `DPoP` proof".to_string()),
        (Some(jkt), Some(proof)) => check_fresh(&bank, proof, &expect).and_then(|got| {
            (got == jkt)
                .then_some(())
                .ok_or_else(|| "the proof's key is not the one the token is bound to".to_string())
        }),
    };
    match verdict {
        Ok(()) => next.run(req).await,
        Err(why) => refused(&why),
    }
}

fn refused(why: &str) -> Response {
    let challenge = format!(
        "DPoP error=\"invalid_dpop_proof\", error_description=\"{}\", algs=\"ES256 PS256\"",
        why.replace('"', "'")
    );
    (
        StatusCode::UNAUTHORIZED,
        [(header::WWW_AUTHENTICATE, challenge)],
        axum::Json(serde_json::json!({"error": "invalid_dpop_proof", "error_description": why})),
    )
        .into_response()
}
