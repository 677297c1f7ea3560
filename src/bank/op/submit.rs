//! `PUT /sepa-payments/{id}/submissions/{submissionId}` and the status
//! progression after submission.

use super::{error, exemption, owned, payment_response, payments_grant};
use crate::bank::faults::Fault;
use crate::bank::fields::set;
use crate::bank::mtls::PeerCertificate;
use crate::bank::oauth::TokenGrant;
use crate::bank::state::Bank;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::Extension;
use serde_json::{json, Value};
use std::sync::Arc;

/// Statuses after submission, one per [`STEP`] of time; the last is terminal.
const PROGRESSION: [&str; 3] = ["Submitted", "Processing", "Completed"];
/// How long a submitted payment stays in each status before the terminal one.
const STEP: std::time::Duration = std::time::Duration::from_millis(150);

/// `PUT …/submissions/{submissionId}` with a PSU token authorised for the
/// payment's bundle. Repeating the same submission id is idempotent.
pub async fn submit(
    State(bank): State<Arc<Bank>>,
    Extension(peer): Extension<PeerCertificate>,
    headers: HeaderMap,
    Path((id, submission)): Path<(String, String)>,
) -> Response {
    let grant = match payments_grant(&bank, &headers, &peer) {
        Ok(g) => g,
        Err(r) => return r,
    };
    let payment = match owned(&bank, &grant, &id) {
        Ok(p) => p,
        Err(r) => return r,
    };
    match payment.submission_id.as_deref() {
        Some(s) if s == submission => return payment_response(&bank, &id, StatusCode::OK),
        Some(_) => {
            return error(
                StatusCode::CONFLICT,
                "already_submitted",
                "the payment was submitted under another submissionId",
            )
        }
        None => {}
    }
    if let Err(reason) = authorised(&bank, &grant, &payment) {
        return error(StatusCode::FORBIDDEN, "unauthorized_payment", &reason);
    }
    if let Err(reason) = exemption::charge(&bank, &grant, &payment) {
        return error(StatusCode::FORBIDDEN, "exemption_refused", &reason);
    }
    bank.op_payments.update(&id, |p| {
        p.submission_id = Some(submission.clone());
        p.submitted_at = Some(std::time::Instant::now());
        set(&mut p.data, "status", json!(PROGRESSION[0]));
        set(&mut p.data, "submissionId", json!(submission));
        set(&mut p.data, "modified", json!(crate::bank::obie::now()));
    });
    payment_response(&bank, &id, StatusCode::OK)
}

/// The token must come from an authorization (SCA or exemption) that named
/// the payment's `authorizationId`, and the payment must be authorised.
fn authorised(bank: &Bank, grant: &TokenGrant, payment: &super::SepaPayment) -> Result<(), String> {
    if bank.faults.has(Fault::SubmissionUnauthorisedAccepted) {
        return Ok(());
    }
    let named = grant
        .request
        .as_ref()
        .and_then(|r| r.requested_claim("authorizationId"));
    if grant.sub.is_none() || named != Some(json!(payment.authorization_id)) {
        return Err(format!(
            "the access token was not authorised for authorizationId {}",
            payment.authorization_id
        ));
    }
    match payment.data.get("status").and_then(Value::as_str) {
        Some("Authorized") => Ok(()),
        other => Err(format!("the payment is {}", other.unwrap_or("unknown"))),
    }
}

/// Brings a submitted payment's status up to date (unless it is stuck).
pub(super) fn advance(bank: &Bank, id: &str) {
    if bank.faults.has(Fault::PaymentStatusStuck) {
        return;
    }
    bank.op_payments.update(id, |p| {
        let Some(at) = p.submitted_at else {
            return;
        };
        let steps = at.elapsed().as_millis() / STEP.as_millis();
        // Past the last status, it stays there.
        let status = PROGRESSION.get(steps as usize).or(PROGRESSION.last());
        set(&mut p.data, "status", json!(status));
        set(&mut p.data, "modified", json!(crate::bank::obie::now()));
    });
}
