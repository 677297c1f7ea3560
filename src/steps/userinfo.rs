//! `userinfo`: call the UserInfo endpoint with the access token: GET or
//! POST (OIDC Core §5.3), the token in the `Authorization` header or in the
//! form body (RFC 6750 §2.1, §2.2).

use super::{Artifact, Outcome, StepContext};
use crate::http::{OutgoingRequest, RequestBody};
use crate::specs::userinfo::*;
use crate::suite::{TokenPlacement, UserinfoMethod, UserinfoStep};
use serde_json::Value;

/// The request as the step asks for it.
fn request(step: &UserinfoStep, url: String, token: &str) -> OutgoingRequest {
    let mut req = OutgoingRequest::get(url).header("accept", "application/json");
    if step.method == UserinfoMethod::Post {
        req.method = reqwest::Method::POST;
    }
    match step.token_in {
        TokenPlacement::Header => req.header("authorization", format!("Bearer {token}")),
        TokenPlacement::Body => {
            req.body = Some(RequestBody::Form(vec![(
                "access_token".into(),
                token.to_string(),
            )]));
            req
        }
    }
}

/// Runs a userinfo step.
pub(crate) async fn run(step: &UserinfoStep, stage: &str, ctx: &mut StepContext<'_>) -> Outcome {
    let prepared = ctx
        .state
        .endpoint("userinfo_endpoint")
        .and_then(|u| Ok((u, ctx.state.access_token()?)));
    let (url, token) = match prepared {
        Ok(p) => p,
        Err(e) => {
            return Outcome {
                specs: vec![match step.token_in {
                    TokenPlacement::Header => STATUS_OK.skip(e),
                    TokenPlacement::Body => BODY_TOKEN.skip(e),
                }],
                artifacts: vec![],
                ok: false,
            }
        }
    };
    let exchange = ctx.session.send(stage, request(step, url, &token)).await;
    // A token in the body is optional for the server (RFC 6750 §2.2 "MAY"):
    // a refusal is judged by its own warning-level spec.
    let status_spec = match step.token_in {
        TokenPlacement::Header => &STATUS_OK,
        TokenPlacement::Body => &BODY_TOKEN,
    };
    let body = exchange
        .response()
        .and_then(|r| match (r.status, r.json()) {
            (200, Ok(Value::Object(m))) => Ok(m),
            (status, _) => Err(format!(
                "status {status}: {}",
                r.body.chars().take(200).collect::<String>()
            )),
        });
    let body = match body {
        Ok(b) => b,
        Err(e) => {
            return Outcome {
                specs: vec![status_spec.fail_because(e)],
                artifacts: vec![],
                ok: false,
            }
        }
    };
    let mut specs = vec![status_spec.pass()];
    let sub = body
        .get("sub")
        .and_then(Value::as_str)
        .unwrap_or("(absent)");
    if let Some(id_sub) = ctx.state.id_token_sub.as_deref() {
        specs.push(SUB_MATCHES.check(sub == id_sub, id_sub, sub));
    }
    let artifacts = vec![Artifact::Claims {
        label: "UserInfo claims".into(),
        claims: Value::Object(body),
    }];
    Outcome {
        specs,
        artifacts,
        ok: true,
    }
}
