//! Decoupled consent: CIBA poll mode (`/bc-authorize`) and the Idura
//! headless flow (`/headless/authorize`). The PSU "approves" after a number
//! of polls; `login_hint` steers the simulated PSU: `deny:NAME` refuses,
//! `expire:NAME` never answers and the request expires after 2 seconds.

use super::client_auth::ClientForm;
use super::{AuthRequest, OAuthError, TokenGrant};
use crate::bank::clients::Client;
use crate::bank::faults::Fault;
use crate::bank::state::Bank;
use crate::bank::store::{now, random_token};
use crate::bank::REDIRECT_URI;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::Arc;

/// The CIBA grant type.
pub const CIBA_GRANT: &str = "urn:openid:params:grant-type:ciba";
/// The Idura headless grant type.
pub const HEADLESS_GRANT: &str = "urn:grn:params:grant-type:headless";
/// Seconds clients must wait between polls.
pub const INTERVAL: i64 = 1;
/// Polls answered `authorization_pending` before the PSU approves.
pub const PENDING_POLLS: u32 = 2;
const LIFETIME: i64 = 60;
const SHORT_LIFETIME: i64 = 2;

/// What the simulated PSU does.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Psu {
    /// Approves after [`PENDING_POLLS`] polls.
    Approves,
    /// Refuses after one poll.
    Denies,
    /// Never answers.
    Ignores,
}

/// A decoupled authorization request.
#[derive(Debug, Clone)]
pub struct Decoupled {
    /// Client.
    pub client_id: String,
    /// Grant type that may redeem it.
    pub grant: &'static str,
    /// Scope.
    pub scope: String,
    /// What the PSU does.
    pub psu: Psu,
    /// Expiry (epoch seconds).
    pub exp: i64,
    /// Polls so far.
    pub polls: u32,
    /// Last poll (epoch milliseconds).
    pub last_poll_ms: i64,
    /// Redeemed already.
    pub done: bool,
}

fn psu_of(hint: Option<&String>) -> Psu {
    match hint.map(String::as_str) {
        Some(h) if h.starts_with("deny:") => Psu::Denies,
        Some(h) if h.starts_with("expire:") => Psu::Ignores,
        _ => Psu::Approves,
    }
}

fn start(
    bank: &Bank,
    client: &Client,
    form: &HashMap<String, String>,
    grant: &'static str,
) -> Result<(String, i64), OAuthError> {
    if bank.faults.has(Fault::DecoupledRefused) {
        return Err(OAuthError::bad(
            "invalid_request",
            "fault: decoupled.refused",
        ));
    }
    let scope = form.get("scope").cloned().unwrap_or_default();
    if !scope.split_whitespace().any(|s| s == "openid") {
        return Err(OAuthError::bad(
            "invalid_scope",
            "the openid scope is required",
        ));
    }
    let psu = if bank.faults.has(Fault::DecoupledNeverApproves) {
        Psu::Ignores
    } else {
        psu_of(form.get("login_hint"))
    };
    let lifetime = if psu == Psu::Ignores {
        SHORT_LIFETIME
    } else {
        LIFETIME
    };
    let id = random_token();
    let d = Decoupled {
        client_id: client.id.into(),
        grant,
        scope,
        psu,
        exp: now() + lifetime,
        polls: 0,
        last_poll_ms: 0,
        done: false,
    };
    bank.decoupled.insert(id.clone(), d);
    Ok((id, lifetime))
}

/// `POST /bc-authorize` (CIBA §7).
pub async fn ciba(
    State(bank): State<Arc<Bank>>,
    ClientForm { client, form, .. }: ClientForm,
) -> Response {
    if !form.contains_key("login_hint") {
        return OAuthError::bad("invalid_request", "login_hint is required").into_response();
    }
    match start(&bank, &client, &form, CIBA_GRANT) {
        Ok((id, lifetime)) => respond(
            &bank,
            json!({ "auth_req_id": id, "expires_in": lifetime, "interval": INTERVAL }),
        ),
        Err(e) => e.into_response(),
    }
}

/// `POST /headless/authorize` (Idura headless).
pub async fn headless(
    State(bank): State<Arc<Bank>>,
    ClientForm { client, form, .. }: ClientForm,
) -> Response {
    match start(&bank, &client, &form, HEADLESS_GRANT) {
        Ok((id, lifetime)) => respond(
            &bank,
            json!({ "headless_req_id": id, "expires_in": lifetime, "acr_data": acr_data(&id) }),
        ),
        Err(e) => e.into_response(),
    }
}

fn acr_data(id: &str) -> Value {
    json!({ "autoStartToken": format!("ast-{}", id.chars().take(8).collect::<String>()), "qrStartToken": "qr-probity" })
}

fn respond(bank: &Bank, mut body: Value) -> Response {
    if bank.faults.has(Fault::DecoupledNoExpiresIn) {
        body.as_object_mut().map(|o| o.remove("expires_in"));
    }
    ([("cache-control", "no-store")], axum::Json(body)).into_response()
}

/// A token-endpoint poll for a decoupled request.
pub fn poll(
    bank: &Bank,
    client: &Client,
    grant: &str,
    form: &HashMap<String, String>,
) -> Result<TokenGrant, OAuthError> {
    let id_field = if grant == CIBA_GRANT {
        "auth_req_id"
    } else {
        "headless_req_id"
    };
    let id = form
        .get(id_field)
        .ok_or_else(|| OAuthError::bad("invalid_request", format!("{id_field} is missing")))?;
    let d = bank
        .decoupled
        .get(id)
        .filter(|d| d.client_id == client.id && d.grant == grant && !d.done);
    let d =
        d.ok_or_else(|| OAuthError::bad("invalid_grant", format!("unknown or used {id_field}")))?;
    if d.exp < now() {
        return Err(OAuthError::bad("expired_token", "the request expired"));
    }
    let now_ms = chrono::Utc::now().timestamp_millis();
    let too_fast = d.polls > 0 && now_ms - d.last_poll_ms < INTERVAL * 1000;
    bank.decoupled.update(id, |x| {
        x.polls += 1;
        x.last_poll_ms = now_ms;
    });
    if too_fast && !bank.faults.has(Fault::DecoupledNoSlowDown) {
        return Err(OAuthError::bad(
            "slow_down",
            "polled faster than the interval",
        ));
    }
    let pending = |why: &str| {
        if bank.faults.has(Fault::DecoupledPendingAsServerError) {
            OAuthError {
                status: axum::http::StatusCode::INTERNAL_SERVER_ERROR,
                error: "server_error",
                description: why.into(),
            }
        } else {
            OAuthError::bad("authorization_pending", why)
        }
    };
    match d.psu {
        Psu::Ignores => Err(pending("awaiting user interaction")),
        Psu::Denies if d.polls >= 1 && !bank.faults.has(Fault::DecoupledDenialIgnored) => {
            Err(OAuthError::bad("access_denied", "the PSU refused"))
        }
        _ if d.polls < PENDING_POLLS => Err(pending("awaiting user interaction")),
        _ => {
            bank.decoupled.update(id, |x| x.done = true);
            Ok(grant_for(&d))
        }
    }
}

fn grant_for(d: &Decoupled) -> TokenGrant {
    let request = AuthRequest {
        dpop_jkt: None,
        psu_denies: false,
        client_id: d.client_id.clone(),
        redirect_uri: REDIRECT_URI.into(),
        response_type: "code".into(),
        scope: d.scope.clone(),
        state: None,
        nonce: None,
        code_challenge: None,
        code_challenge_method: None,
        claims: None,
        max_age: None,
        authorization_details: None,
        response_mode: None,
        prompt: None,
        hinted_sub: None,
        request_uri: None,
    };
    TokenGrant {
        client_id: d.client_id.clone(),
        scope: d.scope.clone(),
        sub: Some("psu-alice".into()),
        exp: now() + 3600,
        request: Some(request),
        auth_time: Some(now()),
        cnf: None,
        jkt: None,
        from_code: None,
    }
}
