//! `userinfo`: call the UserInfo endpoint with the access token.

use super::{Artifact, Outcome, StepContext};
use crate::http::OutgoingRequest;
use crate::specs::userinfo::*;
use serde_json::Value;

/// Runs a userinfo step.
pub(crate) async fn run(stage: &str, ctx: &mut StepContext<'_>) -> Outcome {
    let prepared = ctx
        .state
        .endpoint("userinfo_endpoint")
        .and_then(|u| Ok((u, ctx.state.access_token()?)));
    let (url, token) = match prepared {
        Ok(p) => p,
        Err(e) => {
            return Outcome {
                specs: vec![STATUS_OK.skip(e)],
                artifacts: vec![],
                ok: false,
            }
        }
    };
    let exchange = ctx
        .session
        .send(
            stage,
            OutgoingRequest::get(url)
                .header("authorization", format!("Bearer {token}"))
                .header("accept", "application/json"),
        )
        .await;
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
                specs: vec![STATUS_OK.fail_because(e)],
                artifacts: vec![],
                ok: false,
            }
        }
    };
    let mut specs = vec![STATUS_OK.pass()];
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
