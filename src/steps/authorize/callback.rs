//! Judging the authorization response at the redirect URI.

use super::drivers::Reached;
use super::request::Prepared;
use super::response_mode::unpack_jarm;
use super::{AuthorizeStep, ErrorPage};
use crate::specs::authorize::*;
use crate::specs::SpecResult;
use crate::steps::state::Authorization;
use crate::steps::Artifact;
use crate::target::ResponseMode;
use std::collections::HashMap;

/// Judges the callback; returns the specs and whether a code was obtained.
pub(super) fn judge(
    step: &AuthorizeStep,
    p: &Prepared,
    reached: &Reached,
    (issuer, jwks): (&str, &[serde_json::Map<String, serde_json::Value>]),
    authorization: &mut Authorization,
) -> (Vec<SpecResult>, bool) {
    if let Some(why) = &reached.not_run {
        return (vec![REDIRECTED.skip(why.clone())], false);
    }
    if let Some(judged) = refusal_without_redirect(step, p, reached) {
        return (judged, true);
    }
    let Some(callback) = &reached.callback else {
        let why = reached
            .failure
            .clone()
            .unwrap_or_else(|| "the redirect URI was not reached".into());
        return (vec![REDIRECTED.fail_because(why)], false);
    };
    let mut specs = vec![REDIRECTED.pass()];
    let query: HashMap<String, String> = callback.query_pairs().into_owned().collect();
    let fragment: HashMap<String, String> = callback
        .fragment()
        .map(|f| {
            url::form_urlencoded::parse(f.as_bytes())
                .into_owned()
                .collect()
        })
        .unwrap_or_default();
    let hybrid = step.response_type.has_id_token();
    // Errors come in the query for `code`; hybrid answers use the fragment.
    let mut params = if !fragment.is_empty() {
        fragment.clone()
    } else {
        query
    };
    match p.response_mode {
        Some(ResponseMode::FormPost) => specs.push(FORM_POSTED.check(
            reached.posted,
            "a page whose form posts the response to the redirect URI",
            "a redirect with the response in the URL",
        )),
        Some(ResponseMode::Jwt) => {
            let Some(jwt) = params.get("response").cloned() else {
                specs.push(JARM_SIGNED.fail("a `response` JWT", "absent"));
                return (specs, false);
            };
            let client_id = authorization.client_id.clone();
            let (judged, inner) = unpack_jarm(&jwt, jwks, issuer, &client_id);
            specs.extend(judged);
            match inner {
                Some(inner) => params = inner,
                None => return (specs, false),
            }
        }
        _ => {}
    }
    let params = &params;
    let succeeded_as_allowed = step.success_allowed && !params.contains_key("error");
    if let Some(expected) = step.expect_error.as_ref().filter(|_| !succeeded_as_allowed) {
        let got = params
            .get("error")
            .cloned()
            .unwrap_or_else(|| "no error (a code was issued)".into());
        specs.push(EXPECTED_ERROR.check(expected.accepts(&got), expected.to_string(), got));
        if params.contains_key("error") {
            specs.extend(error_response(params, p, issuer));
        }
        return (specs, true);
    }
    if let Some(err) = params.get("error") {
        let desc = params
            .get("error_description")
            .map(|d| format!(": {d}"))
            .unwrap_or_default();
        specs.push(NO_ERROR.fail("an authorization code", format!("error {err}{desc}")));
        specs.extend(error_response(params, p, issuer));
        return (specs, false);
    }
    let code = params.get("code");
    specs.push(CODE.check(code.is_some_and(|c| !c.is_empty()), "a `code`", "absent"));
    let got = params
        .get("state")
        .map(String::as_str)
        .unwrap_or("(absent)");
    match &p.state {
        Some(sent) => specs.push(STATE.check(got == sent, sent.as_str(), got)),
        // No state was sent (or only outside a pushed request, where it
        // must be ignored): none may come back.
        None => specs.push(STATE.check(
            !params.contains_key("state"),
            "(absent): no state was sent in the request",
            got,
        )),
    }
    match params.get("iss") {
        Some(iss) => {
            specs.push(ISS_PRESENT.pass());
            specs.push(ISS_MATCHES.check(iss == issuer, issuer, iss.as_str()));
        }
        None => specs.push(ISS_PRESENT.fail("`iss`", "absent")),
    }
    if hybrid {
        let ok = !fragment.is_empty() && fragment.contains_key("id_token");
        let where_ = if fragment.is_empty() {
            "the query"
        } else {
            "the fragment, without id_token"
        };
        specs.push(FRAGMENT.check(ok, "code and id_token in the fragment", where_));
    }
    let prompt_none = step
        .params
        .get("prompt")
        .and_then(|p| p.literal())
        .is_some_and(|p| p.split_whitespace().any(|v| v == "none"));
    if prompt_none && !reached.prompt_unknown {
        let shown: Vec<&str> = reached.pages.iter().filter_map(page_label).collect();
        specs.push(NO_INTERACTION.check(
            shown.is_empty(),
            "no page",
            format!("shown: {}", shown.join(", ")),
        ));
    }
    if step.expect_consent_prompt == Some(false) && reached.prompt_unknown {
        specs.push(
            NO_CONSENT_PROMPT
                .skip("a person authorized in a browser: probity did not see the pages"),
        );
    } else if step.expect_consent_prompt == Some(false) {
        specs.push(NO_CONSENT_PROMPT.check(
            !reached.consent_prompted,
            "no consent page",
            "a consent page was shown",
        ));
    }
    authorization.code = params.get("code").cloned();
    authorization.id_token = params.get("id_token").cloned();
    authorization.iss = params.get("iss").cloned();
    (specs, code.is_some())
}

/// What every error response must be, whatever its error (OIDC Core
/// §3.1.2.6, RFC 6749 §4.1.2.1, RFC 9207 §2), as the OIDF modules'
/// generic error checks judge it: the `state` sent comes back unchanged,
/// an `iss`, when there is one, is the issuer, and no `code` comes with
/// the `error`.
fn error_response(params: &HashMap<String, String>, p: &Prepared, issuer: &str) -> Vec<SpecResult> {
    let mut specs = Vec::new();
    let got = params.get("state");
    // The state the server received: the request's own, else one sent in
    // the front channel only (the server must then echo that one).
    let sent = p.state.as_ref().or(p.front_state.as_ref());
    let unreadable = matches!(
        params.get("error").map(String::as_str),
        Some("invalid_request_object" | "invalid_request_uri")
    );
    let state = match (sent, got) {
        (Some(sent), Some(got)) => STATE.check(got == sent, sent.as_str(), got.as_str()),
        // A request object or `request_uri` the server cannot read hides
        // the state from it (the OIDF condition allows these two errors).
        (Some(_), None) if unreadable => STATE.pass_with(
            "no `state` with an unreadable request object or `request_uri`, as the OIDF condition allows",
        ),
        // A `request_uri` pushed earlier, perhaps by another client: the
        // server that refuses it must not hand its state to this request.
        (Some(_), None) if p.borrowed_request && p.front_state.is_none() => STATE.pass_with(
            "no `state` in the refusal of a reused `request_uri`: the state inside it is not this request's to receive",
        ),
        (Some(sent), None) => STATE.fail(sent.as_str(), "(absent)"),
        (None, None) => STATE.pass_with("no state was sent and none came back"),
        (None, Some(got)) => STATE.fail("(absent): no state was sent in the request", got.as_str()),
    };
    specs.push(state);
    if let Some(iss) = params.get("iss") {
        specs.push(ISS_MATCHES.check(iss == issuer, issuer, iss.as_str()));
    }
    specs.push(NO_CODE_WITH_ERROR.check(
        !params.contains_key("code"),
        "no `code` beside the `error`",
        "a `code` beside the `error`",
    ));
    specs
}

/// The refusals that do not come back to the client: an error page at the
/// ASPSP (accepted, marked for a person to review, when the step allows
/// it), and, when only an error page is correct (the redirect URI cannot
/// be trusted), any redirect to the client. `None`: judge the callback.
fn refusal_without_redirect(
    step: &AuthorizeStep,
    p: &Prepared,
    reached: &Reached,
) -> Option<Vec<SpecResult>> {
    step.expect_error.as_ref()?;
    match (&reached.callback, &reached.error_page, step.error_page) {
        (None, Some(page), ErrorPage::Accepted | ErrorPage::Only) => {
            let mut specs = vec![ERROR_PAGE.fail_because(format!(
                "{page}: a person must confirm that this page tells the PSU the request was refused (the page is in the evidence)"
            ))];
            if step.error_page == ErrorPage::Only {
                specs.push(NOT_REDIRECTED.pass());
            }
            Some(specs)
        }
        (Some(cb), _, ErrorPage::Only) => Some(vec![NOT_REDIRECTED.fail(
            format!("an error page, no redirect to {}", p.redirect_uri),
            format!("redirected to {}", crate::steps::shown(cb.as_str())),
        )]),
        (None, None, ErrorPage::Only) => Some(vec![NOT_REDIRECTED.fail(
            "an error page at the ASPSP",
            reached.failure.clone().unwrap_or_else(|| "no page".into()),
        )]),
        _ => None,
    }
}

/// The label of a page the driver acted on.
fn page_label(a: &Artifact) -> Option<&str> {
    match a {
        Artifact::Page { label, .. } => Some(label.as_str()),
        _ => None,
    }
}
