//! `/userinfo`, `/introspect` (RFC 7662) and `/revoke` (RFC 7009).

use super::client_auth::ClientForm;
use super::TokenGrant;
use crate::bank::faults::Fault;
use crate::bank::fields::set;
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
    grant_of(bank, header_token(bank, headers)?, peer)
}

/// The token of an `Authorization: Bearer …` header (RFC 6750 §2.1), or
/// of `Authorization: DPoP …`, whose proof the DPoP layer checked.
fn header_token<'a>(bank: &Bank, headers: &'a HeaderMap) -> Option<(&'a str, bool)> {
    let exact = bank.faults.has(Fault::ResourceSchemeCaseSensitive);
    match super::dpop::scheme_token(headers, "Bearer", exact) {
        Some(t) => Some((t, false)),
        None => super::dpop::scheme_token(headers, "DPoP", exact).map(|t| (t, true)),
    }
}

fn grant_of(
    bank: &Bank,
    (token, dpop): (&str, bool),
    peer: &PeerCertificate,
) -> Option<TokenGrant> {
    let grant = bank.access_tokens.get(token).filter(|g| g.exp > now())?;
    // RFC 9449 §7.1: a DPoP-bound token only under the DPoP scheme (with
    // the proof the layer checked), a Bearer token only as Bearer.
    let scheme_ok =
        bank.faults.has(Fault::DpopResourceProofUnchecked) || grant.jkt.is_some() == dpop;
    match &grant.cnf {
        _ if !scheme_ok => None,
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
    match bearer(&bank, &headers, &peer) {
        Some(g) => claims(&bank, g),
        None => unauthorized(),
    }
}

/// `POST /userinfo` (OIDC Core §5.3.1): the token in the `Authorization`
/// header or, as `access_token`, in a form body (RFC 6750 §2.2), never both.
pub async fn userinfo_post(
    State(bank): State<Arc<Bank>>,
    Extension(peer): Extension<PeerCertificate>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    if bank.faults.has(Fault::UserinfoGetOnly) {
        return (
            StatusCode::METHOD_NOT_ALLOWED,
            [(header::ALLOW, "GET")],
            "method not allowed",
        )
            .into_response();
    }
    let form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("application/x-www-form-urlencoded"));
    let in_body = form
        .then(|| {
            url::form_urlencoded::parse(&body)
                .find(|(k, _)| k == "access_token")
                .map(|(_, v)| v.into_owned())
        })
        .flatten()
        .filter(|_| !bank.faults.has(Fault::UserinfoBodyTokenIgnored));
    let token = match (header_token(&bank, &headers), in_body.as_deref()) {
        (Some(_), Some(_)) => {
            return (
                StatusCode::BAD_REQUEST,
                [(header::WWW_AUTHENTICATE, "Bearer error=\"invalid_request\"")],
                axum::Json(json!({"error": "invalid_request",
                    "error_description": "the access token was sent in more than one way"})),
            )
                .into_response()
        }
        (Some(t), None) => t,
        (None, Some(t)) => (t, false),
        (None, None) => return unauthorized(),
    };
    match grant_of(&bank, token, &peer) {
        Some(g) => claims(&bank, g),
        None => unauthorized(),
    }
}

/// The UserInfo claims of a grant: the PSU's, for an `openid` grant.
fn claims(bank: &Bank, grant: TokenGrant) -> Response {
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
    let mut body = json!({ "sub": sub });
    if !bank.faults.has(Fault::UserinfoScopeClaimsMissing) {
        for scope in grant.scope.split_whitespace() {
            scope_claims(scope, &mut body);
        }
    }
    if !bank.faults.has(Fault::UserinfoRequestedClaimsIgnored) {
        requested_claims(grant.request.as_ref(), &mut body);
    }
    if bank.faults.has(Fault::UserinfoClaimTypesWrong) {
        if let Some(v) = body.get_mut("email_verified") {
            *v = json!(v.to_string());
        }
    }
    axum::Json(body).into_response()
}

/// OIDC Core §5.5: the claims the `claims` parameter asked of UserInfo,
/// those the PSU has (every standard scope's claims are the PSU's).
fn requested_claims(request: Option<&super::AuthRequest>, body: &mut serde_json::Value) {
    let Some(asked) = request
        .and_then(|r| r.claims.as_ref())
        .and_then(|c| c.get("userinfo"))
        .and_then(serde_json::Value::as_object)
    else {
        return;
    };
    let all = psu_claims();
    for name in asked.keys() {
        if let (Some(v), Some(out)) = (all.get(name), body.as_object_mut()) {
            out.insert(name.clone(), v.clone());
        }
    }
}

/// Every standard claim of the PSU (OIDC Core §5.1).
pub(crate) fn psu_claims() -> serde_json::Value {
    let mut all = json!({});
    for scope in ["profile", "email", "address", "phone"] {
        scope_claims(scope, &mut all);
    }
    all
}

/// The PSU's claims a standard scope asks for (OIDC Core §5.4).
fn scope_claims(scope: &str, body: &mut serde_json::Value) {
    let claims = match scope {
        "profile" => json!({
            "name": "Alice Example", "given_name": "Alice", "family_name": "Example",
            "preferred_username": "alice", "updated_at": 1_700_000_000
        }),
        "email" => json!({ "email": "alice@bank.example", "email_verified": true }),
        "address" => json!({ "address": {
            "street_address": "1 Example Street", "locality": "Exampleton",
            "postal_code": "EX1 2MP", "country": "GB"
        }}),
        "phone" => json!({ "phone_number": "+44 20 7946 0000", "phone_number_verified": false }),
        _ => return,
    };
    if let (Some(body), serde_json::Value::Object(claims)) = (body.as_object_mut(), claims) {
        body.extend(claims);
    }
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
                set(&mut body, "cnf", json!({ "x5t#S256": x5t }));
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
