//! `client_credentials` and `token`: token requests and the judgement of
//! token responses (RFC 6749 §5). The tokens are kept in the scenario
//! state's [`Tokens`](super::state::Tokens).

mod shape;

pub use shape::{ClientCredentialsStep, LeftOut, TokenDecided, TokenGrant, TokenStep};

use super::client_auth::{self, AssertionOverrides};
use super::dpop::DpopProof;
use super::shapes::ExpectedError;
use super::{Outcome, StepContext};
use crate::http::{OutgoingRequest, RecordedResponse, RequestBody};
use crate::specs::dpop::{NONCE_CHECKED, TOKEN_BOUND, TOKEN_PROOF_CHECKED};
use crate::specs::token::*;
use crate::specs::{Spec, SpecResult};
use crate::target::ClientProfile;
use serde_json::{Map, Value};

/// Runs a client credentials grant.
async fn client_credentials(
    step: &ClientCredentialsStep,
    decided: &TokenDecided,
    stage: &str,
    ctx: &mut StepContext<'_>,
) -> Outcome {
    let mut fields = vec![("grant_type".to_string(), "client_credentials".to_string())];
    let scope = match step
        .scope
        .as_ref()
        .map(|s| s.render(&*ctx.state))
        .transpose()
    {
        Ok(s) => s,
        Err(e) => return skip_all(&format!("the token request could not be built: {e}")),
    };
    if let Some(scope) = &scope {
        fields.push(("scope".into(), scope.clone()));
    }
    let expect = Expectation {
        scope,
        refresh_token: false,
        id_token: false,
        error: step.expect_error.clone(),
        details: None,
        dpop: decided.dpop,
        ..Expectation::default()
    };
    let tweak = AssertionTweak {
        audience: step.assertion_audience.clone(),
        replay: step.replay_assertion,
        overrides: step.client_assertion.as_ref(),
    };
    exchange(ctx, stage, &decided.client, fields, expect, &tweak).await
}

/// Runs an authorization code or refresh token request.
async fn token(
    step: &TokenStep,
    decided: &TokenDecided,
    stage: &str,
    ctx: &mut StepContext<'_>,
) -> Outcome {
    if let Some(s) = step.after_s {
        tokio::time::sleep(std::time::Duration::from_secs(s.min(120))).await;
    }
    let fields = match build_fields(step, &decided.client, ctx) {
        Ok(f) => f,
        Err(e) => return skip_all(&format!("the token request could not be built: {e}")),
    };
    let authorization = ctx.state.authorization.as_ref();
    let scope = fields
        .iter()
        .find(|(k, _)| k == "scope")
        .map(|(_, s)| s.clone())
        .or_else(|| authorization.map(|a| a.scope.clone()));
    let openid = scope
        .as_deref()
        .is_some_and(|s| s.split_whitespace().any(|x| x == "openid"));
    let id_token = step.grant == TokenGrant::AuthorizationCode && openid;
    let details = authorization
        .and_then(|a| a.details.clone())
        .filter(|_| step.grant == TokenGrant::AuthorizationCode);
    let mut expect = Expectation {
        scope,
        refresh_token: step.expect_refresh_token,
        id_token,
        error: step.expect_error.clone(),
        details,
        dpop: decided.dpop,
        ..Expectation::default()
    };
    match &decided.left_out {
        None => {}
        Some(Ok(left_out)) => without_holder_of_key(&mut expect, left_out),
        Some(Err(why)) => {
            ctx.state.not_applicable = Some(why.clone());
            return skip_all(why);
        }
    }
    let shown = assertion_claims(&fields);
    let mut outcome = exchange(
        ctx,
        stage,
        &decided.client,
        fields,
        expect,
        &AssertionTweak {
            overrides: step.client_assertion.as_ref(),
            ..AssertionTweak::default()
        },
    )
    .await;
    outcome.artifacts.extend(shown);
    if step.skip_without_refresh_token && outcome.ok && ctx.state.tokens.refresh_token.is_none() {
        ctx.state.not_applicable = Some(
            "the ASPSP issued no refresh token, so refresh tokens cannot be tested (as the OIDF module skips)"
                .into(),
        );
    }
    outcome
}

/// `holder_of_key: false`: the request leaves out what was decided; the
/// errors the OIDF module accepts for it, unless the step names its own.
fn without_holder_of_key(expect: &mut Expectation, left_out: &LeftOut) {
    if left_out.proof {
        expect.dpop = Some(DpopProof::Omitted);
    }
    expect.without_certificate = left_out.certificate;
    expect.without_holder_of_key = true;
    if expect.error.is_none() {
        expect.error = Some(ExpectedError::AnyOf(
            left_out.codes.iter().map(|c| c.to_string()).collect(),
        ));
    }
}

/// The decoded claims of a jwt-bearer `assertion`, for the report (the
/// assertion itself is redacted there, as a credential).
fn assertion_claims(fields: &[(String, String)]) -> Option<super::Artifact> {
    let (_, jwt) = fields.iter().find(|(k, _)| k == "assertion")?;
    let (_, claims) = crate::jose::decode_unverified(jwt).ok()?;
    Some(super::Artifact::Claims {
        label: "`assertion` claims".into(),
        claims: Value::Object(claims),
    })
}

fn build_fields(
    step: &TokenStep,
    client: &ClientProfile,
    ctx: &StepContext<'_>,
) -> Result<Vec<(String, String)>, String> {
    let state = &*ctx.state;
    let mut fields: Vec<(String, String)> = match step.grant {
        TokenGrant::AuthorizationCode => {
            let a = state
                .authorization
                .as_ref()
                .ok_or("no authorization to exchange")?;
            let code = a
                .code
                .clone()
                .ok_or("the authorization step obtained no code")?;
            let mut f = vec![
                ("grant_type".to_string(), "authorization_code".to_string()),
                ("code".into(), code),
                ("redirect_uri".into(), a.redirect_uri.clone()),
            ];
            if let Some(v) = &a.code_verifier {
                f.push(("code_verifier".into(), v.clone()));
            }
            f
        }
        TokenGrant::RefreshToken => {
            let refresh = state
                .tokens
                .refresh_token
                .clone()
                .ok_or("no refresh token: an earlier token response did not return one")?;
            vec![
                ("grant_type".to_string(), "refresh_token".to_string()),
                ("refresh_token".into(), refresh),
            ]
        }
        TokenGrant::JwtBearer => vec![
            (
                "grant_type".to_string(),
                TokenGrant::JwtBearer.name().to_string(),
            ),
            ("assertion".into(), bearer_assertion(step, client, ctx)?),
        ],
    };
    if let Some(scope) = &step.scope {
        fields.push(("scope".into(), scope.render(state)?));
    }
    fields.retain(|(k, _)| !step.omit_fields.contains(k));
    for (k, v) in &step.override_fields {
        let value = v.render(state)?;
        match fields.iter_mut().find(|(n, _)| n == k) {
            Some(f) => f.1 = value,
            None => fields.push((k.clone(), value)),
        }
    }
    Ok(fields)
}

/// The authorization grant JWT of a jwt_bearer step, signed with the client's key.
fn bearer_assertion(
    step: &TokenStep,
    client: &ClientProfile,
    ctx: &StepContext<'_>,
) -> Result<String, String> {
    let key = client
        .key
        .as_ref()
        .ok_or_else(|| format!("client `{}` has no signing key", client.id))?;
    let filled = match &step.assertion {
        Some(a) => a.render(&*ctx.state)?,
        None => Value::Null,
    };
    let Value::Object(mut claims) = filled else {
        return Err("`assertion` must be a map of claims".into());
    };
    let now = chrono::Utc::now().timestamp();
    claims.entry("iss").or_insert(client.id.clone().into());
    claims
        .entry("client_id")
        .or_insert(client.id.clone().into());
    claims
        .entry("aud")
        .or_insert(ctx.target.issuer.clone().into());
    claims.entry("iat").or_insert(now.into());
    claims.entry("exp").or_insert((now + 300).into());
    claims
        .entry("jti")
        .or_insert(client_auth::random_id().into());
    crate::jose::sign_jwt(&claims, &key.alg, Some((&key.jwk, &key.kid)), Some("JWT"))
        .map_err(|e| e.to_string())
}

/// Deliberate client assertion defects, for negative scenarios.
#[derive(Default)]
struct AssertionTweak<'a> {
    audience: Option<String>,
    replay: bool,
    overrides: Option<&'a AssertionOverrides>,
}

/// Replays the last client assertion, or remembers this one for a replay.
fn replay_or_remember(
    fields: &mut [(String, String)],
    replay: bool,
    ctx: &mut StepContext<'_>,
) -> Result<(), String> {
    let Some(slot) = fields.iter_mut().find(|(k, _)| k == "client_assertion") else {
        return if replay {
            Err("replay_assertion needs a private_key_jwt client".into())
        } else {
            Ok(())
        };
    };
    if replay {
        slot.1 = ctx
            .state
            .last_client_assertion
            .clone()
            .ok_or("no earlier client assertion to replay")?;
    } else {
        ctx.state.last_client_assertion = Some(slot.1.clone());
    }
    Ok(())
}

/// What a token response should hold.
#[derive(Default)]
pub(super) struct Expectation {
    /// Requested scope.
    pub scope: Option<String>,
    /// A refresh token is expected.
    pub refresh_token: bool,
    /// An ID token is expected.
    pub id_token: bool,
    /// An OAuth error is expected instead.
    pub error: Option<ExpectedError>,
    /// The `authorization_details` requested, to be granted back (RFC 9396 §7).
    pub details: Option<Value>,
    /// The DPoP proof sent, if any (RFC 9449).
    pub dpop: Option<DpopProof>,
    /// The variant's holder-of-key is left out: the refusal is judged by
    /// `token.sender_constrained`.
    pub without_holder_of_key: bool,
    /// Sent without the TLS client certificate.
    pub without_certificate: bool,
}

impl Expectation {
    /// Whether a valid DPoP proof was sent, so a DPoP-bound token is due.
    fn dpop_bound(&self) -> bool {
        self.dpop.is_some_and(|p| !p.is_defect())
    }

    /// The refusal expected, and the spec that judges it: a wrong DPoP
    /// proof must be refused with `invalid_dpop_proof` (RFC 9449 §5).
    fn refusal(&self) -> Option<(ExpectedError, &'static Spec)> {
        match (&self.error, self.dpop) {
            (Some(code), _) if self.without_holder_of_key => {
                Some((code.clone(), &SENDER_CONSTRAINED))
            }
            (Some(code), Some(DpopProof::WrongNonce)) => Some((code.clone(), &NONCE_CHECKED)),
            // RFC 9449 §8 answers a nonce mismatch with `use_dpop_nonce`.
            (None, Some(DpopProof::WrongNonce)) => Some((
                ExpectedError::AnyOf(vec!["use_dpop_nonce".into(), "invalid_dpop_proof".into()]),
                &NONCE_CHECKED,
            )),
            (Some(code), Some(p)) if p.is_defect() => Some((code.clone(), &TOKEN_PROOF_CHECKED)),
            (Some(code), _) => Some((code.clone(), &REJECTED)),
            (None, Some(p)) if p.is_defect() && p != DpopProof::Omitted => Some((
                ExpectedError::One("invalid_dpop_proof".into()),
                &TOKEN_PROOF_CHECKED,
            )),
            (None, _) => None,
        }
    }
}

fn skip_all(reason: &str) -> Outcome {
    Outcome {
        specs: CORE.iter().map(|s| s.skip(reason)).collect(),
        artifacts: vec![],
        ok: false,
    }
}

async fn exchange(
    ctx: &mut StepContext<'_>,
    stage: &str,
    client: &ClientProfile,
    fields: Vec<(String, String)>,
    expect: Expectation,
    tweak: &AssertionTweak<'_>,
) -> Outcome {
    let endpoint = match ctx.state.endpoint("token_endpoint") {
        Ok(e) => e,
        Err(e) => return skip_all(&e),
    };
    // A server that demands a DPoP nonce (RFC 9449 §8) gets the request
    // once more, newly authenticated (a client assertion's `jti` is single
    // use) and with a proof carrying it; a proof meant to be wrong does not.
    let retry = expect.dpop.is_some_and(|p| !p.is_defect());
    let mut label = stage.to_string();
    let response = loop {
        let request = match token_request(ctx, client, &endpoint, fields.clone(), &expect, tweak) {
            Ok(r) => r,
            Err(e) => return skip_all(&e),
        };
        let proved = request.headers.iter().any(|(k, _)| k == "dpop");
        let exchange = if expect.without_certificate {
            ctx.session.send_without_certificate(&label, request).await
        } else {
            ctx.session.send(&label, request).await
        };
        let response = match exchange.response() {
            Ok(r) => r.clone(),
            Err(e) if expect.without_certificate && refused_by_tls(&e.to_string()) => {
                return Outcome {
                    specs: vec![SENDER_CONSTRAINED.pass_with(format!(
                        "the TLS connection without a client certificate was refused: {e}"
                    ))],
                    artifacts: vec![],
                    ok: true,
                };
            }
            Err(e) => {
                let first = expect.refusal().map_or(&STATUS_OK, |(_, spec)| spec);
                let mut out = skip_all("the token endpoint gave no complete response");
                out.specs.retain(|s| s.id != first.id);
                out.specs.insert(0, first.fail_because(e));
                return out;
            }
        };
        let demanded = proved
            && super::dpop::take_nonce(ctx.state, super::dpop::AUTHORIZATION_SERVER, &response);
        if !(demanded && retry && label == stage) {
            break response;
        }
        label = format!("{stage} (with the DPoP nonce)");
    };
    match expect.refusal() {
        Some((code, spec)) => judge_rejection(&response, &code, spec),
        None => judge_tokens(&response, &expect, ctx),
    }
}

/// A token request: the grant's fields, the client's authentication and
/// the DPoP proof, or why it cannot be made.
fn token_request(
    ctx: &mut StepContext<'_>,
    client: &ClientProfile,
    endpoint: &str,
    mut fields: Vec<(String, String)>,
    expect: &Expectation,
    tweak: &AssertionTweak<'_>,
) -> Result<OutgoingRequest, String> {
    let mut headers = vec![("accept".to_string(), "application/json".to_string())];
    let audience = client_auth::Audience::new(
        &ctx.target.issuer,
        client,
        Some(endpoint.to_string()),
        endpoint,
    )
    .explicit(tweak.audience.clone())
    .with(tweak.overrides);
    client_auth::apply(client, &audience, &mut fields, &mut headers)
        .map_err(|e| format!("client authentication could not be prepared: {e}"))?;
    replay_or_remember(&mut fields, tweak.replay, ctx)?;
    let proof = super::dpop::token_header(expect.dpop, ctx.state, endpoint)
        .map_err(|e| format!("the DPoP proof could not be made: {e}"))?;
    headers.extend(proof);
    Ok(OutgoingRequest {
        method: reqwest::Method::POST,
        url: endpoint.to_string(),
        headers,
        body: Some(RequestBody::Form(fields)),
    })
}

/// A transport error that is the server refusing the TLS connection (a
/// handshake failure or a TLS alert), as the OIDF holder-of-key modules
/// accept; the URL in the message is left out, so that a host named `tls…`
/// cannot make a DNS failure or a refused connection look like one.
fn refused_by_tls(error: &str) -> bool {
    let without_url = regex::Regex::new(r"for url \([^)]*\)")
        .map(|re| re.replace_all(error, "").to_ascii_lowercase())
        .unwrap_or_default();
    !without_url.starts_with("timed out")
        && ["alert", "handshake", "certificate", "tls"]
            .iter()
            .any(|w| without_url.contains(w))
}

fn judge_rejection(r: &RecordedResponse, code: &ExpectedError, spec: &'static Spec) -> Outcome {
    let got = r
        .json()
        .ok()
        .and_then(|b| b.get("error").and_then(Value::as_str).map(str::to_string));
    let got_code = got.clone();
    let ok = (400..500).contains(&r.status) && got.as_deref().is_some_and(|g| code.accepts(g));
    let actual = format!(
        "{} with error {}",
        r.status,
        got.unwrap_or_else(|| "(none)".into())
    );
    Outcome {
        specs: vec![
            spec.check(ok, format!("4xx with error {code}"), actual),
            error_format(r, got_code.as_deref()),
        ],
        artifacts: vec![],
        ok: true,
    }
}

/// RFC 6749 §5.2: 400 unless specified otherwise (401 may answer
/// `invalid_client`), the parameters in an `application/json` body.
fn error_format(r: &RecordedResponse, code: Option<&str>) -> SpecResult {
    if (200..300).contains(&r.status) {
        return ERROR_RESPONSE.skip("the request was accepted, so no error response was sent");
    }
    let content_type = r.header("content-type").unwrap_or("(none)");
    let json = content_type
        .split(';')
        .next()
        .is_some_and(|t| t.trim().eq_ignore_ascii_case("application/json"));
    let status_ok = r.status == 400 || (r.status == 401 && code == Some("invalid_client"));
    ERROR_RESPONSE.check(
        status_ok && json,
        "400 (or 401 for invalid_client) with application/json",
        format!("{} with {content_type}", r.status),
    )
}

pub(super) fn judge_tokens(
    r: &RecordedResponse,
    expect: &Expectation,
    ctx: &mut StepContext<'_>,
) -> Outcome {
    let mut specs = vec![STATUS_OK.check(
        r.status == 200,
        "200",
        format!("{} {}", r.status, error_summary(r)),
    )];
    // A refusal has no tokens to judge (RFC 6749 §5.2): the success specs
    // do not run on its body; its form is judged as an error response.
    if r.status >= 400 {
        let why = format!(
            "the token request was refused ({}), so there are no tokens to judge",
            r.status
        );
        specs.extend(
            CORE.iter()
                .filter(|c| c.id != STATUS_OK.id)
                .map(|c| c.skip(why.clone())),
        );
        let code = r
            .json()
            .ok()
            .and_then(|b| b.get("error").and_then(Value::as_str).map(str::to_string));
        specs.push(error_format(r, code.as_deref()));
        return Outcome {
            specs,
            artifacts: vec![],
            ok: false,
        };
    }
    let body = match r.json() {
        Ok(Value::Object(m)) => {
            specs.push(JSON.pass());
            m
        }
        Ok(other) => {
            return rest_skipped(
                specs,
                JSON.fail("a JSON object", super::discovery::kind_of(&other)),
            )
        }
        Err(e) => return rest_skipped(specs, JSON.fail_because(e)),
    };
    let s = |k: &str| body.get(k).and_then(Value::as_str);
    specs.push(present(&ACCESS_TOKEN, s("access_token")));
    let tt = s("token_type").unwrap_or("(absent)");
    specs.push(if expect.dpop_bound() {
        TOKEN_BOUND.check(tt.eq_ignore_ascii_case("DPoP"), "DPoP", tt)
    } else {
        TOKEN_TYPE.check(tt.eq_ignore_ascii_case("bearer"), "Bearer", tt)
    });
    specs.push(expires_in(&body));
    let cc = r.header("cache-control").unwrap_or("(absent)");
    specs.push(NO_STORE.check(cc.to_ascii_lowercase().contains("no-store"), "no-store", cc));
    if let Some(requested) = expect.scope.as_deref() {
        specs.push(scope(&body, requested));
    }
    if expect.refresh_token {
        specs.push(present(&REFRESH_TOKEN, s("refresh_token")));
    }
    if expect.id_token {
        specs.push(present(&ID_TOKEN, s("id_token")));
    }
    if let Some(requested) = &expect.details {
        specs.push(granted_details(
            requested,
            body.get("authorization_details"),
        ));
    }
    // A response without some token keeps the earlier one (a refresh may
    // not rotate the refresh token, RFC 6749 §6).
    let tokens = &mut ctx.state.tokens;
    for (name, slot) in [
        ("access_token", &mut tokens.access_token),
        ("refresh_token", &mut tokens.refresh_token),
        ("id_token", &mut tokens.id_token),
        ("scope", &mut tokens.scope),
        ("token_type", &mut tokens.token_type),
    ] {
        if let Some(v) = s(name) {
            *slot = Some(v.to_string());
        }
    }
    let ok = s("access_token").is_some() && r.status == 200;
    Outcome {
        specs,
        artifacts: vec![],
        ok,
    }
}

/// RFC 9396 §7: the granted details come back; each requested type is
/// present.
fn granted_details(requested: &Value, granted: Option<&Value>) -> SpecResult {
    let Some(Value::Array(granted)) = granted else {
        return AUTHORIZATION_DETAILS.fail("an `authorization_details` array", "absent");
    };
    let types = |v: &Value| -> Vec<String> {
        v.as_array()
            .into_iter()
            .flatten()
            .filter_map(|e| e.get("type").and_then(Value::as_str).map(str::to_string))
            .collect()
    };
    let granted_value = Value::Array(granted.clone());
    let have = types(&granted_value);
    let missing: Vec<String> = types(requested)
        .into_iter()
        .filter(|t| !have.contains(t))
        .collect();
    AUTHORIZATION_DETAILS.check(
        missing.is_empty(),
        format!("types {}", types(requested).join(", ")),
        format!("types {}", have.join(", ")),
    )
}

fn error_summary(r: &RecordedResponse) -> String {
    let body = r.json().ok();
    let field = |k: &str| {
        body.as_ref()
            .and_then(|b| b.get(k))
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    match (field("error"), field("error_description")) {
        (Some(e), Some(d)) => format!("(error {e}: {d})"),
        (Some(e), None) => format!("(error {e})"),
        _ => String::new(),
    }
}

fn rest_skipped(mut specs: Vec<SpecResult>, failed: SpecResult) -> Outcome {
    specs.push(failed);
    let done: Vec<String> = specs.iter().map(|s| s.id.clone()).collect();
    specs.extend(
        CORE.iter()
            .filter(|s| !done.contains(&s.id.to_string()))
            .map(|s| s.skip("the token response is not a JSON object")),
    );
    Outcome {
        specs,
        artifacts: vec![],
        ok: false,
    }
}

fn present(spec: &'static Spec, v: Option<&str>) -> SpecResult {
    match v {
        Some(s) if !s.is_empty() => spec.pass(),
        Some(_) => spec.fail("a non-empty string", "an empty string"),
        None => spec.fail("present", "absent"),
    }
}

fn expires_in(body: &Map<String, Value>) -> SpecResult {
    match body.get("expires_in") {
        Some(Value::Number(n)) if n.as_f64().is_some_and(|v| v > 0.0) => {
            EXPIRES_IN.pass_with(format!("{n} s"))
        }
        Some(other) => EXPIRES_IN.fail("a positive number of seconds", other.to_string()),
        None => EXPIRES_IN.fail("`expires_in`", "absent"),
    }
}

fn scope(body: &Map<String, Value>, requested: &str) -> SpecResult {
    let Some(granted) = body.get("scope").and_then(Value::as_str) else {
        return SCOPE.pass_with("not returned: identical to the request (RFC 6749 §5.1)");
    };
    let granted_set: Vec<&str> = granted.split_whitespace().collect();
    // offline_access may be dropped by the server (OIDC Core §11); other scopes should be granted.
    let missing: Vec<&str> = requested
        .split_whitespace()
        .filter(|s| *s != "offline_access" && !granted_set.contains(s))
        .collect();
    SCOPE.check(missing.is_empty(), requested, granted)
}

#[cfg(test)]
mod tls_refusal_tests {
    #[test]
    fn only_a_tls_refusal_counts_and_never_because_of_the_url() {
        let alert = "error sending request for url (https://bank.example/token): client error (Connect): received fatal alert: CertificateRequired";
        assert!(super::refused_by_tls(alert));
        let dns = "error sending request for url (https://tls.bank.example/token): client error (Connect): dns error: failed to lookup address";
        assert!(!super::refused_by_tls(dns));
        assert!(!super::refused_by_tls("timed out"));
        assert!(!super::refused_by_tls(
            "error sending request for url (https://bank.example/token): connection closed before message completed"
        ));
    }
}
