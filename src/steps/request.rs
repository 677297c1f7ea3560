//! `request`: a generic HTTP call with `expect:` checks and captures.

use super::{Outcome, StepContext};
use crate::http::{OutgoingRequest, RecordedResponse, RequestBody};
use crate::specs::request::ANSWERED;
use crate::specs::SpecResult;
use crate::suite::{CaptureSource, RequestStep, Vars};
use serde_json::Value;

/// Runs a request step.
pub(crate) async fn run(step: &RequestStep, stage: &str, ctx: &mut StepContext<'_>) -> Outcome {
    let request = match build(step, ctx.vars) {
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
    let (capture_specs, captured_all) =
        captures(step, &response, &exchange.request.url.clone(), ctx.vars);
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

fn build(step: &RequestStep, vars: &Vars) -> Result<OutgoingRequest, String> {
    let method = reqwest::Method::from_bytes(step.method.as_bytes()).map_err(|e| e.to_string())?;
    let mut headers = Vec::new();
    for (n, v) in &step.headers {
        headers.push((n.clone(), vars.fill(v)?));
    }
    let body = if let Some(form) = &step.form {
        let mut fields = Vec::new();
        for (k, v) in form {
            fields.push((k.clone(), vars.fill(v)?));
        }
        Some(RequestBody::Form(fields))
    } else if let Some(json) = &step.json {
        Some(RequestBody::Json(fill_json(json, vars)?))
    } else {
        None
    };
    Ok(OutgoingRequest {
        method,
        url: vars.fill(&step.url)?,
        headers,
        body,
    })
}

pub(crate) fn fill_json(v: &Value, vars: &Vars) -> Result<Value, String> {
    Ok(match v {
        Value::String(s) => Value::String(vars.fill(s)?),
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|i| fill_json(i, vars))
                .collect::<Result<_, _>>()?,
        ),
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, v)| Ok((k.clone(), fill_json(v, vars)?)))
                .collect::<Result<_, String>>()?,
        ),
        other => other.clone(),
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
    for (name, value) in &step.expect.headers {
        out.push((
            format!("request.header.{name}"),
            format!("should send header `{name}: {value}`"),
        ));
    }
    for (path, value) in &step.expect.json {
        out.push((
            format!("request.json.{path}"),
            format!("should return `{path}` equal to `{}`", value.value),
        ));
    }
    for (name, source) in &step.capture {
        out.push((
            format!("request.capture.{name}"),
            format!("should provide `{}` to capture as `{name}`", source.value),
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

fn expectations(step: &RequestStep, r: &RecordedResponse) -> Vec<SpecResult> {
    let mut out = Vec::new();
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
        let id = format!("request.json.{path}");
        let should = format!("should return `{path}` equal to `{}`", want.value);
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

fn first_node(path: &str, body: &Value) -> Option<Value> {
    let p = serde_json_path::JsonPath::parse(path).ok()?;
    p.query(body).first().cloned()
}

/// Applies the captures; returns their specs and whether all succeeded.
fn captures(
    step: &RequestStep,
    r: &RecordedResponse,
    request_url: &str,
    vars: &mut Vars,
) -> (Vec<SpecResult>, bool) {
    let mut out = Vec::new();
    let mut all = true;
    for (name, source) in &step.capture {
        let should = format!("should provide `{}` to capture as `{name}`", source.value);
        let value = CaptureSource::parse(&source.value).and_then(|s| extract(&s, r, request_url));
        match value {
            Ok(v) => {
                vars.set(name.clone(), v);
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
                    source.value.clone(),
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
