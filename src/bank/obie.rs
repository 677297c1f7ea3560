//! OBIE Read/Write style payment initiation: domestic payment consents,
//! domestic payments, their status and payment details. Requests carry a
//! detached JWS (`x-jws-signature`) made with the client's key and an
//! `x-idempotency-key`; responses are signed with the bank's PS256 key.
//! Served under v3.1 and v4.0 alike ([`ObVersion`]): the resources are
//! shared, and each answer speaks the version of the path it came by.

use super::faults::Fault;
use super::jws::{self, Style};
use super::mtls::PeerCertificate;
use super::oauth::resources::bearer;
use super::oauth::TokenGrant;
use super::ob_version::{ObVersion, StatusOf};
use super::state::Bank;
use super::store::random_token;
use crate::bank::fields::set;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use serde_json::{json, Value};
use std::sync::Arc;

/// GETs of a payment before it settles.
const GETS_TO_SETTLE: u32 = 1;

/// A stored consent or payment.
#[derive(Debug, Clone)]
pub struct Resource {
    /// The response `Data` object.
    pub data: Value,
    /// Client that created it.
    pub client_id: String,
    /// Status reads so far (payments settle after [`GETS_TO_SETTLE`]).
    pub reads: u32,
}

/// An OBIE error response (v3.1 codes; [`super::ob_errors`] finishes it
/// for the version and API). `Id` is a UUID: the schema allows 40 characters.
pub(super) fn error(status: StatusCode, code: &str, message: &str) -> Response {
    let body = json!({ "Code": status.as_u16().to_string(), "Id": crate::ids::uuid(), "Message": message, "Errors": [{ "ErrorCode": code, "Message": message }] });
    (status, axum::Json(body)).into_response()
}

fn signed(bank: &Bank, status: StatusCode, body: Value) -> Response {
    jws::signed(bank, status, &body, Style::Obie)
}

/// The grant behind a live Bearer token with the payments scope.
fn payments_grant(
    bank: &Bank,
    headers: &HeaderMap,
    peer: &PeerCertificate,
) -> Result<TokenGrant, Response> {
    scoped_grant(bank, headers, peer, "payments")
}

/// The grant behind a live Bearer token with `scope`, or the OBIE error.
pub(super) fn scoped_grant(
    bank: &Bank,
    headers: &HeaderMap,
    peer: &PeerCertificate,
    scope: &str,
) -> Result<TokenGrant, Response> {
    let grant = bearer(bank, headers, peer).ok_or_else(|| {
        error(
            StatusCode::UNAUTHORIZED,
            "UK.OBIE.Header.Invalid",
            "a valid Bearer access token is required",
        )
    })?;
    if !grant.scope.split_whitespace().any(|s| s == scope) {
        return Err(error(
            StatusCode::FORBIDDEN,
            "UK.OBIE.Resource.InvalidConsentStatus",
            &format!("the token lacks the {scope} scope"),
        ));
    }
    Ok(grant)
}

/// Checks the token, scope, JWS and idempotency key of a POST.
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
            "UK.OBIE.Header.Missing",
            "x-idempotency-key is required",
        )
    })?;
    match jws::verify_request(bank, &grant.client_id, headers, body) {
        Ok(true) => {}
        Ok(false) => {
            return Err(error(
                StatusCode::BAD_REQUEST,
                "UK.OBIE.Signature.Missing",
                "x-jws-signature is required",
            ))
        }
        Err(e) => {
            return Err(error(
                StatusCode::BAD_REQUEST,
                "UK.OBIE.Signature.Invalid",
                &e,
            ))
        }
    }
    Ok((grant, key))
}

/// Same key and body: the same resource; same key, other body: refused.
fn idempotent(
    bank: &Bank,
    client_id: &str,
    key: &str,
    body: &[u8],
) -> Result<Option<String>, Response> {
    jws::replayed(bank, client_id, key, body).map_err(|jws::KeyReused| {
        error(
            StatusCode::BAD_REQUEST,
            "UK.OBIE.Header.Invalid",
            "x-idempotency-key was used with a different body",
        )
    })
}

pub(super) fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// `POST /domestic-payment-consents`
pub async fn create_consent(
    State(bank): State<Arc<Bank>>,
    Extension(peer): Extension<PeerCertificate>,
    Extension(version): Extension<ObVersion>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if bank.faults.has(Fault::PaymentServerError) {
        return error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "UK.OBIE.UnexpectedError",
            "fault: payment.server_error",
        );
    }
    let (grant, key) = match admit(&bank, &headers, &peer, &body) {
        Ok(x) => x,
        Err(r) => return r,
    };
    match idempotent(&bank, &grant.client_id, &key, &body) {
        Ok(Some(id)) => return consent_response(&bank, version, &id, StatusCode::CREATED),
        Ok(None) => {}
        Err(r) => return r,
    }
    let request: Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(e) => {
            return error(
                StatusCode::BAD_REQUEST,
                "UK.OBIE.Field.Invalid",
                &format!("body is not JSON: {e}"),
            )
        }
    };
    let Some(initiation) = request.pointer("/Data/Initiation").cloned() else {
        return error(
            StatusCode::BAD_REQUEST,
            "UK.OBIE.Field.Missing",
            "Data.Initiation is required",
        );
    };
    let id = format!("sdp-{}", random_token());
    let data = json!({ "ConsentId": id, "Status": "AwaitingAuthorisation", "CreationDateTime": now(), "StatusUpdateDateTime": now(), "Initiation": initiation });
    bank.payment_consents.insert(
        id.clone(),
        Resource {
            data,
            client_id: grant.client_id.clone(),
            reads: 0,
        },
    );
    jws::remember(&bank, &grant.client_id, &key, &body, &id);
    consent_response(&bank, version, &id, StatusCode::CREATED)
}

fn consent_response(bank: &Bank, version: ObVersion, id: &str, status: StatusCode) -> Response {
    match bank.payment_consents.get(id) {
        Some(c) => {
            let mut data = version.with_status(StatusOf::PaymentConsent, &c.data);
            if bank.faults.has(Fault::PaymentSchemaViolation) {
                set(&mut data, "Status", json!("Pending"));
            }
            let base = version.pisp();
            signed(
                bank,
                status,
                json!({ "Data": data, "Risk": {}, "Links": { "Self": bank.url(&format!("{base}/domestic-payment-consents/{id}")) }, "Meta": {} }),
            )
        }
        None => error(
            StatusCode::NOT_FOUND,
            "UK.OBIE.Resource.NotFound",
            "no such consent",
        ),
    }
}

/// `GET /domestic-payment-consents/{id}`
pub async fn get_consent(
    State(bank): State<Arc<Bank>>,
    Extension(peer): Extension<PeerCertificate>,
    Extension(version): Extension<ObVersion>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    match reader(
        &bank,
        &headers,
        &peer,
        ("payments", &bank.payment_consents),
        &id,
    ) {
        Ok(()) => consent_response(&bank, version, &id, StatusCode::OK),
        Err(r) => r,
    }
}

/// A read needs a live token with the API's scope, of the client that
/// created the resource (else 401, 403 or 404).
pub(super) fn reader(
    bank: &Bank,
    headers: &HeaderMap,
    peer: &PeerCertificate,
    (scope, store): (&str, &super::store::Store<Resource>),
    id: &str,
) -> Result<(), Response> {
    let grant = scoped_grant(bank, headers, peer, scope)?;
    match store.get(id) {
        Some(r) if r.client_id == grant.client_id => Ok(()),
        _ => Err(error(
            StatusCode::NOT_FOUND,
            "UK.OBIE.Resource.NotFound",
            "no such resource",
        )),
    }
}

/// Marks a consent authorised when the PSU approved an authorization that
/// named it in `openbanking_intent_id`.
pub fn authorise(bank: &Bank, intent_id: &str) {
    bank.payment_consents.update(intent_id, |c| {
        set(&mut c.data, "Status", json!("Authorised"));
        set(&mut c.data, "StatusUpdateDateTime", json!(now()));
    });
}

/// `POST /domestic-payments`
pub async fn create_payment(
    State(bank): State<Arc<Bank>>,
    Extension(peer): Extension<PeerCertificate>,
    Extension(version): Extension<ObVersion>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (grant, key) = match admit(&bank, &headers, &peer, &body) {
        Ok(x) => x,
        Err(r) => return r,
    };
    match idempotent(&bank, &grant.client_id, &key, &body) {
        Ok(Some(id)) => return payment_response(&bank, version, &id, StatusCode::CREATED, false),
        Ok(None) => {}
        Err(r) => return r,
    }
    let request: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let consent_id = request
        .pointer("/Data/ConsentId")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let Some(consent) = bank.payment_consents.get(&consent_id) else {
        return error(
            StatusCode::BAD_REQUEST,
            "UK.OBIE.Resource.NotFound",
            "Data.ConsentId names no consent",
        );
    };
    let bound = grant
        .request
        .as_ref()
        .and_then(|r| r.requested_claim("openbanking_intent_id"));
    let unbound = bank.faults.has(Fault::PaymentConsentUnbound);
    if consent.data.get("Status") != Some(&json!("Authorised"))
        || (bound != Some(json!(consent_id)) && !unbound)
        || grant.sub.is_none()
    {
        return error(
            StatusCode::FORBIDDEN,
            "UK.OBIE.Resource.InvalidConsentStatus",
            "the consent is not authorised for this token",
        );
    }
    let initiation = consent.data.get("Initiation").unwrap_or(&Value::Null);
    if request.pointer("/Data/Initiation") != Some(initiation) {
        return error(
            StatusCode::BAD_REQUEST,
            "UK.OBIE.Resource.ConsentMismatch",
            "Data.Initiation differs from the consent",
        );
    }
    let id = format!(
        "pmt-{}",
        crate::ids::uuid().chars().take(32).collect::<String>()
    );
    let data = json!({ "DomesticPaymentId": id, "ConsentId": consent_id, "Status": "AcceptedSettlementInProcess", "CreationDateTime": now(), "StatusUpdateDateTime": now(), "Initiation": initiation });
    bank.payments.insert(
        id.clone(),
        Resource {
            data,
            client_id: grant.client_id.clone(),
            reads: 0,
        },
    );
    bank.payment_consents.update(&consent_id, |c| {
        set(&mut c.data, "Status", json!("Consumed"))
    });
    jws::remember(&bank, &grant.client_id, &key, &body, &id);
    payment_response(&bank, version, &id, StatusCode::CREATED, false)
}

/// The payment, advancing its status on reads unless it is stuck.
fn payment_response(
    bank: &Bank,
    version: ObVersion,
    id: &str,
    status: StatusCode,
    read: bool,
) -> Response {
    if read && !bank.faults.has(Fault::PaymentStatusStuck) {
        bank.payments.update(id, |p| {
            p.reads += 1;
            if p.reads > GETS_TO_SETTLE {
                let settled = if bank.faults.has(Fault::PaymentStatusUnknown) {
                    "Settled"
                } else {
                    "AcceptedSettlementCompleted"
                };
                set(&mut p.data, "Status", json!(settled));
                set(&mut p.data, "StatusUpdateDateTime", json!(now()));
            }
        });
    }
    match bank.payments.get(id) {
        Some(p) => signed(
            bank,
            status,
            json!({ "Data": version.with_status(StatusOf::Payment, &p.data), "Links": { "Self": bank.url(&format!("{}/domestic-payments/{id}", version.pisp())) }, "Meta": {} }),
        ),
        None => error(
            StatusCode::NOT_FOUND,
            "UK.OBIE.Resource.NotFound",
            "no such payment",
        ),
    }
}

/// `GET /domestic-payments/{id}`
pub async fn get_payment(
    State(bank): State<Arc<Bank>>,
    Extension(peer): Extension<PeerCertificate>,
    Extension(version): Extension<ObVersion>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    match reader(&bank, &headers, &peer, ("payments", &bank.payments), &id) {
        Ok(()) => payment_response(&bank, version, &id, StatusCode::OK, true),
        Err(r) => r,
    }
}

/// `GET /domestic-payments/{id}/payment-details`
pub async fn payment_details(
    State(bank): State<Arc<Bank>>,
    Extension(peer): Extension<PeerCertificate>,
    Extension(version): Extension<ObVersion>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    if let Err(r) = reader(&bank, &headers, &peer, ("payments", &bank.payments), &id) {
        return r;
    }
    match bank.payments.get(&id) {
        Some(p) => {
            let data = version.with_status(StatusOf::Payment, &p.data);
            let base = version.pisp();
            signed(
                &bank,
                StatusCode::OK,
                json!({ "Data": { "PaymentStatus": [{ "PaymentTransactionId": id, "Status": data.get("Status"), "StatusUpdateDateTime": data.get("StatusUpdateDateTime") }] }, "Links": { "Self": bank.url(&format!("{base}/domestic-payments/{id}/payment-details")) }, "Meta": {} }),
            )
        }
        None => error(
            StatusCode::NOT_FOUND,
            "UK.OBIE.Resource.NotFound",
            "no such payment",
        ),
    }
}

/// Middleware: every answer of the payment API echoes the client's
/// `x-fapi-interaction-id` or carries a fresh one; the OBIE OpenAPI makes
/// it a required response header.
pub async fn interaction_id(
    axum::extract::State(bank): axum::extract::State<std::sync::Arc<Bank>>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let dropped = bank.faults.has(Fault::PaymentInteractionIdDropped);
    crate::bank::ais::echo_interaction_id(request, next, dropped).await
}
