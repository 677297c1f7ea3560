//! `POST /par`: pushed authorization requests (RFC 9126).

use super::authorize::{validate, Refusal};
use super::client_auth::ClientForm;
use super::OAuthError;
use crate::bank::faults::Fault;
use crate::bank::state::{Bank, Pushed};
use crate::bank::store::{now, random_token};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;
use std::sync::Arc;

/// RFC 9449 §10.1: a proof sent with the pushed request binds the code to
/// its key, and must be the key `dpop_jkt` names when both are sent.
fn bind_to_proof(
    bank: &Bank,
    headers: &axum::http::HeaderMap,
    mut request: crate::bank::oauth::AuthRequest,
) -> Result<crate::bank::oauth::AuthRequest, OAuthError> {
    let Some(jkt) = super::dpop::par_binding(bank, headers)? else {
        return Ok(request);
    };
    if bank.faults.has(Fault::DpopJktIgnored) {
        return Ok(request);
    }
    match &request.dpop_jkt {
        Some(named) if *named != jkt => Err(OAuthError::bad(
            "invalid_dpop_proof",
            "the DPoP proof's key is not the one `dpop_jkt` names",
        )),
        _ => {
            request.dpop_jkt = Some(jkt);
            Ok(request)
        }
    }
}

/// `POST /par`
pub async fn par(
    State(bank): State<Arc<Bank>>,
    ClientForm {
        client,
        form,
        headers,
        ..
    }: ClientForm,
) -> Response {
    let client = &client;
    let mut params = form.clone();
    params.insert("client_id".into(), client.id.to_string());
    let request = match validate(&bank, &params, false) {
        Ok(r) => match bind_to_proof(&bank, &headers, r) {
            Ok(r) => r,
            Err(e) => return e.into_response(),
        },
        Err(Refusal::Page(why)) => return OAuthError::bad("invalid_request", why).into_response(),
        Err(Refusal::Redirect {
            error, description, ..
        }) => return OAuthError::bad(error, description).into_response(),
    };
    let uri = format!("urn:ietf:params:oauth:request_uri:{}", random_token());
    bank.pushed.insert(
        uri.clone(),
        Pushed {
            request,
            exp: now() + bank.request_uri_lifetime,
            used: false,
        },
    );
    let status = if bank.faults.has(crate::bank::faults::Fault::ParWrongStatus) {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    (
        status,
        [("cache-control", "no-store")],
        axum::Json(json!({ "request_uri": uri, "expires_in": bank.request_uri_lifetime })),
    )
        .into_response()
}
