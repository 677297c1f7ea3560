//! `POST /token`: client_credentials, authorization_code (PKCE) and
//! refresh_token (rotation).

use super::client_auth::ClientForm;
use super::{id_token, OAuthError, TokenGrant};
use crate::bank::clients::Client;
use crate::bank::faults::Fault;
use crate::bank::state::Bank;
use crate::bank::store::{now, random_token};
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use serde_json::{json, Map, Value};
use sha2::Digest;
use std::collections::HashMap;
use std::sync::Arc;

/// Access token lifetime, seconds.
pub(crate) const ACCESS_LIFETIME: i64 = 3600;
const CODE_LIFETIME: i64 = 60;
/// Scopes a client may get with client_credentials.
const CC_SCOPES: &[&str] = &["accounts", "payments", "fundsconfirmations"];

/// `POST /token`
/// FAPI 2.0 SP §5.3.2.1: a FAPI 2 client gets only sender-constrained
/// tokens, so a request with neither a DPoP proof nor a client certificate
/// is refused, and so is one without a proof from a client registered with
/// `dpop_bound_access_tokens` (RFC 9449 §5.2).
fn sender_constrainable(
    bank: &Bank,
    client: &crate::bank::clients::Client,
    proof: bool,
    certificate: bool,
) -> Result<(), OAuthError> {
    if bank.faults.has(Fault::Fapi2BearerTokens) || proof {
        return Ok(());
    }
    if client.dpop_bound {
        return Err(OAuthError::bad(
            "invalid_dpop_proof",
            "no DPoP proof: the client is registered with dpop_bound_access_tokens",
        ));
    }
    if client.fapi2 && !certificate {
        return Err(OAuthError::bad(
            "invalid_request",
            "no DPoP proof and no client certificate: FAPI 2 tokens must be sender-constrained",
        ));
    }
    Ok(())
}

pub async fn token(
    State(bank): State<Arc<Bank>>,
    ClientForm {
        client,
        form,
        peer,
        headers,
    }: ClientForm,
) -> Response {
    let client = &client;
    // RFC 9449 §5: a valid proof binds the tokens; a bad one is refused.
    let jkt = match super::dpop::token_binding(&bank, &headers) {
        Ok(jkt) => jkt,
        Err(e) => return e.into_response(),
    };
    let proof = headers.contains_key("dpop");
    if let Err(e) = sender_constrainable(&bank, client, proof, peer.thumbprint().is_some()) {
        return e.into_response();
    }
    let result = match form.get("grant_type").map(String::as_str) {
        Some("client_credentials") => client_credentials(client, &form).map(|g| (g, false)),
        Some("authorization_code") => authorization_code(&bank, client, &form).map(|g| (g, true)),
        Some("refresh_token") => refresh(&bank, client, &form).map(|g| (g, true)),
        Some(g @ (super::decoupled::CIBA_GRANT | super::decoupled::HEADLESS_GRANT)) => {
            super::decoupled::poll(&bank, client, g, &form).map(|g| (g, true))
        }
        Some(crate::bank::op::exemption::GRANT) => {
            crate::bank::op::exemption::grant(&bank, client, &form).map(|g| (g, false))
        }
        Some(other) => Err(OAuthError::bad(
            "unsupported_grant_type",
            format!("grant_type `{other}` is not supported"),
        )),
        None => Err(OAuthError::bad("invalid_request", "grant_type is missing")),
    };
    match result {
        Ok((grant, _)) if !code_key_proven(&bank, &grant, jkt.as_deref()) => OAuthError::bad(
            "invalid_dpop_proof",
            "the code is bound to another DPoP key (dpop_jkt)",
        )
        .into_response(),
        Ok((mut grant, with_refresh)) => {
            // RFC 8705 §3: tokens requested over mutual TLS are bound to the certificate.
            grant.cnf = peer.thumbprint();
            grant.jkt = jkt;
            respond(&bank, issue(&bank, grant, with_refresh))
        }
        Err(e) if bank.faults.has(Fault::TokenErrorWrongFormat) => (
            axum::http::StatusCode::FORBIDDEN,
            [("content-type", "text/plain")],
            json!({ "error": e.error, "error_description": e.description }).to_string(),
        )
            .into_response(),
        Err(e) => e.into_response(),
    }
}

/// RFC 9449 §10: a code bound to a DPoP key is redeemed only with a proof
/// by that key.
fn code_key_proven(bank: &Bank, grant: &TokenGrant, proof_jkt: Option<&str>) -> bool {
    let bound = grant.request.as_ref().and_then(|r| r.dpop_jkt.as_deref());
    bank.faults.has(Fault::DpopJktIgnored) || bound.is_none() || bound == proof_jkt
}

/// The success response, with the response-level faults applied.
fn respond(bank: &Bank, mut body: Map<String, Value>) -> Response {
    let f = &bank.faults;
    if f.has(Fault::TokenServerError) {
        return (
            axum::http::StatusCode::INTERNAL_SERVER_ERROR,
            "internal error",
        )
            .into_response();
    }
    if f.has(Fault::TokenNotJson) {
        return (
            [
                ("content-type", "application/json"),
                ("cache-control", "no-store"),
            ],
            "access_token=abc",
        )
            .into_response();
    }
    let removals = [
        (Fault::TokenNoAccessToken, "access_token"),
        (Fault::TokenNoExpiresIn, "expires_in"),
        (Fault::TokenNoRefreshToken, "refresh_token"),
        (Fault::TokenNoIdToken, "id_token"),
    ];
    for (fault, key) in removals {
        if f.has(fault) {
            body.remove(key);
        }
    }
    if f.has(Fault::TokenWrongTokenType) {
        body.insert("token_type".into(), json!("mac"));
    }
    if f.has(Fault::TokenScopeNarrowed) {
        let scopes: Vec<String> = body
            .get("scope")
            .and_then(Value::as_str)
            .unwrap_or("")
            .split_whitespace()
            .map(str::to_string)
            .collect();
        body.insert(
            "scope".into(),
            json!(scopes
                .split_last()
                .map_or(String::new(), |(_, kept)| kept.join(" "))),
        );
    }
    let cache = if f.has(Fault::TokenCacheable) {
        "max-age=3600"
    } else {
        "no-store"
    };
    // Token responses carry a cookie named like the PSU's login session, as
    // some OPs and load balancers send one: allowed (RFC 6749 is silent),
    // and harmless to a client whose back channel keeps its cookies away
    // from the browser. A client that shares one jar loses the PSU's
    // session, and `prompt=none` after it fails.
    let cookie = format!(
        "{}=back-channel-{}; Path=/; Secure; HttpOnly",
        super::interactive::COOKIE,
        random_token()
    );
    (
        [
            ("cache-control", cache),
            ("pragma", "no-cache"),
            ("set-cookie", cookie.as_str()),
        ],
        axum::Json(Value::Object(body)),
    )
        .into_response()
}

fn client_credentials(
    client: &Client,
    form: &HashMap<String, String>,
) -> Result<TokenGrant, OAuthError> {
    let scope = form
        .get("scope")
        .cloned()
        .unwrap_or_else(|| "accounts".into());
    if let Some(bad) = scope.split_whitespace().find(|s| !CC_SCOPES.contains(s)) {
        return Err(OAuthError::bad(
            "invalid_scope",
            format!("scope `{bad}` is not available with client_credentials"),
        ));
    }
    let grant = TokenGrant {
        client_id: client.id.into(),
        scope,
        sub: None,
        exp: now() + ACCESS_LIFETIME,
        request: None,
        auth_time: None,
        cnf: None,
        jkt: None,
        from_code: None,
    };
    Ok(grant)
}

fn authorization_code(
    bank: &Bank,
    client: &Client,
    form: &HashMap<String, String>,
) -> Result<TokenGrant, OAuthError> {
    let code = form
        .get("code")
        .ok_or_else(|| OAuthError::bad("invalid_request", "code is missing"))?;
    let grant = bank
        .codes
        .get(code)
        .ok_or_else(|| OAuthError::bad("invalid_grant", "unknown or expired code"))?;
    if grant.used && !bank.faults.has(Fault::TokenCodeReuseAllowed) {
        bank.codes.take(code);
        // RFC 6749 §4.1.2: a replayed code SHOULD revoke what it gave.
        if !bank.faults.has(Fault::TokenReuseKeepsTokens) {
            for t in &grant.tokens {
                bank.access_tokens.take(t);
                bank.refresh_tokens.take(t);
            }
        }
        return Err(OAuthError::bad(
            "invalid_grant",
            "the code was used already",
        ));
    }
    bank.codes.update(code, |g| g.used = true);
    let req = &grant.request;
    if req.client_id != client.id && !bank.faults.has(Fault::TokenCodeNotBoundToClient) {
        return Err(OAuthError::bad(
            "invalid_grant",
            "the code was issued to another client",
        ));
    }
    if grant.issued_at + CODE_LIFETIME < now() {
        return Err(OAuthError::bad("invalid_grant", "the code expired"));
    }
    if form.get("redirect_uri") != Some(&req.redirect_uri) {
        return Err(OAuthError::bad(
            "invalid_grant",
            "redirect_uri does not match the authorization request",
        ));
    }
    if !bank.faults.has(Fault::TokenPkceIgnored) {
        check_pkce(
            req.code_challenge.as_deref(),
            req.code_challenge_method.as_deref(),
            form.get("code_verifier"),
        )?;
    }
    let token_grant = TokenGrant {
        client_id: client.id.into(),
        scope: req.scope.clone(),
        sub: Some(grant.sub.clone()),
        exp: now() + ACCESS_LIFETIME,
        request: Some(req.clone()),
        auth_time: Some(grant.auth_time),
        cnf: None,
        jkt: None,
        from_code: Some(code.clone()),
    };
    Ok(token_grant)
}

/// RFC 7636 §4.6.
fn check_pkce(
    challenge: Option<&str>,
    method: Option<&str>,
    verifier: Option<&String>,
) -> Result<(), OAuthError> {
    let Some(challenge) = challenge else {
        return match verifier {
            Some(_) => Err(OAuthError::bad(
                "invalid_grant",
                "code_verifier sent but no code_challenge was",
            )),
            None => Ok(()),
        };
    };
    let verifier =
        verifier.ok_or_else(|| OAuthError::bad("invalid_grant", "code_verifier is missing"))?;
    let computed = match method {
        Some("S256") => base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(sha2::Sha256::digest(verifier.as_bytes())),
        _ => verifier.clone(),
    };
    if computed != challenge {
        return Err(OAuthError::bad(
            "invalid_grant",
            "code_verifier does not match code_challenge",
        ));
    }
    Ok(())
}

fn refresh(
    bank: &Bank,
    client: &Client,
    form: &HashMap<String, String>,
) -> Result<TokenGrant, OAuthError> {
    let rt = form
        .get("refresh_token")
        .ok_or_else(|| OAuthError::bad("invalid_request", "refresh_token is missing"))?;
    let grant = bank.refresh_tokens.take(rt).ok_or_else(|| {
        OAuthError::bad("invalid_grant", "unknown, used or revoked refresh token")
    })?;
    if grant.client_id != client.id {
        return Err(OAuthError::bad(
            "invalid_grant",
            "the refresh token belongs to another client",
        ));
    }
    let mut next = grant.clone();
    if let Some(scope) = form.get("scope") {
        let granted: std::collections::BTreeSet<&str> = grant.scope.split_whitespace().collect();
        if scope.split_whitespace().any(|s| !granted.contains(s)) {
            return Err(OAuthError::bad(
                "invalid_scope",
                "refresh may only narrow the granted scope",
            ));
        }
        next.scope = scope.clone();
    }
    next.exp = now() + ACCESS_LIFETIME;
    Ok(next)
}

/// Stores and returns a token response; refresh tokens rotate.
pub(super) fn issue(bank: &Bank, grant: TokenGrant, with_refresh: bool) -> Map<String, Value> {
    let access = random_token();
    let mut body = Map::new();
    body.insert("access_token".into(), json!(access));
    // RFC 9449 §5: a DPoP-bound token says so.
    let token_type = if grant.jkt.is_some() {
        "DPoP"
    } else {
        "Bearer"
    };
    body.insert("token_type".into(), json!(token_type));
    body.insert("expires_in".into(), json!(ACCESS_LIFETIME));
    body.insert("scope".into(), json!(grant.scope));
    let refresh = with_refresh.then(random_token);
    if let Some(rt) = &refresh {
        body.insert("refresh_token".into(), json!(rt));
        bank.refresh_tokens.insert(rt.clone(), grant.clone());
    }
    let details = grant
        .request
        .as_ref()
        .and_then(|r| r.authorization_details.clone());
    if let Some(d) = details.filter(|_| !bank.faults.has(Fault::RarDetailsDropped)) {
        body.insert("authorization_details".into(), d);
    }
    if let (Some(req), Some(sub), Some(auth_time)) = (&grant.request, &grant.sub, grant.auth_time) {
        if grant.scope.split_whitespace().any(|s| s == "openid") {
            body.insert(
                "id_token".into(),
                json!(id_token::token_endpoint(
                    bank,
                    req,
                    sub,
                    auth_time,
                    &access,
                    refresh.as_deref()
                )),
            );
        }
    }
    if let Some(code) = &grant.from_code {
        let issued: Vec<String> = std::iter::once(access.clone()).chain(refresh).collect();
        bank.codes.update(code, |g| g.tokens.extend(issued));
    }
    bank.access_tokens.insert(access, grant);
    body
}
