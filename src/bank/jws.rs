//! Detached JWS on the resource APIs: request signatures verified with the
//! client's registered key, response bodies signed with the bank's key.

use super::faults::Fault;
use super::state::Bank;
use crate::jose::{sign_detached, verify_detached, DetachedForm};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

/// Which signing convention an API follows.
#[derive(Debug, Clone, Copy)]
pub enum Style {
    /// OBIE: PS256, `b64: false` with the OB claims in `crit`.
    Obie,
    /// OP PSD2: ES256, the plain detached form `header..signature`.
    Op,
}

/// A JSON response whose body is signed in `x-jws-signature` (unless a
/// payment-signature fault says otherwise).
pub fn signed(bank: &Bank, status: StatusCode, body: &Value, style: Style) -> Response {
    let text = body.to_string();
    let mut response =
        (status, [("content-type", "application/json")], text.clone()).into_response();
    if bank.faults.has(Fault::PaymentUnsignedResponse) {
        return response;
    }
    let (key, form) = match style {
        Style::Obie => (
            &bank.keys.ps256,
            DetachedForm::Obie {
                iss: bank.issuer.clone(),
                tan: "openbanking.org.uk".into(),
            },
        ),
        Style::Op => (&bank.keys.es256, DetachedForm::Plain),
    };
    if let Ok(mut jws) = sign_detached(text.as_bytes(), &key.private, key.alg, &key.kid, &form) {
        if bank.faults.has(Fault::PaymentBadResponseSignature) {
            jws.push_str("AAAA");
        }
        if let Ok(v) = jws.parse() {
            response.headers_mut().insert("x-jws-signature", v);
        }
    }
    response
}

/// Verifies `x-jws-signature` over `body` with the client's key. `Ok(false)`
/// when the header is absent; `Err` names what is wrong.
pub fn verify_request(
    bank: &Bank,
    client_id: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<bool, String> {
    let Some(jws) = headers.get("x-jws-signature") else {
        return Ok(false);
    };
    let jws = jws.to_str().map_err(|_| "x-jws-signature is not ASCII")?;
    let client = bank.client(client_id).ok_or("unknown client")?;
    let public = client.key.to_public_key().map_err(|e| e.to_string())?;
    verify_detached(jws, body, &public, &["PS256", "ES256", "RS256"])
        .map(|_| true)
        .map_err(|e| format!("x-jws-signature: {e}"))
}

/// The `x-idempotency-key` header, when present and not empty.
pub fn idempotency_key(headers: &HeaderMap) -> Option<String> {
    headers
        .get("x-idempotency-key")
        .and_then(|v| v.to_str().ok())
        .filter(|k| !k.is_empty())
        .map(str::to_string)
}

/// An idempotency key reused with a different body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyReused;

/// Same key and body: the stored resource id; same key, other body:
/// [`KeyReused`]. Ignored entirely under `idempotency.ignored`.
pub fn replayed(
    bank: &Bank,
    client_id: &str,
    key: &str,
    body: &[u8],
) -> Result<Option<String>, KeyReused> {
    if bank.faults.has(Fault::IdempotencyIgnored) {
        return Ok(None);
    }
    match bank.idempotency.get(&format!("{client_id}|{key}")) {
        Some((hash, id)) if hash == body_hash(body) => Ok(Some(id)),
        Some(_) => Err(KeyReused),
        None => Ok(None),
    }
}

/// Remembers which resource a key and body created.
pub fn remember(bank: &Bank, client_id: &str, key: &str, body: &[u8], id: &str) {
    bank.idempotency.insert(
        format!("{client_id}|{key}"),
        (body_hash(body), id.to_string()),
    );
}

fn body_hash(body: &[u8]) -> String {
    super::mtls::thumbprint(body)
}
