//! `GET /authorize`: validates the request (plain parameters, a request
//! object by value, or a pushed `request_uri`), obtains consent by the
//! client's mode, and answers with the code at the redirect URI.

use super::{id_token, AuthRequest, CodeGrant};
use crate::bank::clients::{AuthMethod, Client, ConsentMode};
use crate::bank::faults::Fault;
use crate::bank::fields::set;
use crate::bank::state::Bank;
use crate::bank::store::{now, random_token};
use crate::bank::REDIRECT_URI;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use serde_json::Value;
use std::collections::HashMap;
use std::sync::Arc;

/// Why an authorization request was refused.
pub enum Refusal {
    /// The client or redirect URI cannot be trusted: show an error page.
    Page(String),
    /// Tell the client at its redirect URI (RFC 6749 §4.1.2.1).
    Redirect {
        redirect_uri: String,
        state: Option<String>,
        error: &'static str,
        description: String,
        /// How the client asked for the response (`response_mode`), and who
        /// it is, for a JWT response's `aud`.
        delivery: Delivery,
    },
}

/// How an authorization response reaches the client: its `response_mode`
/// (query, fragment, form_post, or a JARM mode) and its id.
#[derive(Debug, Clone, Default)]
pub struct Delivery {
    /// The client, the `aud` of a JARM response.
    pub client_id: String,
    /// `response_mode` as requested.
    pub response_mode: Option<String>,
}

/// `POST /authorize`: OIDC Core §3.1.2.1 requires GET and POST alike; the
/// parameters come as a form (unless the fault refuses the method).
pub async fn authorize_post(
    State(bank): State<Arc<Bank>>,
    headers: HeaderMap,
    axum::extract::Form(params): axum::extract::Form<HashMap<String, String>>,
) -> Response {
    if bank.faults.has(Fault::AuthorizePostRefused) {
        return StatusCode::METHOD_NOT_ALLOWED.into_response();
    }
    answer(bank, headers, params)
}

/// `GET /authorize`
pub async fn authorize(
    State(bank): State<Arc<Bank>>,
    headers: HeaderMap,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    answer(bank, headers, params)
}

fn answer(bank: Arc<Bank>, headers: HeaderMap, params: HashMap<String, String>) -> Response {
    let request = match validate(&bank, &params, true) {
        Ok(r) => r,
        Err(refusal) => return refuse(&bank, refusal),
    };
    let Some(client) = bank.client(&request.client_id).cloned() else {
        let unknown = format!("unknown client `{}`", request.client_id);
        return refuse(&bank, Refusal::Page(unknown));
    };
    // The test PSU who refuses (`login_hint=deny:…`) does so whether the
    // client's PSU sees pages or not.
    match client.consent {
        _ if request.psu_denies => refuse(
            &bank,
            Refusal::Redirect {
                redirect_uri: request.redirect_uri.clone(),
                state: request.state.clone(),
                error: "access_denied",
                description: "the PSU refused the authorization".into(),
                delivery: request.delivery(),
            },
        ),
        ConsentMode::Headless => complete(&bank, request, "psu-alice", now()),
        ConsentMode::Interactive | ConsentMode::InteractiveJs => {
            super::interactive::begin(&bank, &headers, request)
        }
    }
}

/// Validates authorization parameters; `allow_request_uri` is false at PAR.
pub fn validate(
    bank: &Bank,
    params: &HashMap<String, String>,
    allow_request_uri: bool,
) -> Result<AuthRequest, Refusal> {
    let client_id = params
        .get("client_id")
        .ok_or_else(|| Refusal::Page("`client_id` is missing".into()))?;
    let client = bank
        .client(client_id)
        .ok_or_else(|| Refusal::Page(format!("unknown client `{client_id}`")))?;
    if let Some(uri) = params.get("request_uri") {
        if !allow_request_uri && bank.faults.has(Fault::ParRequestUriParamAccepted) {
            let mut rest = params.clone();
            rest.remove("request_uri");
            return validate(bank, &rest, false);
        }
        if !allow_request_uri {
            return Err(Refusal::Page("`request_uri` is not allowed here".into()));
        }
        return pushed(bank, client, uri, params);
    }
    let merged = match params.get("request") {
        Some(jwt) => request_object(bank, client, jwt, params)?,
        None => params.clone(),
    };
    build(bank, client, &merged, !allow_request_uri)
}

fn pushed(
    bank: &Bank,
    client: &Client,
    uri: &str,
    front: &HashMap<String, String>,
) -> Result<AuthRequest, Refusal> {
    let entry = bank
        .pushed
        .get(uri)
        .ok_or_else(|| Refusal::Page("unknown or expired `request_uri`".into()))?;
    let reuse_ok = bank.faults.has(Fault::ParRequestUriReusable);
    let refuse = |why: &str| Refusal::Redirect {
        redirect_uri: entry.request.redirect_uri.clone(),
        state: entry.request.state.clone(),
        error: "invalid_request_uri",
        description: why.into(),
        delivery: entry.request.delivery(),
    };
    if entry.request.client_id != client.id && !bank.faults.has(Fault::ParRequestUriAnyClient) {
        return Err(refuse("`request_uri` was pushed by another client"));
    }
    if entry.exp < now() {
        return Err(refuse("`request_uri` expired"));
    }
    if entry.used && !reuse_ok {
        return Err(refuse("`request_uri` was used already"));
    }
    // Spent when the authorization completes (`complete`); under the fault
    // at the first visit, so a reload before completion is refused.
    if bank.faults.has(Fault::ParRequestUriSpentAtFirstVisit) {
        bank.pushed.update(uri, |p| p.used = true);
    }
    let mut request = entry.request;
    request.request_uri = Some(uri.to_string());
    // RFC 9126 §4: only the pushed parameters count; the fault lets the
    // front channel's replace them.
    if bank.faults.has(Fault::PushedStateOverridden) {
        request.state = front.get("state").cloned().or(request.state);
        request.nonce = front.get("nonce").cloned().or(request.nonce);
    }
    Ok(request)
}

/// Verifies a request object; its claims replace the query parameters.
fn request_object(
    bank: &Bank,
    client: &Client,
    jwt: &str,
    params: &HashMap<String, String>,
) -> Result<HashMap<String, String>, Refusal> {
    let redirect_uri = params
        .get("redirect_uri")
        .cloned()
        .unwrap_or_else(|| REDIRECT_URI.into());
    let refuse = |why: String| Refusal::Redirect {
        redirect_uri: redirect_uri.clone(),
        state: params.get("state").cloned(),
        error: "invalid_request_object",
        description: why,
        delivery: Delivery {
            client_id: client.id.to_string(),
            response_mode: params.get("response_mode").cloned(),
        },
    };
    let (header, claims) =
        crate::jose::decode_unverified(jwt).map_err(|e| refuse(e.to_string()))?;
    let alg = header.get("alg").and_then(Value::as_str).unwrap_or("");
    if alg == "none" {
        if !client.allow_unsigned_request {
            return Err(refuse(
                "unsigned request objects are not accepted for this client".into(),
            ));
        }
    } else {
        let public = client
            .key
            .to_public_key()
            .map_err(|e| refuse(e.to_string()))?;
        crate::jose::verify_jwt(jwt, &public, &["PS256", "ES256", "RS256"])
            .map_err(|e| refuse(format!("request object signature: {e}")))?;
    }
    if let Some(iss) = claims.get("iss").and_then(Value::as_str) {
        if iss != client.id {
            return Err(refuse(format!(
                "request object iss `{iss}` is not the client"
            )));
        }
    }
    if let Some(aud) = claims.get("aud") {
        let ok = aud.as_str() == Some(&bank.issuer)
            || aud
                .as_array()
                .is_some_and(|a| a.iter().any(|v| v.as_str() == Some(&bank.issuer)));
        if !ok {
            return Err(refuse(format!(
                "request object aud {aud} is not the issuer"
            )));
        }
    }
    if let Some(exp) = claims.get("exp").and_then(Value::as_i64) {
        if exp < now() {
            return Err(refuse("request object expired".into()));
        }
    }
    let mut merged = params.clone();
    merged.remove("request");
    for (k, v) in claims {
        let text = match v {
            Value::String(s) => s,
            other => other.to_string(),
        };
        merged.insert(k, text);
    }
    Ok(merged)
}

fn build(
    bank: &Bank,
    client: &Client,
    p: &HashMap<String, String>,
    at_par: bool,
) -> Result<AuthRequest, Refusal> {
    let redirect_uri = p.get("redirect_uri").cloned().unwrap_or_default();
    let unchecked = at_par && bank.faults.has(Fault::ParRedirectUriUnchecked);
    if !crate::bank::clients::redirect_registered(&redirect_uri) && !unchecked {
        return Err(unregistered(bank, client, redirect_uri, p));
    }
    let state = p.get("state").cloned();
    let response_mode = p.get("response_mode").cloned();
    let refuse = |error: &'static str, description: &str| Refusal::Redirect {
        redirect_uri: redirect_uri.clone(),
        state: state.clone(),
        error,
        description: description.into(),
        delivery: Delivery {
            client_id: client.id.to_string(),
            response_mode: response_mode.clone(),
        },
    };
    if let Some(mode) = response_mode
        .as_deref()
        .filter(|m| !RESPONSE_MODES.contains(m))
    {
        return Err(refuse(
            "invalid_request",
            &format!("response_mode `{mode}` is not supported"),
        ));
    }
    fapi2_rules(bank, client, p, at_par).map_err(|(e, d)| refuse(e, d))?;
    let mut response_type = p.get("response_type").cloned().unwrap_or_default();
    if client.fapi2 && bank.faults.has(Fault::Fapi2AnyResponseType) {
        response_type = "code".into();
    }
    if response_type != "code" && response_type != "code id_token" {
        return Err(refuse(
            "unsupported_response_type",
            "response_type must be `code` or `code id_token`",
        ));
    }
    let scope = p.get("scope").cloned().unwrap_or_default();
    if scope.trim().is_empty() {
        return Err(refuse("invalid_scope", "scope is required"));
    }
    if response_type == "code id_token" && !scope.split_whitespace().any(|s| s == "openid") {
        return Err(refuse(
            "invalid_scope",
            "`code id_token` needs the openid scope",
        ));
    }
    let method = p.get("code_challenge_method").cloned();
    let challenge = p.get("code_challenge").cloned();
    match (method.as_deref(), &challenge) {
        (_, None) if client.auth == AuthMethod::None => {
            return Err(refuse(
                "invalid_request",
                "PKCE is required for public clients",
            ))
        }
        (Some("plain"), Some(_)) if !bank.faults.has(Fault::DiscoveryPkcePlainOffered) => {
            return Err(refuse(
                "invalid_request",
                "only the S256 PKCE method is supported",
            ))
        }
        (Some("S256") | Some("plain") | None, _) => {}
        (Some(_), _) => return Err(refuse("invalid_request", "unknown code_challenge_method")),
    }
    let claims = match p.get("claims") {
        Some(c) => Some(
            serde_json::from_str(c).map_err(|_| refuse("invalid_request", "claims is not JSON"))?,
        ),
        None => None,
    };
    let authorization_details =
        details(p).map_err(|d| refuse("invalid_authorization_details", &d))?;
    Ok(AuthRequest {
        client_id: client.id.to_string(),
        redirect_uri,
        response_type,
        scope,
        state,
        nonce: p.get("nonce").cloned(),
        code_challenge: challenge,
        code_challenge_method: method
            .or(Some("plain".into()).filter(|_| p.contains_key("code_challenge"))),
        claims,
        max_age: p.get("max_age").and_then(|m| m.parse().ok()),
        authorization_details,
        response_mode,
        prompt: p.get("prompt").cloned(),
        // Only the bank's own ID tokens are hints; the subject is all it needs.
        hinted_sub: p
            .get("id_token_hint")
            .and_then(|h| crate::jose::decode_unverified(h).ok())
            .and_then(|(_, c)| c.get("sub").and_then(Value::as_str).map(str::to_string)),
        psu_denies: p.get("login_hint").is_some_and(|h| h.starts_with("deny:")),
        dpop_jkt: p
            .get("dpop_jkt")
            .cloned()
            .filter(|_| !bank.faults.has(Fault::DpopJktIgnored)),
        request_uri: None,
    })
}

/// A redirect URI that is not registered: an error page, never a redirect
/// to it (RFC 6749 §4.1.2.1), unless the fault makes the bank redirect.
fn unregistered(
    bank: &Bank,
    client: &Client,
    redirect_uri: String,
    p: &HashMap<String, String>,
) -> Refusal {
    let why = format!("`redirect_uri` {redirect_uri:?} is not registered for this client");
    if bank.faults.has(Fault::AuthorizeRedirectsUnregistered)
        && url::Url::parse(&redirect_uri).is_ok()
    {
        return Refusal::Redirect {
            redirect_uri,
            state: p.get("state").cloned(),
            error: "invalid_request",
            description: why,
            delivery: Delivery {
                client_id: client.id.to_string(),
                response_mode: None,
            },
        };
    }
    Refusal::Page(why)
}

/// What FAPI 2.0 SP §5.3.2.2 demands of a FAPI 2 client's request: pushed
/// (item 2), PKCE (item 3), `response_type=code` (item 1); an error code
/// and description when it is not met.
fn fapi2_rules(
    bank: &Bank,
    client: &Client,
    p: &HashMap<String, String>,
    at_par: bool,
) -> Result<(), (&'static str, &'static str)> {
    if !client.fapi2 {
        return Ok(());
    }
    let f = &bank.faults;
    if !at_par && !f.has(Fault::Fapi2ParOptional) {
        return Err((
            "invalid_request",
            "this client must push its authorization requests (RFC 9126 §5)",
        ));
    }
    let response_type = p.get("response_type").map(String::as_str);
    if response_type != Some("code") && !f.has(Fault::Fapi2AnyResponseType) {
        return Err((
            "unsupported_response_type",
            "FAPI 2.0: response_type must be `code`",
        ));
    }
    if !p.contains_key("code_challenge") && !f.has(Fault::Fapi2PkceOptional) {
        return Err(("invalid_request", "FAPI 2.0: PKCE is required"));
    }
    Ok(())
}

/// The PSU granted every detail entry: each is recorded as a consent.
fn grant_details(request: &mut AuthRequest) {
    let Some(Value::Array(entries)) = request.authorization_details.as_mut() else {
        return;
    };
    for e in entries.iter_mut() {
        if e.get("consentId").is_none() {
            set(
                e,
                "consentId",
                Value::String(format!("rar-{}", crate::ids::uuid())),
            );
        }
    }
}

/// Types of `authorization_details` the bank understands.
pub const DETAIL_TYPES: &[&str] = &["account_information", "payment_initiation"];

/// RFC 9396 §2 and §5: a JSON array of objects, each of a known `type`.
fn details(p: &HashMap<String, String>) -> Result<Option<Value>, String> {
    let Some(text) = p.get("authorization_details") else {
        return Ok(None);
    };
    let value: Value =
        serde_json::from_str(text).map_err(|_| "authorization_details is not JSON".to_string())?;
    let entries = value
        .as_array()
        .filter(|a| !a.is_empty())
        .ok_or("authorization_details must be a non-empty JSON array")?;
    for e in entries {
        match e.get("type").and_then(Value::as_str) {
            Some(t) if DETAIL_TYPES.contains(&t) => {}
            Some(t) => return Err(format!("authorization_details type `{t}` is not supported")),
            None => return Err("every authorization_details entry needs a `type`".into()),
        }
    }
    Ok(Some(value))
}

/// Issues the code and redirects to the client.
pub fn complete(bank: &Bank, mut request: AuthRequest, sub: &str, auth_time: i64) -> Response {
    if let Some(uri) = &request.request_uri {
        bank.pushed.update(uri, |p| p.used = true);
    }
    grant_details(&mut request);
    let f = &bank.faults;
    if f.has(Fault::AuthorizeServerError) {
        let refusal = Refusal::Redirect {
            redirect_uri: request.redirect_uri.clone(),
            state: request.state.clone(),
            error: "server_error",
            description: "fault: authorize.server_error".into(),
            delivery: request.delivery(),
        };
        return refuse(bank, refusal);
    }
    if let Some(intent) = request
        .requested_claim("openbanking_intent_id")
        .as_ref()
        .and_then(|v| v.as_str())
    {
        crate::bank::obie::authorise(bank, intent);
        crate::bank::ais::authorise(bank, intent);
    }
    if let Some(bundle) = request
        .requested_claim("authorizationId")
        .as_ref()
        .and_then(|v| v.as_str())
    {
        crate::bank::op::authorise(bank, bundle, sub);
    }
    let code = random_token();
    let mut params: Vec<(String, String)> = Vec::new();
    if !f.has(Fault::CallbackCodeMissing) {
        params.push(("code".into(), code.clone()));
    }
    let hybrid = request.response_type == "code id_token";
    if hybrid && !f.has(Fault::CallbackHybridInQuery) {
        params.push((
            "id_token".into(),
            id_token::front_channel(bank, &request, sub, auth_time, &code),
        ));
    }
    if let Some(state) = request
        .state
        .as_ref()
        .filter(|_| !f.has(Fault::CallbackStateDropped))
    {
        params.push(("state".into(), state.clone()));
    }
    if f.has(Fault::CallbackIssWrong) {
        params.push(("iss".into(), format!("{}/other-tenant", bank.issuer)));
    } else if !f.has(Fault::CallbackIssMissing) {
        params.push(("iss".into(), bank.issuer.clone()));
    }
    let fragment = hybrid && !f.has(Fault::CallbackHybridInQuery);
    let target = if f.has(Fault::AuthorizeWrongRedirect) {
        "https://127.0.0.1/somewhere-else"
    } else {
        request.redirect_uri.as_str()
    };
    let answer = deliver(bank, target, params, fragment, &request.delivery());
    bank.codes.insert(
        code,
        CodeGrant {
            request,
            sub: sub.to_string(),
            auth_time,
            issued_at: now(),
            used: false,
            tokens: vec![],
        },
    );
    answer
}

/// The response modes the bank honours (OAuth 2.0 Multiple Response Types,
/// Form Post Response Mode, JARM §2.3).
pub const RESPONSE_MODES: &[&str] = &[
    "query",
    "fragment",
    "form_post",
    "jwt",
    "query.jwt",
    "fragment.jwt",
    "form_post.jwt",
];

/// Sends `params` to the client at `target` the way it asked: in the query
/// or the fragment (`fragment` is the response type's default), as a form
/// posted by the browser, or wrapped in a signed JWT (JARM).
fn deliver(
    bank: &Bank,
    target: &str,
    mut params: Vec<(String, String)>,
    fragment: bool,
    d: &Delivery,
) -> Response {
    let mode = d.response_mode.as_deref().unwrap_or("");
    let (place, jwt) = match mode.split_once('.') {
        Some((place, "jwt")) => (place, true),
        _ if mode == "jwt" => ("", true),
        _ => (mode, false),
    };
    if jwt {
        params = vec![("response".into(), jarm(bank, &d.client_id, &params))];
    }
    let fragment = match place {
        "fragment" => true,
        "query" | "form_post" => false,
        _ => fragment,
    };
    if place == "form_post" && !bank.faults.has(Fault::FormPostIgnored) {
        return form_post(target, &params);
    }
    found(&redirect_url(target, &params, fragment))
}

/// The JARM response document (§2.1): the parameters as claims, with
/// `iss`, `aud` and `exp`, signed like the ID tokens.
fn jarm(bank: &Bank, client_id: &str, params: &[(String, String)]) -> String {
    let mut claims = serde_json::Map::new();
    for (k, v) in params {
        claims.insert(k.clone(), Value::String(v.clone()));
    }
    let aud = if bank.faults.has(Fault::JarmWrongAud) {
        "another-client"
    } else {
        client_id
    };
    claims.insert("iss".into(), Value::String(bank.issuer.clone()));
    claims.insert("aud".into(), Value::String(aud.into()));
    claims.insert("exp".into(), Value::from(now() + 300));
    let key = &bank.keys.ps256;
    let jwt = crate::jose::sign_jwt(
        &claims,
        "PS256",
        Some((&key.private, &key.kid)),
        Some("JWT"),
    )
    .unwrap_or_default();
    if bank.faults.has(Fault::JarmBadSignature) {
        // Same header and claims, another signature.
        return match jwt.rsplit_once('.') {
            Some((signed, _)) => format!("{signed}.AAAA"),
            None => jwt,
        };
    }
    jwt
}

/// An HTML page whose form the browser posts to the redirect URI at once
/// (Form Post Response Mode §2); every value is escaped.
fn form_post(target: &str, params: &[(String, String)]) -> Response {
    let inputs: String = params
        .iter()
        .map(|(k, v)| {
            format!(
                "<input type=\"hidden\" name=\"{}\" value=\"{}\">",
                escape(k),
                escape(v)
            )
        })
        .collect();
    Html(format!(
        "<!doctype html><title>Submit</title><body onload=\"document.forms[0].submit()\"><form method=\"post\" action=\"{}\">{inputs}<noscript><button>Continue</button></noscript></form></body>",
        escape(target)
    ))
    .into_response()
}

fn redirect_url(base: &str, params: &[(String, String)], fragment: bool) -> String {
    let encoded = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(params)
        .finish();
    let sep = if fragment {
        '#'
    } else if base.contains('?') {
        '&'
    } else {
        '?'
    };
    format!("{base}{sep}{encoded}")
}

/// A 302 to `location`.
pub fn found(location: &str) -> Response {
    (
        StatusCode::FOUND,
        [
            (header::LOCATION, location.to_string()),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
    )
        .into_response()
}

/// Answers a refusal: an error page or an error redirect.
pub fn refuse(bank: &Bank, r: Refusal) -> Response {
    let r = match r {
        Refusal::Redirect { description, .. } if bank.faults.has(Fault::AuthorizeErrorsAsPages) => {
            Refusal::Page(description)
        }
        r => r,
    };
    match r {
        Refusal::Page(why) => (
            StatusCode::BAD_REQUEST,
            Html(format!(
                "<!doctype html><title>Error</title><h1>Invalid request</h1><p>{}</p>",
                escape(&why)
            )),
        )
            .into_response(),
        Refusal::Redirect {
            redirect_uri,
            state,
            error,
            description,
            delivery,
        } => {
            let f = &bank.faults;
            let mut params = vec![
                ("error".to_string(), error.to_string()),
                ("error_description".to_string(), description),
            ];
            if f.has(Fault::ErrorWithCode) {
                params.push(("code".into(), random_token()));
            }
            if let Some(s) = state.filter(|_| !f.has(Fault::ErrorStateDropped)) {
                let s = if f.has(Fault::ErrorStateCorrupted) {
                    format!("{s}-changed")
                } else {
                    s
                };
                params.push(("state".into(), s));
            }
            let iss = if f.has(Fault::ErrorIssWrong) {
                format!("{}/other-tenant", bank.issuer)
            } else {
                bank.issuer.clone()
            };
            params.push(("iss".into(), iss));
            deliver(bank, &redirect_uri, params, false, &delivery)
        }
    }
}

/// Minimal HTML escaping for text in pages.
pub fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
