//! `decoupled`: CIBA poll mode and the Idura headless flow. Starts the
//! request, then polls the token endpoint, honouring `interval`,
//! `slow_down` (+5 s, CIBA §11) and `expires_in`; every poll is captured.

use super::client_auth;
use super::kind::{client_of, ClientRole, Facts, Kind, Need, Provided};
use super::requirements::{Requirements, CIBA_GRANT, GRANT_DEFAULTS};
use super::token::{judge_tokens, Expectation};
use super::wait::{deadline_after, sleep_until_at_most};
use super::{Outcome, StepContext};
use crate::expr::Template;
use crate::http::{OutgoingRequest, RecordedResponse, RequestBody};
use crate::specs::decoupled::*;
use crate::specs::SpecResult;
use crate::target::{ClientProfile, Target};
use serde::Deserialize;
use serde_json::Value;
use std::time::{Duration, Instant};

/// Which decoupled protocol.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DecoupledMode {
    /// OpenID CIBA, poll mode.
    #[default]
    Ciba,
    /// The Idura headless flow.
    Headless,
}

/// `decoupled:` — start a decoupled authorization and poll the token endpoint.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DecoupledStep {
    /// Stage name in reports.
    pub stage: Option<String>,
    /// CIBA (default) or Idura headless.
    #[serde(default)]
    pub mode: DecoupledMode,
    /// A named client of the target.
    pub client: Option<ClientRole>,
    /// Requested scope (default `openid`).
    pub scope: Option<Template>,
    /// `login_hint` (CIBA requires one).
    pub login_hint: Option<Template>,
    /// `acr_values`.
    pub acr_values: Option<Template>,
    /// Overrides the endpoint (CIBA: from discovery; headless: `/headless/authorize`).
    pub endpoint: Option<Template>,
    /// Expect the request to end with this error (`access_denied`, `expired_token`).
    pub expect_error: Option<String>,
    /// Poll this often instead of the server's interval (to provoke `slow_down`).
    pub poll_interval_ms: Option<u64>,
    /// Expect at least one `slow_down` answer.
    #[serde(default)]
    pub expect_slow_down: bool,
    /// Give up after this many seconds (default 30).
    pub timeout_s: Option<u64>,
}

impl Facts for DecoupledStep {
    fn stage(&self) -> Option<&str> {
        self.stage.as_deref()
    }

    fn client(&self) -> Option<&ClientRole> {
        self.client.as_ref()
    }

    fn acts_as_client(&self) -> bool {
        true
    }

    fn templates(&self) -> Vec<&Template> {
        [
            &self.endpoint,
            &self.login_hint,
            &self.acr_values,
            &self.scope,
        ]
        .into_iter()
        .flatten()
        .collect()
    }

    fn urls(&self) -> Vec<&Template> {
        self.endpoint.iter().collect()
    }

    fn needs(&self) -> Vec<(Need, &'static str)> {
        vec![(Need::Discovery, "a decoupled authorization")]
    }

    fn provide(&self, provided: &mut Provided) {
        provided.add(Need::Tokens);
        provided.add(Need::ClientAssertion);
    }

    fn expects_refusal(&self) -> bool {
        self.expect_error.is_some()
    }
}

impl Kind for DecoupledStep {
    const STAGE: &'static str = "Decoupled Authorization";
    /// The client that starts the authorization.
    type Decided = ClientProfile;

    fn decide(&self, target: &Target) -> Result<ClientProfile, crate::target::UnknownClient> {
        client_of(target, &self.client)
    }

    fn require(&self, _: &ClientProfile, _: &Target, needs: &mut Requirements) {
        if self.mode != DecoupledMode::Ciba || self.endpoint.is_some() {
            return;
        }
        let why = "CIBA (OpenID CIBA Core §4)";
        needs.present("backchannel_authentication_endpoint", why);
        needs.contains(
            "backchannel_token_delivery_modes_supported",
            "poll",
            &[],
            why,
        );
        needs.contains("grant_types_supported", CIBA_GRANT, GRANT_DEFAULTS, why);
    }

    async fn run(&self, client: &ClientProfile, stage: &str, ctx: &mut StepContext<'_>) -> Outcome {
        run(self, client, stage, ctx).await
    }
}

/// Runs a decoupled step.
async fn run(
    step: &DecoupledStep,
    client: &ClientProfile,
    stage: &str,
    ctx: &mut StepContext<'_>,
) -> Outcome {
    let started = match start(step, client, stage, ctx).await {
        Ok(s) => s,
        Err(spec) => return early(spec),
    };
    let mut specs = vec![ACCEPTED.pass()];
    specs.push(expires_in_spec(started.expires_in_sent.as_ref()));
    let polled = poll(step, client, &started, stage, ctx).await;
    specs.extend(judge(step, &polled, ctx));
    Outcome {
        specs,
        artifacts: vec![],
        ok: polled.tokens.is_some(),
    }
}

/// Judges `expires_in` as sent: a negative, zero, fractional or textual
/// value is reported as what it is, not as absent.
fn expires_in_spec(sent: Option<&Value>) -> SpecResult {
    match sent {
        Some(v) => match v.as_u64().filter(|e| *e > 0) {
            Some(e) => EXPIRES_IN.pass_with(format!("{e} s")),
            None => EXPIRES_IN.fail("a positive integer number of seconds", v.to_string()),
        },
        None => EXPIRES_IN.fail("`expires_in`", "absent"),
    }
}

fn early(spec: SpecResult) -> Outcome {
    Outcome {
        specs: vec![spec],
        artifacts: vec![],
        ok: false,
    }
}

struct Started {
    id: String,
    /// Usable for timing: a positive integer, else `None` (no limit).
    expires_in: Option<u64>,
    /// As the target sent it, for the spec.
    expires_in_sent: Option<Value>,
    /// Usable for timing: a non-negative integer, else `None` (CIBA's 5 s).
    interval: Option<u64>,
}

async fn start(
    step: &DecoupledStep,
    client: &ClientProfile,
    stage: &str,
    ctx: &mut StepContext<'_>,
) -> Result<Started, SpecResult> {
    let state = &*ctx.state;
    let endpoint = match (&step.endpoint, step.mode) {
        (Some(t), _) => t.render(state).map_err(String::from),
        (None, DecoupledMode::Ciba) => state.endpoint("backchannel_authentication_endpoint"),
        (None, DecoupledMode::Headless) => Ok(format!(
            "{}/headless/authorize",
            ctx.target.issuer.trim_end_matches('/')
        )),
    }
    .map_err(|e| ACCEPTED.skip(format!("no endpoint: {e}")))?;
    let scope = match &step.scope {
        Some(t) => t.render(state).map_err(|e| ACCEPTED.skip(e))?,
        None => "openid".into(),
    };
    let mut form = vec![("scope".to_string(), scope)];
    for (k, v) in [
        ("login_hint", &step.login_hint),
        ("acr_values", &step.acr_values),
    ] {
        if let Some(v) = v {
            form.push((k.into(), v.render(state).map_err(|e| ACCEPTED.skip(e))?));
        }
    }
    let mut headers = vec![("accept".to_string(), "application/json".to_string())];
    let audience = client_auth::Audience::new(
        &ctx.target.issuer,
        client,
        state.endpoint("token_endpoint").ok(),
        &endpoint,
    );
    client_auth::apply(client, &audience, &mut form, &mut headers).map_err(|e| ACCEPTED.skip(e))?;
    let req = OutgoingRequest {
        method: reqwest::Method::POST,
        url: endpoint,
        headers,
        body: Some(RequestBody::Form(form)),
    };
    let exchange = ctx.session.send(stage, req).await;
    let r = exchange.response().map_err(|e| ACCEPTED.fail_because(e))?;
    let body = r.json().map_err(|e| ACCEPTED.fail_because(e))?;
    let id_name = match step.mode {
        DecoupledMode::Ciba => "auth_req_id",
        DecoupledMode::Headless => "headless_req_id",
    };
    let id = body.get(id_name).and_then(Value::as_str);
    match (r.status, id) {
        (200, Some(id)) => Ok(Started {
            id: id.to_string(),
            expires_in: body
                .get("expires_in")
                .and_then(Value::as_u64)
                .filter(|e| *e > 0),
            expires_in_sent: body.get("expires_in").cloned(),
            interval: body.get("interval").and_then(Value::as_u64),
        }),
        (status, _) => {
            Err(ACCEPTED.fail(format!("200 with `{id_name}`"), format!("{status}: {body}")))
        }
    }
}

/// The polls' story.
struct Polled {
    pending_ok: bool,
    pending_bad: Option<String>,
    slow_downs: usize,
    tokens: Option<RecordedResponse>,
    final_error: Option<String>,
}

async fn poll(
    step: &DecoupledStep,
    client: &ClientProfile,
    s: &Started,
    stage: &str,
    ctx: &mut StepContext<'_>,
) -> Polled {
    let mut out = Polled {
        pending_ok: true,
        pending_bad: None,
        slow_downs: 0,
        tokens: None,
        final_error: None,
    };
    let (grant, id_name) = match step.mode {
        DecoupledMode::Ciba => ("urn:openid:params:grant-type:ciba", "auth_req_id"),
        DecoupledMode::Headless => ("urn:grn:params:grant-type:headless", "headless_req_id"),
    };
    let endpoint = match ctx.state.endpoint("token_endpoint") {
        Ok(e) => e,
        Err(e) => {
            out.final_error = Some(format!("no token endpoint: {e}"));
            return out;
        }
    };
    let audience = client_auth::Audience::new(
        &ctx.target.issuer,
        client,
        Some(endpoint.clone()),
        &endpoint,
    );
    // CIBA §7.3: without `interval` the client waits 5 seconds.
    // The target's numbers may be anything: saturate, and never sleep past the deadline.
    let mut interval = Duration::from_millis(
        step.poll_interval_ms
            .unwrap_or(s.interval.unwrap_or(5).saturating_mul(1000)),
    );
    let limit = Duration::from_secs(
        step.timeout_s
            .unwrap_or(30)
            .min(s.expires_in.unwrap_or(u64::MAX).saturating_add(5)),
    );
    let deadline = deadline_after(limit);
    let mut first = true;
    while Instant::now() < deadline {
        if !first {
            sleep_until_at_most(interval, deadline).await;
            if Instant::now() >= deadline {
                break;
            }
        }
        first = false;
        let mut form = vec![
            ("grant_type".to_string(), grant.to_string()),
            (id_name.to_string(), s.id.clone()),
        ];
        let mut headers = vec![("accept".to_string(), "application/json".to_string())];
        if let Err(e) = client_auth::apply(client, &audience, &mut form, &mut headers) {
            out.final_error = Some(e);
            return out;
        }
        let req = OutgoingRequest {
            method: reqwest::Method::POST,
            url: endpoint.clone(),
            headers,
            body: Some(RequestBody::Form(form)),
        };
        let exchange = ctx.session.send(stage, req).await;
        let r = match exchange.response() {
            Ok(r) => r.clone(),
            Err(e) => {
                out.final_error = Some(e.into());
                return out;
            }
        };
        let error = r
            .json()
            .ok()
            .and_then(|b| b.get("error").and_then(Value::as_str).map(str::to_string));
        match (r.status, error.as_deref()) {
            (200, _) => {
                out.tokens = Some(r);
                return out;
            }
            (400, Some("authorization_pending")) => {}
            (400, Some("slow_down")) => {
                out.slow_downs += 1;
                interval = interval.saturating_add(Duration::from_secs(5));
            }
            (
                _,
                Some(
                    e
                    @ ("access_denied" | "expired_token" | "invalid_grant" | "transaction_failed"),
                ),
            ) => {
                out.final_error = Some(e.to_string());
                return out;
            }
            (status, e) => {
                out.pending_ok = false;
                out.pending_bad = Some(format!("{status} with error {}", e.unwrap_or("(none)")));
            }
        }
    }
    out.final_error
        .get_or_insert_with(|| format!("no decision within {} s", limit.as_secs()));
    out
}

fn judge(step: &DecoupledStep, p: &Polled, ctx: &mut StepContext<'_>) -> Vec<SpecResult> {
    let mut specs = vec![PENDING.check(
        p.pending_ok,
        "400 authorization_pending",
        p.pending_bad.clone().unwrap_or_default(),
    )];
    if step.expect_slow_down {
        specs.push(SLOW_DOWN.check(p.slow_downs > 0, "at least one slow_down", "none"));
    }
    if let Some(expected) = &step.expect_error {
        let got = p.final_error.clone().unwrap_or_else(|| {
            if p.tokens.is_some() {
                "tokens were issued".into()
            } else {
                "no answer".into()
            }
        });
        specs.push(EXPECTED_ERROR.check(&got == expected, expected.as_str(), got));
        return specs;
    }
    match &p.tokens {
        Some(r) => {
            specs.push(COMPLETES.pass());
            let expect = Expectation {
                scope: step
                    .scope
                    .as_ref()
                    .and_then(|t| t.render(&*ctx.state).ok())
                    .or(Some("openid".into())),
                refresh_token: false,
                id_token: true,
                error: None,
                details: None,
                // The poll sends no proof: DPoP for CIBA is not built yet.
                dpop: None,
                ..Expectation::default()
            };
            specs.extend(judge_tokens(r, &expect, ctx).specs);
        }
        None => specs.push(COMPLETES.fail_because(p.final_error.clone().unwrap_or_default())),
    }
    specs
}

#[cfg(test)]
mod tests {
    use super::expires_in_spec;
    use crate::specs::Verdict;
    use serde_json::json;

    #[test]
    fn expires_in_is_judged_as_sent() {
        assert_eq!(expires_in_spec(Some(&json!(120))).verdict, Verdict::Passed);
        for sent in [json!(-1), json!(0), json!(1.5), json!("120")] {
            let s = expires_in_spec(Some(&sent));
            assert_eq!(s.verdict, Verdict::Failed);
            assert_eq!(s.actual.as_deref(), Some(sent.to_string().as_str()));
        }
        assert_eq!(expires_in_spec(None).actual.as_deref(), Some("absent"));
    }
}
