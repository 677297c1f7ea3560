//! `payment`, `submit` and `verify_response_signature`: a resource API call
//! with a detached JWS, an idempotency key and response-signature
//! verification. The three kinds share [`PaymentStep`]; they differ in the
//! default method and in what the step is for.

use super::kind::{call_templates, client_of, ClientRole, Facts, Kind, Need, Provided};
use super::request::extract;
use super::shapes::{yes, Signing};
use super::{Outcome, StepContext};
use crate::expr::{Capture, HttpMethod, JsonTemplate, Template, Values};
use crate::http::{OutgoingRequest, RecordedResponse, RequestBody};
use crate::jose::{sign_detached, DetachedForm};
use crate::specs::payment::*;
use crate::specs::SpecResult;
use crate::target::{ClientProfile, Target};
use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;

/// `payment:` — a resource API call with a detached JWS, an idempotency key,
/// response-signature verification and captures.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PaymentStep {
    /// Stage name in reports.
    pub stage: Option<String>,
    /// HTTP method (default: POST with a `json` body, else GET; for
    /// `submit`, PUT without a body).
    pub method: Option<HttpMethod>,
    /// URL (placeholders filled).
    pub url: Template,
    /// Bearer token (default `{{ token.access_token }}`).
    pub token: Option<Template>,
    /// The client whose key signs the body (default: the target's client).
    pub client: Option<ClientRole>,
    /// JSON body (placeholders filled).
    pub json: Option<JsonTemplate>,
    /// How the body is signed (default OBIE).
    #[serde(default)]
    pub sign: Signing,
    /// Extra headers (placeholders filled).
    #[serde(default)]
    pub headers: BTreeMap<String, Template>,
    /// Expected status (default 201 for POST, 200 otherwise).
    pub expect_status: Option<u16>,
    /// Check that the response carries a valid `x-jws-signature` (default true).
    #[serde(default = "yes")]
    pub verify_signature: bool,
    /// Repeat the request with the same idempotency key and compare this JSONPath.
    pub idempotency_check: Option<Capture>,
    /// Values to keep: name → source (`$.path`, `header:NAME`).
    #[serde(default)]
    pub capture: BTreeMap<String, Capture>,
    /// The body names a consent the token was not authorised for: any 4xx
    /// is expected (`payment.consent_bound`), an acceptance fails.
    #[serde(default)]
    pub expect_consent_refusal: bool,
    /// Add the payment to this bundle (OP `authorizationId`, placeholders
    /// filled): sent in the body and expected back in the response.
    pub bundle: Option<Template>,
}

impl PaymentStep {
    /// The HTTP method, by the defaults above.
    pub fn method(&self, submit: bool) -> reqwest::Method {
        match (&self.method, &self.json, submit) {
            (Some(m), _, _) => m.0.clone(),
            (None, Some(_), _) => reqwest::Method::POST,
            (None, None, true) => reqwest::Method::PUT,
            (None, None, false) => reqwest::Method::GET,
        }
    }
}

/// What a payment-like step is for: `payment`, `submit` (its method
/// defaults to PUT) or `verify_response_signature`.
pub type Use = u8;
/// `payment`.
pub const CALL: Use = 0;
/// `submit`.
pub const SUBMIT: Use = 1;
/// `verify_response_signature`.
pub const VERIFY: Use = 2;

/// A payment-like step: one shape, three kinds.
#[derive(Debug, Clone, Deserialize)]
#[serde(transparent)]
pub struct Payment<const USE: Use>(pub PaymentStep);

/// `payment:`.
pub type PaymentCall = Payment<CALL>;
/// `submit:`.
pub type SubmitCall = Payment<SUBMIT>;
/// `verify_response_signature:`.
pub type VerifyCall = Payment<VERIFY>;

impl<const USE: Use> Facts for Payment<USE> {
    fn stage(&self) -> Option<&str> {
        self.0.stage.as_deref()
    }

    fn client(&self) -> Option<&ClientRole> {
        self.0.client.as_ref()
    }

    fn acts_as_client(&self) -> bool {
        true
    }

    fn templates(&self) -> Vec<&Template> {
        let s = &self.0;
        let mut out = call_templates(&s.url, &s.token, &s.headers);
        out.extend(&s.bundle);
        out.extend(s.json.iter().flat_map(JsonTemplate::templates));
        out
    }

    fn urls(&self) -> Vec<&Template> {
        vec![&self.0.url]
    }

    fn capture_names(&self) -> Vec<&str> {
        self.0.capture.keys().map(String::as_str).collect()
    }

    fn needs(&self) -> Vec<(Need, &'static str)> {
        let mut n: Vec<_> = super::kind::bearer(&self.0.token).into_iter().collect();
        if self.0.verify_signature {
            n.push((
                Need::Discovery,
                "verifying a response signature against the JWKS",
            ));
        }
        n
    }

    fn provide(&self, provided: &mut Provided) {
        self.0.capture.keys().for_each(|n| provided.capture(n));
    }

    fn expects_refusal(&self) -> bool {
        self.0.expect_consent_refusal
    }
}

impl<const USE: Use> Kind for Payment<USE> {
    const STAGE: &'static str = match USE {
        SUBMIT => "Payment Submission",
        VERIFY => "Response Signature",
        _ => "Payment API",
    };
    /// The client whose key signs the body.
    type Decided = ClientProfile;

    fn decide(&self, target: &Target) -> Result<ClientProfile, crate::target::UnknownClient> {
        client_of(target, &self.0.client)
    }

    async fn run(&self, client: &ClientProfile, stage: &str, ctx: &mut StepContext<'_>) -> Outcome {
        call(&self.0, client, stage, USE == SUBMIT, ctx).await.0
    }
}

/// Runs a payment step; also returns the response, for steps built on it.
pub(crate) async fn call(
    step: &PaymentStep,
    client: &ClientProfile,
    stage: &str,
    submit: bool,
    ctx: &mut StepContext<'_>,
) -> (Outcome, Option<RecordedResponse>) {
    let method = step.method(submit);
    let request = match build(step, client, method.clone(), ctx) {
        Ok(r) => r,
        Err(e) => {
            let skipped = ACCEPTED.skip(format!("the request could not be built: {e}"));
            return (failed(skipped), None);
        }
    };
    let (request, token) = request;
    let r = match super::dpop::send_resource(ctx, stage, request.clone(), &token, None).await {
        Ok(r) => r,
        Err(e) => return (failed(ACCEPTED.fail_because(e)), None),
    };
    if step.expect_consent_refusal {
        let spec = CONSENT_BOUND.check(
            (400..500).contains(&r.status),
            "a 4xx refusal",
            format!(
                "{} {}",
                r.status,
                r.body.chars().take(300).collect::<String>()
            ),
        );
        return (
            Outcome {
                specs: vec![spec],
                artifacts: vec![],
                ok: true,
            },
            Some(r),
        );
    }
    let want = step.expect_status.unwrap_or(match method {
        reqwest::Method::POST => 201,
        reqwest::Method::DELETE => 204,
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
        specs.extend(super::signature::judge(&r, ctx.state.jwks()));
    }
    if let Some(bundle) = &step.bundle {
        specs.push(bundled(bundle, &r, &*ctx.state));
    }
    if let Some(path) = &step.idempotency_check {
        // The same request, but a DPoP proof is single use.
        let again = match super::dpop::reproved(ctx.state, request, &token, None) {
            Ok(request) => {
                super::dpop::send_resource(
                    ctx,
                    &format!("{stage} (repeated)"),
                    request,
                    &token,
                    None,
                )
                .await
            }
            Err(e) => Err(e),
        };
        specs.push(idempotency(path, &r, again));
    }
    let mut ok = r.status == want;
    for (name, capture) in &step.capture {
        match extract(&capture.source, &r, "") {
            Ok(v) => {
                ctx.state.captures.insert(name.clone(), v);
            }
            Err(e) => {
                ok = false;
                specs.push(ACCEPTED.fail(format!("`{}` to capture as `{name}`", capture.text), e));
            }
        }
    }
    let outcome = Outcome {
        specs,
        artifacts: vec![],
        ok,
    };
    (outcome, Some(r))
}

/// A fresh `x-idempotency-key`: the OBIE OpenAPI (v3.1.11 and v4.0) caps it
/// at 40 characters with no leading or trailing space; 32 hex digits fit.
fn idempotency_key() -> String {
    crate::ids::uuid().replace('-', "")
}

fn failed(spec: SpecResult) -> Outcome {
    Outcome {
        specs: vec![spec],
        artifacts: vec![],
        ok: false,
    }
}

/// The request, and the access token it presents.
fn build(
    step: &PaymentStep,
    client: &ClientProfile,
    method: reqwest::Method,
    ctx: &mut StepContext<'_>,
) -> Result<(OutgoingRequest, String), String> {
    let token = ctx.state.bearer(&step.token)?;
    let url = step.url.render(&*ctx.state)?;
    let mut headers =
        super::dpop::resource_headers(ctx.state, (None, false), &token, method.as_str(), &url)?;
    let state = &*ctx.state;
    headers.extend([
        ("accept".to_string(), "application/json".to_string()),
        ("x-fapi-interaction-id".into(), crate::ids::uuid()),
    ]);
    headers.extend(state.headers(&step.headers)?);
    let body = match &step.json {
        Some(j) => {
            let mut j = j.render(state)?;
            if let (Some(b), Value::Object(m)) = (&step.bundle, &mut j) {
                m.insert("authorizationId".into(), Value::String(b.render(state)?));
            }
            Some(j.to_string())
        }
        None => None,
    };
    if let Some(text) = &body {
        if !headers.iter().any(|(k, _)| k == "x-idempotency-key") {
            headers.push(("x-idempotency-key".into(), idempotency_key()));
        }
        if let Some(jws) = sign(step, client, text, ctx)? {
            headers.push(("x-jws-signature".into(), jws));
        }
    }
    let body = body.map(|text| RequestBody::Text {
        content_type: "application/json".into(),
        text,
    });
    Ok((
        OutgoingRequest {
            method,
            url,
            headers,
            body,
        },
        token,
    ))
}

fn sign(
    step: &PaymentStep,
    client: &ClientProfile,
    text: &str,
    ctx: &StepContext<'_>,
) -> Result<Option<String>, String> {
    let form = match step.sign {
        Signing::None => return Ok(None),
        Signing::Plain => DetachedForm::Plain,
        Signing::Obie => DetachedForm::Obie {
            iss: ctx.target.client.id.clone(),
            tan: "openbanking.org.uk".into(),
        },
    };
    let key = client
        .key
        .as_ref()
        .ok_or_else(|| format!("client `{}` has no signing key", client.id))?;
    sign_detached(text.as_bytes(), &key.jwk, &key.alg, &key.kid, &form)
        .map(Some)
        .map_err(|e| e.to_string())
}

/// The response must name the bundle the payment was added to.
fn bundled(bundle: &Template, r: &RecordedResponse, values: &dyn Values) -> SpecResult {
    let want = match bundle.render(values) {
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
    path: &Capture,
    first: &RecordedResponse,
    again: Result<RecordedResponse, String>,
) -> SpecResult {
    let first_id = extract(&path.source, first, "").unwrap_or_default();
    match again.and_then(|r| extract(&path.source, &r, "")) {
        Ok(second) => IDEMPOTENT.check(
            second == first_id && !first_id.is_empty(),
            format!("{} = {first_id}", path.text),
            second,
        ),
        Err(e) => IDEMPOTENT.fail_because(format!("the repeated request failed: {e}")),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn idempotency_keys_fit_the_obie_schema() {
        // OBIE: maxLength 40, pattern ^(?!\s)(.*)(\S)$.
        for _ in 0..100 {
            let k = super::idempotency_key();
            assert!(k.len() <= 40 && !k.is_empty(), "{k}");
            assert!(!k.starts_with(char::is_whitespace) && !k.ends_with(char::is_whitespace));
        }
        assert_ne!(super::idempotency_key(), super::idempotency_key());
    }
}
