//! `request`: a generic HTTP call with `expect:` checks and captures.

use super::{Facts, Kind, Provided};
use super::{Outcome, StepContext};
use crate::expr::{
    Capture, CaptureSource, HttpMethod, JsonPathExpr, JsonTemplate, Template, Values,
};
use crate::http::{OutgoingRequest, RecordedResponse, RequestBody};
use crate::specs::request::ANSWERED;
use crate::specs::SpecResult;
use crate::ConfigError;
use serde::Deserialize;
use serde_json::Value;
use serde_saphyr::{Location, Spanned};
use std::collections::BTreeMap;
use std::path::Path;

/// `request:` — a generic HTTP call.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequestStep {
    /// Stage name in reports (default "Request").
    pub stage: Option<String>,
    /// HTTP method (default GET).
    #[serde(default = "HttpMethod::get")]
    pub method: HttpMethod,
    /// URL; `{{ var }}` placeholders are filled from captured values.
    pub url: Template,
    /// Extra headers.
    #[serde(default)]
    pub headers: BTreeMap<String, Template>,
    /// A form body (`application/x-www-form-urlencoded`).
    pub form: Option<BTreeMap<String, Template>>,
    /// A JSON body.
    pub json: Option<JsonTemplate>,
    /// What the response should look like.
    #[serde(default)]
    pub expect: Expect,
    /// Values to keep for later steps: name → source.
    #[serde(default)]
    pub capture: BTreeMap<String, Capture>,
}

/// Expectations on a response; each becomes a spec in the report.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    /// Expected status code.
    pub status: Option<u16>,
    /// Any refusal will do: a 4xx or 5xx status (a method the endpoint
    /// does not serve).
    #[serde(default)]
    pub refused: bool,
    /// Expected header values (exact match, case-insensitive names).
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// JSONPath → expected value (the first node must equal it).
    #[serde(default)]
    pub json: BTreeMap<JsonPathExpr, Spanned<serde_json::Value>>,
}

impl Facts for RequestStep {
    fn stage(&self) -> Option<&str> {
        self.stage.as_deref()
    }

    fn templates(&self) -> Vec<&Template> {
        let mut out = vec![&self.url];
        out.extend(self.headers.values());
        out.extend(self.form.iter().flat_map(|f| f.values()));
        out.extend(self.json.iter().flat_map(JsonTemplate::templates));
        out
    }

    fn urls(&self) -> Vec<&Template> {
        vec![&self.url]
    }

    fn capture_names(&self) -> Vec<&str> {
        self.capture.keys().map(String::as_str).collect()
    }

    fn provide(&self, provided: &mut Provided) {
        self.capture.keys().for_each(|n| provided.capture(n));
    }

    fn check(&mut self, path: &Path, at: &Location) -> Result<(), ConfigError> {
        if self.form.is_some() && self.json.is_some() {
            let m = "a request step has both `form` and `json`; choose one".to_string();
            return Err(crate::yaml::invalid(path, at, m));
        }
        Ok(())
    }
}

impl Kind for RequestStep {
    const STAGE: &'static str = "Request";
    type Decided = ();

    fn decide(&self, _: &crate::target::Target) -> Result<(), crate::target::UnknownClient> {
        Ok(())
    }

    async fn run(&self, _: &(), stage: &str, ctx: &mut StepContext<'_>) -> Outcome {
        run(self, stage, ctx).await
    }
}

/// What a response is judged by: a step's `expect:` and `capture:`.
pub(crate) struct Checks<'a> {
    /// The expectations.
    pub expect: &'a Expect,
    /// The captures.
    pub capture: &'a BTreeMap<String, Capture>,
}

impl RequestStep {
    fn checks(&self) -> Checks<'_> {
        Checks {
            expect: &self.expect,
            capture: &self.capture,
        }
    }
}

/// Judges a response by `checks`: it was answered, each expectation, each
/// capture (kept in the scenario's captures); whether every capture was
/// made and nothing failed.
pub(crate) fn judge(
    checks: &Checks<'_>,
    response: &RecordedResponse,
    url: &str,
    captured: &mut BTreeMap<String, String>,
) -> (Vec<SpecResult>, bool) {
    let mut specs = vec![ANSWERED.pass()];
    specs.extend(expectations(checks, response));
    let (capture_specs, captured_all) = captures(checks, response, url, captured);
    specs.extend(capture_specs);
    let ok = captured_all
        && specs
            .iter()
            .all(|s| s.verdict != crate::specs::Verdict::Failed);
    (specs, ok)
}

/// The specs of `checks`, SKIPPED for `reason`, after `ANSWERED` failed
/// for `error` (or was SKIPPED too, without one).
pub(crate) fn unanswered(checks: &Checks<'_>, reason: &str, error: Option<String>) -> Outcome {
    let mut out = skipped(checks, reason);
    let answered = match error {
        Some(e) => ANSWERED.fail_because(e),
        None => ANSWERED.skip(reason),
    };
    out.specs.insert(0, answered);
    out
}

/// Runs a request step.
async fn run(step: &RequestStep, stage: &str, ctx: &mut StepContext<'_>) -> Outcome {
    let checks = step.checks();
    let request = match build(step, &*ctx.state) {
        Ok(r) => r,
        Err(e) => return skipped(&checks, &format!("the request could not be built: {e}")),
    };
    // A generic call is the client's own (a JWKS fetch, an API call with a
    // token), on the back channel: the PSU's browser cookies stay out of it.
    let exchange = ctx.session.send(stage, request).await;
    let response = match exchange.response() {
        Ok(r) => r.clone(),
        Err(e) => {
            let e = Some(e.to_string());
            return unanswered(&checks, "the request got no complete response", e);
        }
    };
    let url = exchange.request.url.clone();
    let (specs, ok) = judge(&checks, &response, &url, &mut ctx.state.captures);
    Outcome {
        specs,
        artifacts: vec![],
        ok,
    }
}

fn build(step: &RequestStep, values: &dyn Values) -> Result<OutgoingRequest, String> {
    let mut headers = Vec::new();
    for (n, v) in &step.headers {
        headers.push((n.clone(), v.render(values)?));
    }
    let body = if let Some(form) = &step.form {
        let mut fields = Vec::new();
        for (k, v) in form {
            fields.push((k.clone(), v.render(values)?));
        }
        Some(RequestBody::Form(fields))
    } else if let Some(json) = &step.json {
        Some(RequestBody::Json(json.render(values)?))
    } else {
        None
    };
    Ok(OutgoingRequest {
        method: step.method.0.clone(),
        url: step.url.render(values)?,
        headers,
        body,
    })
}

/// The user specs a step declares, in YAML order: (id, sentence).
fn declared(checks: &Checks<'_>) -> Vec<(String, String)> {
    let mut out = Vec::new();
    if let Some(s) = checks.expect.status {
        out.push((
            "request.status".to_string(),
            format!("should respond with status {s}"),
        ));
    }
    if checks.expect.refused {
        out.push((REFUSED_ID.to_string(), REFUSED_SHOULD.to_string()));
    }
    for (name, value) in &checks.expect.headers {
        out.push((
            format!("request.header.{name}"),
            format!("should send header `{name}: {value}`"),
        ));
    }
    for (path, value) in &checks.expect.json {
        out.push((
            format!("request.json.{}", path.text),
            format!("should return `{}` equal to `{}`", path.text, value.value),
        ));
    }
    for (name, source) in checks.capture {
        out.push((
            format!("request.capture.{name}"),
            format!("should provide `{}` to capture as `{name}`", source.text),
        ));
    }
    out
}

fn skipped(checks: &Checks<'_>, reason: &str) -> Outcome {
    let specs = declared(checks)
        .into_iter()
        .map(|(id, s)| SpecResult::user_skipped(id, s, reason.to_string()))
        .collect();
    Outcome {
        specs,
        artifacts: vec![],
        ok: false,
    }
}

const REFUSED_ID: &str = "request.refused";
const REFUSED_SHOULD: &str = "should refuse the request with a 4xx or 5xx status";

fn expectations(checks: &Checks<'_>, r: &RecordedResponse) -> Vec<SpecResult> {
    let mut out = Vec::new();
    if checks.expect.refused {
        out.push(SpecResult::user(
            REFUSED_ID.into(),
            REFUSED_SHOULD.into(),
            r.status >= 400,
            "4xx or 5xx".into(),
            r.status.to_string(),
        ));
    }
    if let Some(status) = checks.expect.status {
        out.push(SpecResult::user(
            "request.status".into(),
            format!("should respond with status {status}"),
            r.status == status,
            status.to_string(),
            r.status.to_string(),
        ));
    }
    for (name, want) in &checks.expect.headers {
        let got = r.header(name);
        out.push(SpecResult::user(
            format!("request.header.{name}"),
            format!("should send header `{name}: {want}`"),
            got == Some(want.as_str()),
            want.clone(),
            got.unwrap_or("(absent)").to_string(),
        ));
    }
    let body = r.json();
    for (path, want) in &checks.expect.json {
        let id = format!("request.json.{}", path.text);
        let should = format!("should return `{}` equal to `{}`", path.text, want.value);
        let got = match &body {
            Ok(b) => first_node(path, b)
                .map(|v| v.to_string())
                .unwrap_or_else(|| "(no such node)".into()),
            Err(e) => e.clone(),
        };
        let ok = body
            .as_ref()
            .ok()
            .and_then(|b| first_node(path, b))
            .as_ref()
            == Some(&want.value);
        out.push(SpecResult::user(
            id,
            should,
            ok,
            want.value.to_string(),
            got,
        ));
    }
    out
}

fn first_node(path: &JsonPathExpr, body: &Value) -> Option<Value> {
    path.path.query(body).first().cloned()
}

/// Applies the captures; returns their specs and whether all succeeded.
fn captures(
    checks: &Checks<'_>,
    r: &RecordedResponse,
    request_url: &str,
    captured: &mut BTreeMap<String, String>,
) -> (Vec<SpecResult>, bool) {
    let mut out = Vec::new();
    let mut all = true;
    for (name, capture) in checks.capture {
        let should = format!("should provide `{}` to capture as `{name}`", capture.text);
        match extract(&capture.source, r, request_url) {
            Ok(v) => {
                captured.insert(name.clone(), v);
                out.push(SpecResult::user(
                    format!("request.capture.{name}"),
                    should,
                    true,
                    String::new(),
                    String::new(),
                ));
            }
            Err(e) => {
                all = false;
                out.push(SpecResult::user(
                    format!("request.capture.{name}"),
                    should,
                    false,
                    capture.text.clone(),
                    e,
                ));
            }
        }
    }
    (out, all)
}

/// Reads a captured value from a response.
pub(crate) fn extract(
    source: &CaptureSource,
    r: &RecordedResponse,
    request_url: &str,
) -> Result<String, String> {
    match source {
        CaptureSource::JsonPath(p) => {
            let body = r.json()?;
            match p.query(&body).first() {
                Some(Value::String(s)) => Ok(s.clone()),
                Some(v) => Ok(v.to_string()),
                None => Err("no node matches".into()),
            }
        }
        CaptureSource::Header(h) => r
            .header(h)
            .map(str::to_string)
            .ok_or_else(|| format!("no `{h}` header")),
        CaptureSource::RedirectParam(p) => {
            let location = r.header("location").ok_or("no `location` header")?;
            let url = url::Url::parse(request_url)
                .and_then(|base| base.join(location))
                .map_err(|e| format!("`location` is not a URL: {e}"))?;
            redirect_param(&url, p).ok_or_else(|| {
                format!("`{p}` is in neither the query nor the fragment of {location}")
            })
        }
    }
}

/// A parameter of a redirect URL, from the query or the fragment.
pub fn redirect_param(url: &url::Url, name: &str) -> Option<String> {
    let from_query = url
        .query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned());
    from_query.or_else(|| {
        let fragment = url.fragment()?;
        url::form_urlencoded::parse(fragment.as_bytes())
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    })
}
