//! `authorize`: build the authorization request (plain, request object, or
//! PAR), obtain consent through a driver, and judge the callback.
//! Keeps what the token and ID token steps need in the scenario state's
//! [`Authorization`].

mod browser;
mod callback;
mod drivers;
mod manual;
mod request;
mod response_mode;
mod shape;

pub use browser::{kill_all_now as kill_browsers_now, BrowserContext, Browsers};
pub use drivers::parse_page;
pub use shape::{
    AuthorizeDecided, AuthorizeStep, CodeChallengeMethod, DpopJkt, ErrorPage, RequestObjectMode,
    ResponseType,
};

use super::{Outcome, StepContext};
use crate::http::{OutgoingRequest, RequestBody};
use crate::specs::authorize::*;
use crate::specs::SpecResult;
use crate::steps::state::Authorization;
use serde_json::Value;

/// Runs an authorize step.
async fn run(
    step: &AuthorizeStep,
    decided: &AuthorizeDecided,
    stage: &str,
    ctx: &mut StepContext<'_>,
) -> Outcome {
    match prepare_and_drive(step, decided, stage, ctx).await {
        Ok(outcome) => outcome,
        Err((mut specs, why)) => {
            specs.push(REDIRECTED.skip(why));
            Outcome {
                specs,
                artifacts: vec![],
                ok: false,
            }
        }
    }
}

type Early = (Vec<SpecResult>, String);

async fn prepare_and_drive(
    step: &AuthorizeStep,
    decided: &AuthorizeDecided,
    stage: &str,
    ctx: &mut StepContext<'_>,
) -> Result<Outcome, Early> {
    let early = |why: String| (vec![], why);
    if let Some(s) = step.after_s {
        tokio::time::sleep(std::time::Duration::from_secs(s.min(60))).await;
    }
    let client = &decided.client;
    let endpoint = ctx
        .state
        .endpoint("authorization_endpoint")
        .map_err(early)?;
    let (par, request_object) = (decided.par, decided.request_object);
    let mut prepared =
        request::prepare(step, client, decided.response_mode, &*ctx.state).map_err(early)?;
    if step.claims_supported_only {
        if let Err(why) =
            request::keep_supported_claims(&mut prepared.params, ctx.state.discovery.as_ref())
        {
            ctx.state.not_applicable = Some(why.clone());
            return Err(early(why));
        }
    }
    if let Some(which) = step.dpop_jkt {
        prepared
            .params
            .push(("dpop_jkt".into(), jkt(which, ctx).map_err(early)?));
    }
    let mut params =
        request::carry(step, request_object, &prepared, client, ctx.target).map_err(early)?;
    let mut specs = Vec::new();
    let mut request_uri = None;
    let mut expires = None;
    if step.reuse_request_uri {
        let earlier = ctx.state.authorization.as_ref();
        let uri = earlier
            .and_then(|a| a.request_uri.clone())
            .ok_or_else(|| early("no earlier pushed request to reuse".into()))?;
        // The request behind a reused `request_uri` is the earlier one: its
        // state, nonce and PKCE verifier are what the server knows.
        if let Some(a) = earlier {
            prepared.state = a.state.clone();
            prepared.nonce = a.nonce.clone();
            prepared.verifier = a.code_verifier.clone();
        }
        expires = earlier.and_then(|a| a.request_uri_expires);
        if step.after_request_uri_expiry {
            wait_for_expiry(expires).await.map_err(early)?;
        }
        request_uri = Some(uri);
    } else if par {
        match push(step, params.clone(), client, stage, ctx).await {
            Ok((uri, expires_in)) => {
                request_uri = Some(uri);
                expires = Some(
                    std::time::Instant::now()
                        + std::time::Duration::from_secs(expires_in.clamp(0, 86_400) as u64),
                );
            }
            Err(failure) => return refused_at_par(step, failure, ctx),
        }
        specs.push(PAR_CREATED.pass());
        if step.clock_skew {
            specs.push(CLOCK_SKEW_ACCEPTED.pass());
        }
    }
    if step.push_only {
        ctx.state.authorization = Some(remember(
            step,
            &prepared,
            &client.id,
            (request_uri.clone(), expires),
        ));
        return Ok(Outcome {
            specs,
            artifacts: vec![],
            ok: true,
        });
    }
    if let Some(uri) = &request_uri {
        params = vec![
            ("client_id".into(), client.id.clone()),
            ("request_uri".into(), uri.clone()),
        ];
    }
    for (k, v) in &step.front_params {
        let value = v.render(&*ctx.state).map_err(|e| early(e.into()))?;
        params.push((k.clone(), value));
    }
    prepared.front_state = params
        .iter()
        .find(|(k, _)| k == "state")
        .map(|(_, v)| v.clone());
    prepared.borrowed_request = step.reuse_request_uri;
    ctx.state.authorization = Some(remember(
        step,
        &prepared,
        &client.id,
        (request_uri.clone(), expires),
    ));
    // A new authorization starts a new grant: the earlier one's tokens are
    // not its result, and a later step must not judge them as if they were
    // (a stale ID token against this request's nonce). Its templates are
    // filled by now (`id_token_hint` may name the earlier ID token); the
    // earlier ID token's `sub` and `auth_time` stay for the comparisons.
    ctx.state.tokens = Default::default();
    let mut url = url::Url::parse(&endpoint)
        .map_err(|e| early(format!("authorization_endpoint is not a URL: {e}")))?;
    url.query_pairs_mut().extend_pairs(&params);
    if step.visit_first {
        if let Some(why) = first_visit(&url, &prepared.redirect_uri, stage, ctx).await {
            ctx.state.not_applicable = Some(why.clone());
            return Err(early(why));
        }
    }
    let driver = step.driver.unwrap_or(ctx.target.consent.driver);
    let reached = drivers::drive(
        driver,
        url,
        (
            &prepared.redirect_uri,
            step.pages.as_deref(),
            step.psu,
            step.post,
        ),
        stage,
        ctx,
    )
    .await;
    let issuer = &ctx.target.issuer;
    let jwks = ctx.state.jwks().to_vec();
    let Some(authorization) = ctx.state.authorization.as_mut() else {
        return Err(early("the authorization was not recorded".into()));
    };
    let (judged, ok) = callback::judge(step, &prepared, &reached, (issuer, &jwks), authorization);
    let code = authorization.code.is_some();
    specs.extend(judged);
    if step.visit_first {
        specs.push(RELOAD_TOLERATED.check(
            code,
            "a code after the second visit",
            "the second visit was refused",
        ));
    }
    if step.success_allowed && step.expect_error.is_some() && !code {
        ctx.state.ended = Some("the ASPSP refused the request, which this scenario allows".into());
    }
    Ok(Outcome {
        specs,
        artifacts: reached.pages,
        ok,
    })
}

/// The first of two visits to the authorization URL, left at its first
/// answer (a login page, or a redirect to one). An answer that already
/// goes back to the client means the ASPSP completes without the PSU, so no
/// visit can come before completion: the reason the scenario cannot apply.
async fn first_visit(
    url: &url::Url,
    redirect_uri: &str,
    stage: &str,
    ctx: &mut StepContext<'_>,
) -> Option<String> {
    let exchange = ctx
        .session
        .send_from_browser(
            &format!("{stage} (a first visit, left)"),
            OutgoingRequest::get(url.as_str()),
        )
        .await;
    let location = exchange.response().ok()?.header("location")?;
    location.starts_with(redirect_uri).then(|| {
        "the ASPSP answered the first visit with a redirect to the client (its PSU completes without a page), so no visit can come before completion".to_string()
    })
}

/// Waits until a pushed `request_uri` has expired, and a second more; the
/// certification suite skips lifetimes over 30 minutes, and so does this.
async fn wait_for_expiry(expires: Option<std::time::Instant>) -> Result<(), String> {
    let at = expires.ok_or("no `expires_in` is known for the earlier request_uri")?;
    let left = at.saturating_duration_since(std::time::Instant::now());
    if left > std::time::Duration::from_secs(1800) {
        return Err(format!(
            "the request_uri lives {} s more, over the 30 minutes this module waits",
            left.as_secs()
        ));
    }
    tokio::time::sleep(left + std::time::Duration::from_secs(1)).await;
    Ok(())
}

/// The thumbprint an authorization request binds its code to (RFC 9449 §10).
fn jkt(which: DpopJkt, ctx: &mut StepContext<'_>) -> Result<String, String> {
    let key = match which {
        DpopJkt::ScenarioKey => ctx.state.dpop_key()?,
        DpopJkt::OtherKey => ctx.state.other_dpop_key()?,
    };
    Ok(key.thumbprint.clone())
}

/// Why a pushed request did not give a `request_uri`: the spec result, a
/// reason for the steps after, and the refusal itself (status and error
/// code) when the server answered one.
struct PushFailure {
    spec: SpecResult,
    why: String,
    refusal: Option<(u16, Option<String>)>,
}

/// A pushed request that was refused: the expected refusal when the step
/// expects one (RFC 9126 §2.3: PAR errors are token-endpoint style),
/// else the PAR failure.
fn refused_at_par(
    step: &AuthorizeStep,
    failure: PushFailure,
    ctx: &mut StepContext<'_>,
) -> Result<Outcome, Early> {
    if let (true, Some((status, code))) = (step.clock_skew, &failure.refusal) {
        ctx.state.ended = Some(
            "the PAR endpoint refused the clock-skewed client assertion: a warning, and the module ends there"
                .into(),
        );
        let got = code.as_deref().unwrap_or("(none)");
        return Ok(Outcome {
            specs: vec![CLOCK_SKEW_ACCEPTED.fail(
                "201 with a `request_uri`",
                format!("PAR answered {status} with error {got}"),
            )],
            artifacts: vec![],
            ok: true,
        });
    }
    let (Some(expected), Some((status, code))) = (&step.expect_error, &failure.refusal) else {
        return Err((vec![failure.spec], failure.why));
    };
    let got = code.as_deref().unwrap_or("(none)");
    let ok = (400..500).contains(status) && code.as_deref().is_some_and(|c| expected.accepts(c));
    if step.success_allowed {
        ctx.state.ended =
            Some("the ASPSP refused the pushed request, which this scenario allows".into());
    }
    Ok(Outcome {
        specs: vec![EXPECTED_ERROR.check(
            ok,
            format!("the pushed request refused (4xx) with {expected}"),
            format!("PAR answered {status} with error {got}"),
        )],
        artifacts: vec![],
        ok: true,
    })
}

/// Pushes the request (RFC 9126); returns the `request_uri`.
async fn push(
    step: &AuthorizeStep,
    params: Vec<(String, String)>,
    client: &crate::target::ClientProfile,
    stage: &str,
    ctx: &mut StepContext<'_>,
) -> Result<(String, i64), PushFailure> {
    let skipped = |why: String| PushFailure {
        spec: PAR_CREATED.skip(why.clone()),
        why,
        refusal: None,
    };
    let endpoint = ctx
        .state
        .endpoint("pushed_authorization_request_endpoint")
        .map_err(|e| skipped(format!("the ASPSP publishes no PAR endpoint: {e}")))?;
    let token_endpoint = ctx.state.endpoint("token_endpoint").ok();
    // A server that demands a DPoP nonce (RFC 9449 §8) gets the push once
    // more, newly authenticated and with a proof carrying it.
    let retry = step.dpop.is_some_and(|p| !p.is_defect());
    let mut label = format!("{stage} (PAR)");
    let exchange = loop {
        let audience = crate::steps::client_auth::Audience::new(
            &ctx.target.issuer,
            client,
            token_endpoint.clone(),
            &endpoint,
        )
        .with(step.client_assertion.as_ref());
        let (form, mut headers) =
            request::par_body(params.clone(), client, &audience).map_err(skipped)?;
        let proof = crate::steps::dpop::token_header(step.dpop, ctx.state, &endpoint)
            .map_err(|e| skipped(format!("the DPoP proof could not be made: {e}")))?;
        let proved = proof.is_some();
        headers.extend(proof);
        let req = OutgoingRequest {
            method: reqwest::Method::POST,
            url: endpoint.clone(),
            headers,
            body: Some(RequestBody::Form(form)),
        };
        let exchange = ctx.session.send(&label, req).await.clone();
        let demanded = proved
            && exchange.response().is_ok_and(|r| {
                crate::steps::dpop::take_nonce(
                    ctx.state,
                    crate::steps::dpop::AUTHORIZATION_SERVER,
                    r,
                )
            });
        if !(demanded && retry && label.ends_with("(PAR)")) {
            break exchange;
        }
        label = format!("{stage} (PAR, with the DPoP nonce)");
    };
    let failed = |why: String| PushFailure {
        spec: PAR_CREATED.fail_because(why),
        why: "the pushed authorization request failed".to_string(),
        refusal: None,
    };
    let r = exchange.response().map_err(|e| failed(e.into()))?;
    let body = match r.json() {
        Ok(b) => b,
        Err(e) => {
            let mut f = failed(e);
            f.refusal = Some((r.status, None));
            return Err(f);
        }
    };
    let uri = body.get("request_uri").and_then(Value::as_str);
    match (
        r.status,
        uri,
        body.get("expires_in").and_then(Value::as_i64),
    ) {
        (201, Some(uri), Some(expires_in)) => Ok((uri.to_string(), expires_in)),
        (status, uri, exp) => Err(PushFailure {
            spec: PAR_CREATED.fail(
                "201 with `request_uri` and `expires_in`",
                format!(
                    "{status}, request_uri {}, expires_in {}: {}",
                    uri.unwrap_or("(absent)"),
                    exp.map_or_else(|| "(absent)".to_string(), |e| e.to_string()),
                    request::text(&body)
                ),
            ),
            why: "the pushed authorization request failed".into(),
            refusal: Some((
                status,
                body.get("error")
                    .and_then(Value::as_str)
                    .map(str::to_string),
            )),
        }),
    }
}

/// What later steps need of this request.
fn remember(
    step: &AuthorizeStep,
    p: &request::Prepared,
    client_id: &str,
    (request_uri, request_uri_expires): (Option<String>, Option<std::time::Instant>),
) -> Authorization {
    Authorization {
        client_id: client_id.to_string(),
        response_type: step.response_type.name().to_string(),
        scope: p.scope.clone(),
        redirect_uri: p.redirect_uri.clone(),
        state: p.state.clone(),
        nonce: p.nonce.clone(),
        code_verifier: p.verifier.clone(),
        max_age: step.max_age,
        details: p.details.clone(),
        claims: p
            .params
            .iter()
            .find(|(k, _)| k == "claims")
            .and_then(|(_, v)| serde_json::from_str(v).ok()),
        request_uri,
        request_uri_expires,
        code: None,
        id_token: None,
        iss: None,
    }
}
