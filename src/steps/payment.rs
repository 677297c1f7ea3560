//! `payment` and `poll_status`: resource API calls with detached JWS,
//! idempotency keys and response-signature verification.

use super::client_auth::random_id;
use super::request::{extract, fill_json};
use super::wait::{deadline_after, sleep_until_at_most};
use super::{Artifact, Outcome, StepContext};
use crate::http::{OutgoingRequest, RecordedResponse, RequestBody};
use crate::jose::{detached_header, sign_detached, verify_detached, DetachedForm};
use crate::specs::authorize::CONSENT_CREATED;
use crate::specs::payment::*;
use crate::specs::SpecResult;
use crate::suite::{
    CaptureSource, ConsentKind, ConsentStep, PaymentStep, PollStatusStep, Signing, Vars,
};
use serde_json::Value;
use serde_saphyr::Spanned;
use std::time::Duration;

/// Runs a payment step.
pub(crate) async fn run(
    step: &PaymentStep,
    stage: &str,
    submit: bool,
    ctx: &mut StepContext<'_>,
) -> Outcome {
    let method = step.method(submit);
    let request = match build(step, &method, ctx) {
        Ok(r) => r,
        Err(e) => {
            return Outcome {
                specs: vec![ACCEPTED.skip(format!("the request could not be built: {e}"))],
                artifacts: vec![],
                ok: false,
            }
        }
    };
    let first = ctx.session.send(stage, request.clone()).await;
    let r = match first.response() {
        Ok(r) => r.clone(),
        Err(e) => {
            return Outcome {
                specs: vec![ACCEPTED.fail_because(e)],
                artifacts: vec![],
                ok: false,
            }
        }
    };
    let want = step.expect_status.unwrap_or(match method.as_str() {
        "POST" => 201,
        "DELETE" => 204,
        _ => 200,
    });
    let mut specs = vec![ACCEPTED.check(
        r.status == want,
        want.to_string(),
        format!(
            "{} {}",
            r.status,
            r.body.chars().take(300).collect::<String>()
        ),
    )];
    if step.verify_signature && !r.body.is_empty() {
        specs.extend(response_signature(&r, ctx.vars));
    }
    if let Some(bundle) = &step.bundle {
        specs.push(bundled(bundle, &r, ctx.vars));
    }
    if let Some(path) = &step.idempotency_check {
        let again = ctx
            .session
            .send(&format!("{stage} (repeated)"), request)
            .await
            .response()
            .cloned();
        specs.push(idempotency(&path.value, &r, again));
    }
    let mut ok = r.status == want;
    for (name, source) in &step.capture {
        match CaptureSource::parse(&source.value).and_then(|s| extract(&s, &r, "")) {
            Ok(v) => ctx.vars.set(name.clone(), v),
            Err(e) => {
                ok = false;
                specs.push(ACCEPTED.fail(format!("`{}` to capture as `{name}`", source.value), e));
            }
        }
    }
    Outcome {
        specs,
        artifacts: vec![],
        ok,
    }
}

fn build(
    step: &PaymentStep,
    method: &str,
    ctx: &StepContext<'_>,
) -> Result<OutgoingRequest, String> {
    let vars = &*ctx.vars;
    let token = vars.fill(step.token.as_deref().unwrap_or("{{ token.access_token }}"))?;
    let mut headers = vec![
        ("authorization".to_string(), format!("Bearer {token}")),
        ("accept".into(), "application/json".into()),
        ("x-fapi-interaction-id".into(), crate::ids::uuid()),
    ];
    for (k, v) in &step.headers {
        headers.push((k.to_ascii_lowercase(), vars.fill(v)?));
    }
    let method = reqwest::Method::from_bytes(method.as_bytes()).map_err(|e| e.to_string())?;
    let body = match &step.json {
        Some(j) => {
            let mut j = fill_json(j, vars)?;
            if let (Some(b), Value::Object(m)) = (&step.bundle, &mut j) {
                m.insert("authorizationId".into(), Value::String(vars.fill(b)?));
            }
            Some(j.to_string())
        }
        None => None,
    };
    if let Some(text) = &body {
        if !headers.iter().any(|(k, _)| k == "x-idempotency-key") {
            headers.push(("x-idempotency-key".into(), random_id()));
        }
        if let Some(jws) = sign(step, text, ctx)? {
            headers.push(("x-jws-signature".into(), jws));
        }
    }
    let body = body.map(|text| RequestBody::Text {
        content_type: "application/json".into(),
        text,
    });
    Ok(OutgoingRequest {
        method,
        url: vars.fill(&step.url)?,
        headers,
        body,
    })
}

fn sign(step: &PaymentStep, text: &str, ctx: &StepContext<'_>) -> Result<Option<String>, String> {
    let form = match step.sign {
        Signing::None => return Ok(None),
        Signing::Plain => DetachedForm::Plain,
        Signing::Obie => DetachedForm::Obie {
            iss: ctx.target.client.id.clone(),
            tan: "openbanking.org.uk".into(),
        },
    };
    let client = ctx.target.client_named(step.client.as_deref())?;
    let key = client
        .key
        .as_ref()
        .ok_or_else(|| format!("client `{}` has no signing key", client.id))?;
    sign_detached(text.as_bytes(), &key.jwk, &key.alg, &key.kid, &form)
        .map(Some)
        .map_err(|e| e.to_string())
}

/// Judges `x-jws-signature` on a response against the ASPSP's JWKS.
fn response_signature(r: &RecordedResponse, vars: &Vars) -> Vec<SpecResult> {
    let Some(jws) = r.header("x-jws-signature") else {
        return vec![RESPONSE_SIGNED.fail("an `x-jws-signature` header", "absent")];
    };
    let mut out = vec![RESPONSE_SIGNED.pass()];
    let keys = super::discovery::captured_jwks(vars);
    let header = match detached_header(jws) {
        Ok(h) => h,
        Err(e) => {
            return [
                out,
                vec![RESPONSE_SIGNATURE_VALID.fail_because(e.to_string())],
            ]
            .concat()
        }
    };
    let key = keys
        .iter()
        .find(|k| k.get("kid").and_then(Value::as_str) == header.kid.as_deref());
    out.push(match key.map(|k| josekit::jwk::Jwk::from_map(k.clone())) {
        None => RESPONSE_SIGNATURE_VALID.fail(
            "a kid published in the JWKS",
            format!("kid {:?}", header.kid),
        ),
        Some(Err(e)) => RESPONSE_SIGNATURE_VALID.fail_because(format!("unusable JWK: {e}")),
        Some(Ok(jwk)) => {
            match verify_detached(jws, r.body.as_bytes(), &jwk, &["PS256", "ES256", "RS256"]) {
                Ok(info) => RESPONSE_SIGNATURE_VALID.pass_with(format!(
                    "{} with key {}{}",
                    info.alg,
                    info.kid.unwrap_or_default(),
                    if info.b64 { "" } else { " (b64: false)" }
                )),
                Err(e) => RESPONSE_SIGNATURE_VALID.fail_because(format!(
                    "{} signature by {:?} does not verify: {e}",
                    header.alg, header.kid
                )),
            }
        }
    });
    out
}

/// The response must name the bundle the payment was added to.
fn bundled(bundle: &str, r: &RecordedResponse, vars: &Vars) -> SpecResult {
    let want = match vars.fill(bundle) {
        Ok(w) => w,
        Err(e) => return BUNDLED.skip(e),
    };
    let got = r
        .json()
        .ok()
        .and_then(|b| b.get("authorizationId").cloned())
        .map_or_else(
            || "(no authorizationId)".into(),
            |v| v.as_str().map_or(v.to_string(), str::to_string),
        );
    BUNDLED.check(got == want, format!("authorizationId {want}"), got)
}

fn idempotency(
    path: &str,
    first: &RecordedResponse,
    again: Result<RecordedResponse, String>,
) -> SpecResult {
    let source = match CaptureSource::parse(path) {
        Ok(s) => s,
        Err(e) => return IDEMPOTENT.fail_because(e),
    };
    let first_id = extract(&source, first, "").unwrap_or_default();
    match again.and_then(|r| extract(&source, &r, "")) {
        Ok(second) => IDEMPOTENT.check(
            second == first_id && !first_id.is_empty(),
            format!("{path} = {first_id}"),
            second,
        ),
        Err(e) => IDEMPOTENT.fail_because(format!("the repeated request failed: {e}")),
    }
}

/// Runs a poll_status step.
pub(crate) async fn poll(step: &PollStatusStep, stage: &str, ctx: &mut StepContext<'_>) -> Outcome {
    let prepared = (|| -> Result<(String, String, serde_json_path::JsonPath), String> {
        let url = ctx.vars.fill(&step.url)?;
        let token = ctx
            .vars
            .fill(step.token.as_deref().unwrap_or("{{ token.access_token }}"))?;
        let path = serde_json_path::JsonPath::parse(
            step.status_path.as_deref().unwrap_or("$.Data.Status"),
        )
        .map_err(|e| e.to_string())?;
        Ok((url, token, path))
    })();
    let (url, token, path) = match prepared {
        Ok(p) => p,
        Err(e) => {
            return Outcome {
                specs: vec![TERMINAL_STATUS.skip(e)],
                artifacts: vec![],
                ok: false,
            }
        }
    };
    let deadline = deadline_after(Duration::from_secs(step.timeout_s.unwrap_or(10)));
    let mut seen = Vec::new();
    loop {
        let mut req = OutgoingRequest::get(&url)
            .header("authorization", format!("Bearer {token}"))
            .header("accept", "application/json");
        for (k, v) in &step.headers {
            req = req.header(k.clone(), ctx.vars.fill(v).unwrap_or_default());
        }
        let status = ctx
            .session
            .send(stage, req)
            .await
            .response()
            .ok()
            .and_then(|r| r.json().ok())
            .and_then(|b| {
                path.query(&b)
                    .first()
                    .and_then(|v| v.as_str().map(str::to_string))
            });
        let status = status.unwrap_or_else(|| "(no status)".into());
        let done = step.terminal.contains(&status);
        if seen.last() != Some(&status) {
            seen.push(status.clone());
        }
        if done {
            ctx.vars.set("payment.status", status.clone());
            let spec = TERMINAL_STATUS.pass_with(format!("statuses seen: {}", seen.join(" → ")));
            return Outcome {
                specs: vec![spec],
                artifacts: vec![Artifact::Note {
                    text: format!("Statuses seen: {}", seen.join(" → ")),
                }],
                ok: true,
            };
        }
        if deadline_after(Duration::from_millis(step.interval_ms.unwrap_or(500))) > deadline {
            let spec = TERMINAL_STATUS.fail(
                step.terminal.join(" or "),
                format!(
                    "still {status} after {} s (seen: {})",
                    step.timeout_s.unwrap_or(10),
                    seen.join(" → ")
                ),
            );
            return Outcome {
                specs: vec![spec],
                artifacts: vec![],
                ok: false,
            };
        }
        sleep_until_at_most(
            Duration::from_millis(step.interval_ms.unwrap_or(500)),
            deadline,
        )
        .await;
    }
}

/// Runs a consent step: the intent is POSTed as a payment step would, its
/// id and status captured, and `consent.created` judged.
pub(crate) async fn consent(step: &ConsentStep, stage: &str, ctx: &mut StepContext<'_>) -> Outcome {
    let (sign, signed_response, fields) = match step.kind {
        ConsentKind::ObieAccounts => (Signing::None, false, OBIE_CONSENT),
        ConsentKind::ObiePayment => (Signing::Obie, true, OBIE_CONSENT),
        ConsentKind::OpPayment => (Signing::Plain, true, OP_PAYMENT),
    };
    let mut capture = step.capture.clone();
    for (name, path) in fields {
        let unknown = serde_saphyr::Location::UNKNOWN;
        capture.insert(
            name.to_string(),
            Spanned::new(path.to_string(), unknown, unknown),
        );
    }
    let as_payment = PaymentStep {
        stage: None,
        method: Some("POST".into()),
        url: step.url.clone(),
        token: step.token.clone(),
        client: step.client.clone(),
        json: Some(step.json.clone()),
        sign: step.sign.unwrap_or(sign),
        headers: step.headers.clone(),
        expect_status: Some(201),
        verify_signature: signed_response,
        idempotency_check: None,
        capture,
        bundle: None,
    };
    let mut outcome = run(&as_payment, stage, false, ctx).await;
    outcome.specs.push(created(step.kind, ctx.vars, fields));
    outcome
}

/// (variable, JSONPath) of the id and of the status, by kind.
const OBIE_CONSENT: &[(&str, &str)] = &[
    ("consent_id", "$.Data.ConsentId"),
    ("consent.status", "$.Data.Status"),
];
const OP_PAYMENT: &[(&str, &str)] = &[
    ("authorization_id", "$.authorizationId"),
    ("consent.status", "$.status"),
    ("payment_id", "$.paymentId"),
];

fn created(kind: ConsentKind, vars: &Vars, fields: &[(&str, &str)]) -> SpecResult {
    let awaiting = match kind {
        ConsentKind::OpPayment => "Unauthorized",
        _ => "AwaitingAuthorisation",
    };
    let id = vars.get(fields[0].0).unwrap_or("");
    let status = vars.get("consent.status").unwrap_or("(no status)");
    if id.is_empty() {
        return CONSENT_CREATED.fail(format!("an id at {}", fields[0].1), "none");
    }
    CONSENT_CREATED.check(
        status == awaiting,
        format!("status {awaiting}"),
        format!("{} {id} is {status}", fields[0].0),
    )
}
