//! OP PSD2 style payment initiation (`/payments-psd2/v1`): SEPA payments
//! bundled under an `authorizationId`, GET and DELETE of payments and
//! authorizations, submissions, and the exemption flow's limits. Requests may
//! carry a detached JWS (mandatory with a PSU token, i.e. in the exemption
//! flow); responses are signed in the plain detached form with ES256.

pub mod exemption;
mod submit;

pub use submit::submit;

use super::faults::Fault;
use super::jws::{self, Style};
use super::mtls::PeerCertificate;
use super::oauth::resources::bearer;
use super::oauth::TokenGrant;
use super::state::Bank;
use crate::bank::fields::set;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use serde_json::{json, Value};
use std::sync::Arc;

/// The API base path.
pub const BASE: &str = "/payments-psd2/v1";

/// A SEPA payment.
#[derive(Debug, Clone)]
pub struct SepaPayment {
    /// The response body.
    pub data: Value,
    /// Client that created it.
    pub client_id: String,
    /// Its bundle.
    pub authorization_id: String,
    /// Amount in euro cents.
    pub cents: i64,
    /// When it was submitted (the status advances with time from then).
    pub submitted_at: Option<std::time::Instant>,
    /// The submission id, once submitted.
    pub submission_id: Option<String>,
}

/// A bundle of payments authorised together.
#[derive(Debug, Clone)]
pub struct Authorization {
    /// Client that opened it.
    pub client_id: String,
    /// Its payments.
    pub payment_ids: Vec<String>,
    /// `Unauthorized`, `Authorized` or `Revoked`.
    pub status: &'static str,
    /// The PSU whose token created it: an exemption-flow candidate.
    pub psu: Option<String>,
    /// Authorised by the exemption grant rather than SCA.
    pub exemption: bool,
}

fn error(status: StatusCode, code: &str, message: &str) -> Response {
    let body = json!({ "type": code, "title": message, "status": status.as_u16() });
    (status, axum::Json(body)).into_response()
}

fn signed(bank: &Bank, status: StatusCode, body: &Value) -> Response {
    jws::signed(bank, status, body, Style::Op)
}

/// The grant behind the Bearer token, which must carry the `payments` scope.
fn payments_grant(
    bank: &Bank,
    headers: &HeaderMap,
    peer: &PeerCertificate,
) -> Result<TokenGrant, Response> {
    let grant = bearer(bank, headers, peer).ok_or_else(|| {
        error(
            StatusCode::UNAUTHORIZED,
            "invalid_token",
            "a valid Bearer access token is required",
        )
    })?;
    if !grant.scope.split_whitespace().any(|s| s == "payments") {
        return Err(error(
            StatusCode::FORBIDDEN,
            "insufficient_scope",
            "the token lacks the payments scope",
        ));
    }
    Ok(grant)
}

/// Parses `amountEUR` ("4.00") into cents.
pub fn cents(amount: &str) -> Option<i64> {
    let (euros, fraction) = amount.split_once('.').unwrap_or((amount, "0"));
    if fraction.len() > 2 || euros.is_empty() || !euros.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let fraction = format!("{fraction:0<2}");
    let value = euros.parse::<i64>().ok()? * 100 + fraction.parse::<i64>().ok()?;
    (value > 0).then_some(value)
}

/// What a valid creation request asks for.
struct Order {
    cents: i64,
    bundle: Option<String>,
    body: Value,
}

fn order(body: &[u8]) -> Result<Order, Response> {
    let bad = |m: &str| error(StatusCode::BAD_REQUEST, "invalid_request", m);
    let body: Value =
        serde_json::from_slice(body).map_err(|e| bad(&format!("body is not JSON: {e}")))?;
    let iban = |who: &str| {
        body.pointer(&format!("/{who}/iban"))
            .and_then(Value::as_str)
    };
    if iban("payee").is_none() || iban("payer").is_none() {
        return Err(bad("payee.iban and payer.iban are required"));
    }
    let amount = body.get("amountEUR").and_then(Value::as_str).unwrap_or("");
    let cents = cents(amount).ok_or_else(|| {
        bad(&format!(
            "amountEUR must be a positive decimal string, got {amount:?}"
        ))
    })?;
    let bundle = body
        .get("authorizationId")
        .and_then(Value::as_str)
        .map(str::to_string);
    Ok(Order {
        cents,
        bundle,
        body,
    })
}

/// `POST /sepa-payments`
pub async fn create(
    State(bank): State<Arc<Bank>>,
    Extension(peer): Extension<PeerCertificate>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    match admit(&bank, &headers, &peer, &body).and_then(|(grant, key)| {
        let order = order(&body)?;
        open(&bank, &grant, order, &key, &body)
    }) {
        Ok(id) => payment_response(&bank, &id, StatusCode::CREATED),
        Err(r) => r,
    }
}

/// Token, idempotency key and signature: the JWS is mandatory when a PSU
/// token is used (the exemption flow) and verified whenever present.
fn admit(
    bank: &Bank,
    headers: &HeaderMap,
    peer: &PeerCertificate,
    body: &[u8],
) -> Result<(TokenGrant, String), Response> {
    let grant = payments_grant(bank, headers, peer)?;
    let key = jws::idempotency_key(headers).ok_or_else(|| {
        error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "x-idempotency-key is required",
        )
    })?;
    match jws::verify_request(bank, &grant.client_id, headers, body) {
        Ok(false) if grant.sub.is_some() => Err(error(
            StatusCode::BAD_REQUEST,
            "invalid_signature",
            "x-jws-signature is mandatory in the exemption flow",
        )),
        Err(e) => Err(error(StatusCode::BAD_REQUEST, "invalid_signature", &e)),
        Ok(_) => Ok((grant, key)),
    }
}

/// Creates the payment (or finds the one this idempotency key made) and
/// files it under its bundle; returns the payment id.
fn open(
    bank: &Bank,
    grant: &TokenGrant,
    order: Order,
    key: &str,
    raw: &[u8],
) -> Result<String, Response> {
    let client = grant.client_id.as_str();
    match jws::replayed(bank, client, key, raw) {
        Ok(Some(id)) => return Ok(id),
        Ok(None) => {}
        Err(jws::KeyReused) => {
            return Err(error(
                StatusCode::BAD_REQUEST,
                "idempotency_conflict",
                "x-idempotency-key was used with a different body",
            ))
        }
    }
    let bundle = bundle_for(bank, grant, order.bundle)?;
    let id = crate::ids::uuid();
    let now = super::obie::now();
    let mut data = order.body;
    set(&mut data, "paymentId", json!(id));
    set(&mut data, "authorizationId", json!(bundle));
    set(&mut data, "status", json!("Unauthorized"));
    set(&mut data, "created", json!(now));
    set(&mut data, "modified", json!(now));
    set(&mut data, "paymentOrder", json!("SEPA"));
    set(&mut data, "paymentType", json!("SepaPayment"));
    set(&mut data, "detailsOfCharges", json!("SHA"));
    bank.op_authorizations
        .update(&bundle, |a| a.payment_ids.push(id.clone()));
    set(
        &mut data,
        "count",
        json!(bank
            .op_authorizations
            .get(&bundle)
            .map_or(1, |a| a.payment_ids.len())),
    );
    let payment = SepaPayment {
        data,
        client_id: client.into(),
        authorization_id: bundle,
        cents: order.cents,
        submitted_at: None,
        submission_id: None,
    };
    bank.op_payments.insert(id.clone(), payment);
    jws::remember(bank, client, key, raw, &id);
    Ok(id)
}

/// The bundle a new payment joins: the one named (open, this client's, not
/// in the exemption flow) or a new one.
fn bundle_for(bank: &Bank, grant: &TokenGrant, named: Option<String>) -> Result<String, Response> {
    let refuse = |m: &str| error(StatusCode::BAD_REQUEST, "invalid_authorization", m);
    match named.filter(|_| !bank.faults.has(Fault::BundleIgnored)) {
        Some(_) if grant.sub.is_some() => Err(refuse("exemption-flow payments cannot be bundled")),
        Some(id) => match bank.op_authorizations.get(&id) {
            Some(a) if a.client_id == grant.client_id && a.status == "Unauthorized" => Ok(id),
            Some(_) => Err(refuse(
                "the authorizationId is not an open bundle of this client",
            )),
            None => Err(refuse("no such authorizationId")),
        },
        None => {
            let id = crate::ids::uuid();
            let authorization = Authorization {
                client_id: grant.client_id.clone(),
                payment_ids: vec![],
                status: "Unauthorized",
                psu: grant.sub.clone(),
                exemption: false,
            };
            bank.op_authorizations.insert(id.clone(), authorization);
            Ok(id)
        }
    }
}

fn payment_response(bank: &Bank, id: &str, status: StatusCode) -> Response {
    match bank.op_payments.get(id) {
        Some(p) => signed(bank, status, &p.data),
        None => error(StatusCode::NOT_FOUND, "not_found", "no such payment"),
    }
}

/// The payment, if the token's client owns it.
fn owned(bank: &Bank, grant: &TokenGrant, id: &str) -> Result<SepaPayment, Response> {
    match bank.op_payments.get(id) {
        Some(p) if p.client_id == grant.client_id => Ok(p),
        _ => Err(error(StatusCode::NOT_FOUND, "not_found", "no such payment")),
    }
}

/// `GET /sepa-payments/{id}`: the status advances with time after submission.
pub async fn get(
    State(bank): State<Arc<Bank>>,
    Extension(peer): Extension<PeerCertificate>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let found = payments_grant(&bank, &headers, &peer).and_then(|g| owned(&bank, &g, &id));
    if let Err(r) = found {
        return r;
    }
    submit::advance(&bank, &id);
    payment_response(&bank, &id, StatusCode::OK)
}

/// `DELETE /sepa-payments/{id}`: erase a payment before submission.
pub async fn delete(
    State(bank): State<Arc<Bank>>,
    Extension(peer): Extension<PeerCertificate>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let payment = match payments_grant(&bank, &headers, &peer).and_then(|g| owned(&bank, &g, &id)) {
        Ok(p) => p,
        Err(r) => return r,
    };
    if payment.submission_id.is_some() {
        return error(
            StatusCode::CONFLICT,
            "already_submitted",
            "a submitted payment cannot be deleted",
        );
    }
    if !bank.faults.has(Fault::PaymentDeleteIgnored) {
        bank.op_payments.take(&id);
        bank.op_authorizations
            .update(&payment.authorization_id, |a| {
                a.payment_ids.retain(|p| p != &id)
            });
    }
    StatusCode::NO_CONTENT.into_response()
}

fn authorization_body(id: &str, a: &Authorization) -> Value {
    json!({ "authorizationId": id, "status": a.status, "paymentIds": a.payment_ids, "count": a.payment_ids.len() })
}

/// `GET /authorizations/{id}`: the bundle and its payments.
pub async fn get_authorization(
    State(bank): State<Arc<Bank>>,
    Extension(peer): Extension<PeerCertificate>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let grant = match payments_grant(&bank, &headers, &peer) {
        Ok(g) => g,
        Err(r) => return r,
    };
    match bank.op_authorizations.get(&id) {
        Some(a) if a.client_id == grant.client_id => {
            signed(&bank, StatusCode::OK, &authorization_body(&id, &a))
        }
        _ => error(StatusCode::NOT_FOUND, "not_found", "no such authorization"),
    }
}

/// `DELETE /authorizations/{id}`: revokes the bundle and its unsubmitted payments.
pub async fn delete_authorization(
    State(bank): State<Arc<Bank>>,
    Extension(peer): Extension<PeerCertificate>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let grant = match payments_grant(&bank, &headers, &peer) {
        Ok(g) => g,
        Err(r) => return r,
    };
    let revoked = bank.op_authorizations.update(&id, |a| {
        (a.client_id == grant.client_id).then(|| {
            a.status = "Revoked";
            a.payment_ids.clone()
        })
    });
    let Some(Some(payments)) = revoked else {
        return error(StatusCode::NOT_FOUND, "not_found", "no such authorization");
    };
    for p in payments {
        bank.op_payments.update(&p, |p| {
            if p.submission_id.is_none() {
                set(&mut p.data, "status", json!("Cancelled"));
            }
        });
    }
    StatusCode::NO_CONTENT.into_response()
}

/// Marks a bundle authorised when the PSU approved an authorization whose
/// claims named it in `authorizationId` (a strong customer authentication).
pub fn authorise(bank: &Bank, authorization_id: &str, sub: &str) {
    let Some(a) = bank.op_authorizations.get(authorization_id) else {
        return;
    };
    if a.status != "Unauthorized" {
        return;
    }
    set_authorized(bank, authorization_id, false);
    exemption::reset_after_sca(bank, sub, &a.client_id);
}

/// Marks a bundle and its payments `Authorized`.
fn set_authorized(bank: &Bank, authorization_id: &str, exemption: bool) {
    let Some(ids) = bank.op_authorizations.update(authorization_id, |a| {
        a.status = "Authorized";
        a.exemption = exemption;
        a.payment_ids.clone()
    }) else {
        return;
    };
    for id in ids {
        bank.op_payments.update(&id, |p| {
            set(&mut p.data, "status", json!("Authorized"));
            set(&mut p.data, "modified", json!(super::obie::now()));
        });
    }
}
