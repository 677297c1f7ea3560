//! `authorize`: build the authorization request (plain, request object, or
//! PAR), obtain consent through a driver, and judge the callback.
//! Keeps `authorize.code`, `authorize.state`, `authorize.nonce`,
//! `authorize.code_verifier`, `authorize.id_token`, `authorize.scope` and
//! `authorize.redirect_uri` for later steps.

mod callback;
mod drivers;
mod manual;
mod request;

use super::{Outcome, StepContext};
use crate::http::{OutgoingRequest, RequestBody};
use crate::specs::authorize::*;
use crate::specs::SpecResult;
use crate::suite::AuthorizeStep;
use serde_json::Value;

/// Runs an authorize step.
pub(crate) async fn run(step: &AuthorizeStep, stage: &str, ctx: &mut StepContext<'_>) -> Outcome {
    match prepare_and_drive(step, stage, ctx).await {
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
    stage: &str,
    ctx: &mut StepContext<'_>,
) -> Result<Outcome, Early> {
    let early = |why: String| (vec![], why);
    let client = ctx
        .target
        .client_named(step.client.as_deref())
        .map_err(early)?
        .clone();
    let endpoint = ctx
        .vars
        .fill("{{ discovery.authorization_endpoint }}")
        .map_err(|e| early(format!("run a discovery step first: {e}")))?;
    let prepared = request::prepare(step, &client, ctx.vars).map_err(early)?;
    let mut params = request::carry(step, &prepared, &client, ctx.target).map_err(early)?;
    let mut specs = Vec::new();
    if step.reuse_request_uri {
        let uri = ctx
            .vars
            .fill("{{ authorize.request_uri }}")
            .map_err(|e| early(format!("no earlier pushed request: {e}")))?;
        params = vec![
            ("client_id".into(), client.id.clone()),
            ("request_uri".into(), uri),
        ];
    } else if step.par {
        let uri = push(params, &client, stage, ctx)
            .await
            .map_err(|(spec, why)| (vec![spec], why))?;
        specs.push(PAR_CREATED.pass());
        ctx.vars.set("authorize.request_uri", uri.clone());
        params = vec![
            ("client_id".into(), client.id.clone()),
            ("request_uri".into(), uri),
        ];
    }
    remember(ctx, step, &prepared, &client.id);
    let mut url = url::Url::parse(&endpoint)
        .map_err(|e| early(format!("authorization_endpoint is not a URL: {e}")))?;
    url.query_pairs_mut().extend_pairs(&params);
    let driver = step.driver.unwrap_or(ctx.target.consent.driver);
    let reached = drivers::drive(driver, url, &prepared.redirect_uri, stage, ctx).await;
    let (judged, ok) = callback::judge(step, &prepared, &reached, &ctx.target.issuer, ctx.vars);
    specs.extend(judged);
    Ok(Outcome {
        specs,
        artifacts: reached.pages,
        ok,
    })
}

/// Pushes the request (RFC 9126); returns the `request_uri`.
async fn push(
    params: Vec<(String, String)>,
    client: &crate::target::ClientProfile,
    stage: &str,
    ctx: &mut StepContext<'_>,
) -> Result<String, (SpecResult, String)> {
    let skipped = |why: String| (PAR_CREATED.skip(why.clone()), why);
    let endpoint = ctx
        .vars
        .fill("{{ discovery.pushed_authorization_request_endpoint }}")
        .map_err(|e| skipped(format!("the ASPSP publishes no PAR endpoint: {e}")))?;
    let (form, headers) = request::par_body(params, client, &ctx.target.issuer).map_err(skipped)?;
    let req = OutgoingRequest {
        method: reqwest::Method::POST,
        url: endpoint,
        headers,
        body: Some(RequestBody::Form(form)),
    };
    let exchange = ctx.session.send(&format!("{stage} (PAR)"), req).await;
    let failed = |why: String| {
        (
            PAR_CREATED.fail_because(why),
            "the pushed authorization request failed".to_string(),
        )
    };
    let r = exchange.response().map_err(failed)?;
    let body = r.json().map_err(failed)?;
    let uri = body.get("request_uri").and_then(Value::as_str);
    match (
        r.status,
        uri,
        body.get("expires_in").and_then(Value::as_i64),
    ) {
        (201, Some(uri), Some(_)) => Ok(uri.to_string()),
        (status, uri, exp) => Err((
            PAR_CREATED.fail(
                "201 with `request_uri` and `expires_in`",
                format!(
                    "{status}, request_uri {uri:?}, expires_in {exp:?}: {}",
                    request::text(&body)
                ),
            ),
            "the pushed authorization request failed".into(),
        )),
    }
}

fn remember(
    ctx: &mut StepContext<'_>,
    step: &AuthorizeStep,
    p: &request::Prepared,
    client_id: &str,
) {
    let v = &mut ctx.vars;
    v.set("authorize.redirect_uri", p.redirect_uri.clone());
    v.set("authorize.client_id", client_id);
    v.set("authorize.response_type", step.response_type.clone());
    v.set(
        "authorize.scope",
        p.params
            .iter()
            .find(|(k, _)| k == "scope")
            .map(|(_, s)| s.clone())
            .unwrap_or_default(),
    );
    v.set("authorize.state", p.state.clone().unwrap_or_default());
    let details = p.params.iter().find(|(k, _)| k == "authorization_details");
    v.set(
        "authorize.authorization_details",
        details.map(|(_, d)| d.clone()).unwrap_or_default(),
    );
    v.set("authorize.nonce", p.nonce.clone().unwrap_or_default());
    v.set(
        "authorize.code_verifier",
        p.verifier.clone().unwrap_or_default(),
    );
    v.set(
        "authorize.max_age",
        step.max_age.map(|m| m.to_string()).unwrap_or_default(),
    );
}
