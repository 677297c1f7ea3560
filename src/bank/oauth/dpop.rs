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

/// Seconds one DPoP nonce is current; the one before is still accepted.
const NONCE_WINDOW: i64 = 300;

/// Which of the bank's servers a nonce is for: nonces are accepted only by
/// the server that supplied them (RFC 9449 §9).
#[derive(Debug, Clone, Copy)]
enum Server {
    Authorization,
    Resource,
}

/// The nonce of a server in a window: a hash of the bank's secret, so
/// clients cannot predict it (RFC 9449 §8 MUST), and no state is kept.
fn nonce_in(bank: &Bank, server: Server, window: i64) -> String {
    use base64::Engine;
    use sha2::Digest;
    let mut h = sha2::Sha256::new();
    h.update(bank.dpop_nonce_secret);
    h.update(format!("{server:?}|{window}"));
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(h.finalize())
}

fn current_nonce(bank: &Bank, server: Server) -> String {
    nonce_in(bank, server, now() / NONCE_WINDOW)
}

/// Whether a proof's nonce will do: any, when the bank demands none (or
/// under the fault, once one is sent); else the current or last one.
fn nonce_accepted(bank: &Bank, server: Server, given: Option<&str>) -> bool {
    if !bank.dpop_nonces {
        return true;
    }
    let Some(given) = given else {
        return false;
    };
    let window = now() / NONCE_WINDOW;
    bank.faults.has(Fault::DpopNonceUnchecked)
        || given == nonce_in(bank, server, window)
        || given == nonce_in(bank, server, window - 1)
}

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
    let checked = check_fresh(bank, proof, &expect)
        .map_err(|why| OAuthError::bad("invalid_dpop_proof", why))?;
    if !nonce_accepted(bank, Server::Authorization, checked.nonce.as_deref()) {
        // RFC 9449 §8: 400 `use_dpop_nonce`; the layer adds `DPoP-Nonce`.
        return Err(OAuthError::bad(
            "use_dpop_nonce",
            "the authorization server requires its nonce in the DPoP proof",
        ));
    }
    Ok(Some(checked.jkt))
}

/// A proof that checks and was not seen before.
fn check_fresh(
    bank: &Bank,
    proof: &str,
    expect: &ProofCheck<'_>,
) -> Result<crate::jose::dpop::CheckedProof, String> {
    let checked = check_proof(proof, expect)?;
    let key = format!("dpop|{}", checked.jti);
    if bank.seen_jtis.get(&key).is_some() {
        return Err("the proof's `jti` was used before".into());
    }
    bank.seen_jtis.insert(key, now() + LEEWAY);
    Ok(checked)
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
    let proved = proof_header(req.headers()).is_some();
    let server = match req.uri().path() {
        "/token" | "/par" => Server::Authorization,
        _ => Server::Resource,
    };
    let mut response = checked_resource(&bank, req, next).await;
    // Every answer to a proved request names the nonce to use next (RFC
    // 9449 §8.2), refusals for want of one included.
    if proved && bank.dpop_nonces {
        if let Ok(nonce) = header::HeaderValue::from_str(&current_nonce(&bank, server)) {
            let headers = response.headers_mut();
            headers.insert("dpop-nonce", nonce.clone());
            if bank.faults.has(Fault::DpopNonceHeaderDoubled) {
                headers.append("dpop-nonce", nonce);
            }
        }
    }
    response
}

async fn checked_resource(bank: &Bank, req: Request, next: Next) -> Response {
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
        leeway: leeway(bank),
    };
    let verdict = match (bound, proof_header(req.headers())) {
        (None, _) => Err("the token is not DPoP-bound".to_string()),
        (Some(_), None) => Err("no `DPoP` proof".to_string()),
        (Some(jkt), Some(proof)) => check_fresh(bank, proof, &expect).and_then(|got| {
            (got.jkt == jkt)
                .then_some(got.nonce)
                .ok_or_else(|| "the proof's key is not the one the token is bound to".to_string())
        }),
    };
    match verdict {
        Ok(nonce) if !nonce_accepted(bank, Server::Resource, nonce.as_deref()) => refused(
            "use_dpop_nonce",
            "the resource server requires its nonce in the DPoP proof",
        ),
        Ok(_) => next.run(req).await,
        Err(why) => refused("invalid_dpop_proof", &why),
    }
}

/// A 401 with a DPoP challenge (RFC 9449 §7.1, §9).
fn refused(error: &str, why: &str) -> Response {
    let challenge = format!(
        "DPoP error=\"{error}\", error_description=\"{}\", algs=\"ES256 PS256\"",
        why.replace('"', "'")
    );
    (
        StatusCode::UNAUTHORIZED,
        [(header::WWW_AUTHENTICATE, challenge)],
        axum::Json(serde_json::json!({"error": error, "error_description": why})),
    )
        .into_response()
}
