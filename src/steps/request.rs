//! `request`: a generic HTTP call with `expect:` checks and captures.

use super::{Outcome, StepContext};
use crate::http::{OutgoingRequest, RecordedResponse, RequestBody};
use crate::specs::request::ANSWERED;
use crate::specs::SpecResult;
use crate::suite::{CaptureSource, RequestStep, Values};
use serde_json::Value;
use std::collections::BTreeMap;

/// Runs a request step.
pub(crate) async fn run(step: &RequestStep, stage: &str, ctx: &mut StepContext<'_>) -> Outcome {
    let request = match build(step, &*ctx.state) {
        Ok(r) => r,
        Err(e) => return skipped(step, &format!("the request could not be built: {e}")),
    };
    let exchange = ctx.session.send(stage, request).await;
    let response = match exchange.response() {
        Ok(r) => r.clone(),
        Err(e) => {
            let mut out = skipped(step, "the request got no complete response");
            out.specs.insert(0, ANSWERED.fail_because(e));
            return out;
        }
    };
    let mut specs = vec![ANSWERED.pass()];
    specs.extend(expectations(step, &response));
    let (capture_specs, captured_all) = captures(
        step,
        &response,
        &exchange.request.url.clone(),
        &mut ctx.state.captures,
    );
    specs.extend(capture_specs);
    let ok = captured_all
        && specs
            .iter()
            .all(|s| s.verdict != crate::specs::Verdict::Failed);
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
fn declared(step: &RequestStep) -> Vec<(String, String)> {
    let mut out = Vec::new();
    if let Some(s) = step.expect.status {
        out.push((
            "request.status".to_string(),
            format!("should respond with status {s}"),
        ));
    }
    if step.expect.refused {
        out.push((REFUSED_ID.to_string(), REFUSED_SHOULD.to_string()));
    }
    for (name, value) in &step.expect.headers {
        out.push((
            format!("request.header.{name}"),
            format!("should send header `{name}: {value}`"),
        ));
    }
    for (path, value) in &step.expect.json {
        out.push((
            format!("request.json.{}", path.text),
            format!("should return `{}` equal to `{}`", path.text, value.value),
        ));
    }
    for (name, source) in &step.capture {
        out.push((
            format!("request.capture.{name}"),
            format!("should provide `{}` to capture as `{name}`", source.text),
        ));
    }
    out
}

fn skipped(step: &RequestStep, reason: &str) -> Outcome {
    let specs = declared(step)
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

fn expectations(step: &RequestStep, r: &RecordedResponse) -> Vec<SpecResult> {
    let mut out = Vec::new();
    if step.expect.refused {
        out.push(SpecResult::user(
            REFUSED_ID.into(),
            REFUSED_SHOULD.into(),
            r.status >= 400,
            "4xx or 5xx".into(),
            r.status.to_string(),
        ));
    }
    if let Some(status) = step.expect.status {
        out.push(SpecResult::user(
            "request.status".into(),
            format!("should respond with status {status}"),
            r.status == status,
            status.to_string(),
            r.status.to_string(),
        ));
    }
    for (name, want) in &step.expect.headers {
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
    for (path, want) in &step.expect.json {
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

fn first_node(path: &crate::suite::JsonPathExpr, body: &Value) -> Option<Value> {
    path.path.query(body).first().cloned()
}

/// Applies the captures; returns their specs and whether all succeeded.
fn captures(
    step: &RequestStep,
    r: &RecordedResponse,
    request_url: &str,
    captured: &mut BTreeMap<String, String>,
) -> (Vec<SpecResult>, bool) {
    let mut out = Vec::new();
    let mut all = true;
    for (name, capture) in &step.capture {
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
