//! `/userinfo`, `/introspect` (RFC 7662) and `/revoke` (RFC 7009).

use super::client_auth::ClientForm;
use super::TokenGrant;
use crate::bank::faults::Fault;
use crate::bank::mtls::PeerCertificate;
use crate::bank::state::Bank;
use crate::bank::store::now;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use serde_json::json;
use std::sync::Arc;

/// The live grant behind a Bearer access token; a certificate-bound token
/// counts only on a connection with the same client certificate (RFC 8705 §3).
pub fn bearer(bank: &Bank, headers: &HeaderMap, peer: &PeerCertificate) -> Option<TokenGrant> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let token = value.strip_prefix("Bearer ")?;
    let grant = bank
        .access_tokens
        .get(token.trim())
        .filter(|g| g.exp > now())?;
    match &grant.cnf {
        Some(bound) if peer.thumbprint().as_ref() != Some(bound) => None,
        _ => Some(grant),
    }
}

fn unauthorized() -> Response {
    (
        StatusCode::UNAUTHORIZED,
        [(header::WWW_AUTHENTICATE, "Bearer error=\"invalid_token\"")],
        axum::Json(json!({"error": "invalid_token"})),
    )
        .into_response()
}

/// `GET /userinfo`
pub async fn userinfo(
    State(bank): State<Arc<Bank>>,
    Extension(peer): Extension<PeerCertificate>,
    headers: HeaderMap,
) -> Response {
    let grant = match bearer(&bank, &headers, &peer) {
        Some(g) => g,
        None => return unauthorized(),
    };
    let (Some(sub), true) = (
        grant.sub,
        grant.scope.split_whitespace().any(|s| s == "openid"),
    ) else {
        return (
            StatusCode::FORBIDDEN,
            axum::Json(json!({"error": "insufficient_scope"})),
        )
            .into_response();
    };
    if bank.faults.has(Fault::UserinfoServerError) {
        return (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response();
    }
    let sub = if bank.faults.has(Fault::UserinfoWrongSub) {
        "psu-somebody-else".to_string()
    } else {
        sub
    };
    axum::Json(json!({ "sub": sub, "name": "Alice Example", "preferred_username": "alice" }))
        .into_response()
}

/// `POST /introspect`
pub async fn introspect(
    State(bank): State<Arc<Bank>>,
    ClientForm { form, .. }: ClientForm,
) -> Response {
    let token = form.get("token").cloned().unwrap_or_default();
    let grant = bank
        .access_tokens
        .get(&token)
        .filter(|g| g.exp > now())
        .or_else(|| bank.refresh_tokens.get(&token));
    let body = match grant {
        Some(g) => {
            let mut body = json!({ "active": true, "scope": g.scope, "client_id": g.client_id, "sub": g.sub, "exp": g.exp, "iss": bank.issuer });
            if let Some(x5t) = g.cnf {
                body["cnf"] = json!({ "x5t#S256": x5t });
            }
            body
        }
        None => json!({ "active": false }),
    };
    axum::Json(body).into_response()
}

/// `POST /revoke`
pub async fn revoke(
    State(bank): State<Arc<Bank>>,
    ClientForm { client, form, .. }: ClientForm,
) -> Response {
    let client = &client;
    let token = form.get("token").cloned().unwrap_or_default();
    // RFC 7009 §2.2: unknown tokens are answered 200 too; other clients' tokens stay.
    for store in [&bank.access_tokens, &bank.refresh_tokens] {
        if store.get(&token).is_some_and(|g| g.client_id == client.id) {
            store.take(&token);
        }
    }
    StatusCode::OK.into_response()
}
