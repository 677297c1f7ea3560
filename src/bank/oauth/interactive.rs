//! The interactive consent mode: an HTML login page, an HTML consent page,
//! a session cookie, and grants remembered per PSU, client and scopes so a
//! second authorization for the same scopes skips the consent page.

use super::authorize::{complete, escape, found};
use super::AuthRequest;
use crate::bank::clients::{ConsentMode, PSU_PASSWORD, PSU_USERNAME};
use crate::bank::faults::Fault;
use crate::bank::state::{Bank, PsuSession};
use crate::bank::store::{now, random_token};
use axum::extract::{Form, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use std::collections::HashMap;
use std::sync::Arc;

pub(super) const COOKIE: &str = "bank_session";
const SUB: &str = "psu-alice";

/// Starts an interactive authorization: login, consent, or straight to the
/// client when the PSU is logged in and already granted these scopes.
pub fn begin(bank: &Bank, headers: &HeaderMap, request: AuthRequest) -> Response {
    let prompts: Vec<String> = request
        .prompt
        .as_deref()
        .unwrap_or("")
        .split_whitespace()
        .map(str::to_string)
        .collect();
    // `prompt=login` and an elapsed `max_age` ask for a fresh login: the
    // session does not count (OIDC Core §3.1.2.1).
    let fresh_login = |s: &PsuSession| {
        prompts.iter().any(|p| p == "login")
            || request
                .max_age
                .is_some_and(|m| now().saturating_sub(s.auth_time) > m)
    };
    let ignore = bank.faults.has(Fault::PromptLoginIgnored);
    let session = session_of(bank, headers).filter(|s| ignore || !fresh_login(s));
    if prompts.iter().any(|p| p == "none") {
        if bank.faults.has(Fault::PromptNoneIgnored) && session.is_some() {
            let interaction = random_token();
            bank.interactions.insert(interaction.clone(), request);
            return found(&format!("/consent?interaction={interaction}"));
        }
        return without_interaction(bank, request, session);
    }
    let interaction = random_token();
    match session {
        None => {
            bank.interactions.insert(interaction.clone(), request);
            found(&format!("/login?interaction={interaction}"))
        }
        Some(s) => after_login(bank, request, &s, interaction),
    }
}

/// `prompt=none`: answer at once, or say why the PSU would have had to
/// interact (OIDC Core §3.1.2.6).
fn without_interaction(bank: &Bank, request: AuthRequest, session: Option<PsuSession>) -> Response {
    let error = match &session {
        None => Some("login_required"),
        Some(s) if request.hinted_sub.as_ref().is_some_and(|h| h != &s.sub) => {
            Some("login_required")
        }
        Some(s) if !granted(bank, &s.sub, &request) => Some("consent_required"),
        Some(_) => None,
    };
    match (error, session) {
        (None, Some(s)) => complete(bank, request, &s.sub, s.auth_time),
        (error, _) => {
            let refusal = super::authorize::Refusal::Redirect {
                redirect_uri: request.redirect_uri.clone(),
                state: request.state.clone(),
                error: error.unwrap_or("login_required"),
                description: "prompt=none, and the PSU would have to interact".into(),
                delivery: request.delivery(),
            };
            super::authorize::refuse(bank, refusal)
        }
    }
}

fn after_login(
    bank: &Bank,
    request: AuthRequest,
    session: &PsuSession,
    interaction: String,
) -> Response {
    if granted(bank, &session.sub, &request) && !bank.faults.has(Fault::ConsentAlwaysPrompt) {
        return complete(bank, request, &session.sub, session.auth_time);
    }
    bank.interactions.insert(interaction.clone(), request);
    found(&format!("/consent?interaction={interaction}"))
}

fn grant_key(sub: &str, client_id: &str) -> String {
    format!("{sub}|{client_id}")
}

fn granted(bank: &Bank, sub: &str, request: &AuthRequest) -> bool {
    bank.grants
        .get(&grant_key(sub, &request.client_id))
        .is_some_and(|g| request.scopes().is_subset(&g))
}

fn session_of(bank: &Bank, headers: &HeaderMap) -> Option<PsuSession> {
    let cookies = headers.get(header::COOKIE)?.to_str().ok()?;
    let id = cookies
        .split(';')
        .filter_map(|c| c.trim().split_once('='))
        .find(|(n, _)| *n == COOKIE)?
        .1;
    bank.sessions.get(id)
}

/// `GET /login`
pub async fn login_page(
    State(bank): State<Arc<Bank>>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let Some(interaction) = q
        .get("interaction")
        .filter(|i| bank.interactions.get(i).is_some())
    else {
        return unknown_interaction();
    };
    if scripted(&bank, interaction) {
        return login_frame_host(interaction);
    }
    login_form(interaction, None)
}

/// Whether the interaction's client has the `interactive-js` pages.
fn scripted(bank: &Bank, interaction: &str) -> bool {
    bank.interactions
        .get(interaction)
        .and_then(|r| bank.client(&r.client_id).map(|c| c.consent))
        == Some(ConsentMode::InteractiveJs)
}

/// The `interactive-js` login page: no form of its own, only an iframe
/// holding it (the form driver finds nothing to fill here).
fn login_frame_host(interaction: &str) -> Response {
    Html(format!(
        "<!doctype html><html><head><title>Sign in to Probity Bank</title></head><body><h1>Sign in</h1>\
<iframe id=\"login-frame\" title=\"Sign in\" src=\"/login/frame?interaction={}\" width=\"420\" height=\"220\"></iframe></body></html>",
        escape(interaction)
    ))
    .into_response()
}

/// `GET /login/frame`: the login form inside the iframe; it posts to the
/// top window, so the PSU leaves the frame when signed in.
pub async fn login_frame(
    State(bank): State<Arc<Bank>>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let Some(interaction) = q
        .get("interaction")
        .filter(|i| bank.interactions.get(i).is_some())
    else {
        return unknown_interaction();
    };
    let page = login_form(interaction, None);
    let (parts, body) = page.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, 64 * 1024).await else {
        return unknown_interaction();
    };
    let html = String::from_utf8_lossy(&bytes).replace(
        "<form id=\"login-form\"",
        "<form id=\"login-form\" target=\"_top\"",
    );
    Response::from_parts(parts, axum::body::Body::from(html))
}

fn login_form(interaction: &str, error: Option<&str>) -> Response {
    let error = error
        .map(|e| format!("<p class=\"error\">{}</p>", escape(e)))
        .unwrap_or_default();
    Html(format!(
        "<!doctype html><html><head><title>Sign in to Probity Bank</title></head><body><h1>Sign in</h1>{error}\
<form id=\"login-form\" method=\"post\" action=\"/login\"><input type=\"hidden\" name=\"interaction\" value=\"{}\">\
<label>Username <input name=\"username\"></label><label>Password <input type=\"password\" name=\"password\"></label>\
<button type=\"submit\">Sign in</button></form></body></html>",
        escape(interaction)
    ))
    .into_response()
}

/// `POST /login`
pub async fn login(
    State(bank): State<Arc<Bank>>,
    Form(f): Form<HashMap<String, String>>,
) -> Response {
    let interaction = f.get("interaction").cloned().unwrap_or_default();
    let Some(request) = bank.interactions.take(&interaction) else {
        return unknown_interaction();
    };
    if f.get("username").map(String::as_str) != Some(PSU_USERNAME)
        || f.get("password").map(String::as_str) != Some(PSU_PASSWORD)
    {
        bank.interactions.insert(interaction.clone(), request);
        let mut page = login_form(&interaction, Some("Wrong username or password"));
        *page.status_mut() = StatusCode::UNAUTHORIZED;
        return page;
    }
    let session = PsuSession {
        sub: SUB.into(),
        auth_time: now(),
    };
    let cookie_value = random_token();
    bank.sessions.insert(cookie_value.clone(), session.clone());
    let mut response = after_login(&bank, request, &session, interaction);
    let cookie = format!("{COOKIE}={cookie_value}; Path=/; HttpOnly; Secure; SameSite=Lax");
    if let Ok(v) = cookie.parse() {
        response.headers_mut().append(header::SET_COOKIE, v);
    }
    response
}

/// `GET /consent`
pub async fn consent_page(
    State(bank): State<Arc<Bank>>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let interaction = q.get("interaction").cloned().unwrap_or_default();
    let Some(request) = bank.interactions.get(&interaction) else {
        return unknown_interaction();
    };
    let scopes: String = request
        .scopes()
        .iter()
        .map(|s| format!("<li>{}</li>", escape(s)))
        .collect();
    if scripted(&bank, &interaction) {
        return scripted_consent(&request.client_id, &scopes, &interaction);
    }
    Html(format!(
        "<!doctype html><html><head><title>Authorize {client}</title></head><body><h1>Authorize {client}</h1>\
<p>{client} asks for access to:</p><ul>{scopes}</ul>\
<form id=\"consent-form\" method=\"post\" action=\"/consent\"><input type=\"hidden\" name=\"interaction\" value=\"{i}\">\
<button type=\"submit\" name=\"decision\" value=\"approve\">Allow</button>\
<button type=\"submit\" name=\"decision\" value=\"deny\">Deny</button></form></body></html>",
        client = escape(&request.client_id),
        i = escape(&interaction)
    ))
    .into_response()
}

/// The `interactive-js` consent page: the form and its buttons are written
/// by a script a moment after the page loads, as single-page apps do; the
/// HTML as served has nothing to submit. The interaction id goes through a
/// `data-` attribute, not into the script's text.
fn scripted_consent(client_id: &str, scopes: &str, interaction: &str) -> Response {
    Html(format!(
        "<!doctype html><html><head><title>Authorize {client}</title></head><body><h1>Authorize {client}</h1>\
<p>{client} asks for access to:</p><ul>{scopes}</ul><div id=\"consent-app\" data-interaction=\"{i}\">Loading…</div>\
<script>setTimeout(function () {{\
var app = document.getElementById('consent-app');\
var f = document.createElement('form'); f.id = 'consent-form'; f.method = 'post'; f.action = '/consent';\
var i = document.createElement('input'); i.type = 'hidden'; i.name = 'interaction'; i.value = app.dataset.interaction; f.appendChild(i);\
var s = document.createElement('select'); s.name = 'account';\
[['', 'Choose an account'], ['acc-1', 'Current account']].forEach(function (o) {{\
var e = document.createElement('option'); e.value = o[0]; e.textContent = o[1]; s.appendChild(e); }}); f.appendChild(s);\
[['approve', 'Allow'], ['deny', 'Deny']].forEach(function (d) {{\
var b = document.createElement('button'); b.type = 'submit'; b.name = 'decision'; b.value = d[0]; b.textContent = d[1]; f.appendChild(b); }});\
app.textContent = ''; app.appendChild(f); }}, 300);</script></body></html>",
        client = escape(client_id),
        i = escape(interaction)
    ))
    .into_response()
}

/// `POST /consent`
pub async fn consent(
    State(bank): State<Arc<Bank>>,
    headers: HeaderMap,
    Form(f): Form<HashMap<String, String>>,
) -> Response {
    let Some(session) = session_of(&bank, &headers) else {
        return (
            StatusCode::UNAUTHORIZED,
            Html("<h1>Not signed in</h1>".to_string()),
        )
            .into_response();
    };
    let interaction = f.get("interaction").cloned().unwrap_or_default();
    let Some(request) = bank.interactions.take(&interaction) else {
        return unknown_interaction();
    };
    let js = bank.client(&request.client_id).map(|c| c.consent) == Some(ConsentMode::InteractiveJs);
    let approve = f.get("decision").map(String::as_str) == Some("approve");
    // The scripted page's PSU must pick the account the consent is for.
    if js && approve && f.get("account").is_none_or(|a| a.is_empty()) {
        bank.interactions.insert(interaction, request);
        return (
            StatusCode::BAD_REQUEST,
            Html(
                "<!doctype html><title>Choose an account</title><h1>Choose an account</h1>"
                    .to_string(),
            ),
        )
            .into_response();
    }
    if !approve {
        let refusal = super::authorize::Refusal::Redirect {
            redirect_uri: request.redirect_uri.clone(),
            state: request.state.clone(),
            error: "access_denied",
            description: "the PSU denied the request".into(),
            delivery: request.delivery(),
        };
        return super::authorize::refuse(&bank, refusal);
    }
    let key = grant_key(&session.sub, &request.client_id);
    let mut scopes = bank.grants.get(&key).unwrap_or_default();
    scopes.extend(request.scopes());
    bank.grants.insert(key, scopes);
    complete(&bank, request, &session.sub, session.auth_time)
}

fn unknown_interaction() -> Response {
    (
        StatusCode::BAD_REQUEST,
        Html("<h1>Unknown or expired interaction</h1>".to_string()),
    )
        .into_response()
}
