//! Checks on the provider metadata document.

use super::kind_of;
use crate::specs::discovery::*;
use crate::specs::SpecResult;
use serde_json::{Map, Value};

type Metadata = Map<String, Value>;

/// Why the https specs are not judged against a development target.
pub(crate) const INSECURE_HTTP_SKIP: &str = "insecure_http: a development target over plain http";

/// Judges every metadata spec, in catalogue order. `insecure_http` (a
/// development target) skips the specs that demand https.
pub(super) fn judge(m: &Metadata, expected_issuer: &str, insecure_http: bool) -> Vec<SpecResult> {
    let https = |spec: &'static crate::specs::Spec, judge: fn(&Metadata) -> SpecResult| {
        if insecure_http {
            spec.skip(INSECURE_HTTP_SKIP)
        } else {
            judge(m)
        }
    };
    vec![
        issuer_matches(m, expected_issuer),
        https(&ISSUER_HTTPS, issuer_https),
        required_string(m, &AUTHORIZATION_ENDPOINT, "authorization_endpoint"),
        required_string(m, &TOKEN_ENDPOINT, "token_endpoint"),
        required_string(m, &JWKS_URI, "jwks_uri"),
        non_empty_list(m, &RESPONSE_TYPES, "response_types_supported"),
        subject_types(m),
        non_empty_list(m, &ID_TOKEN_ALGS, "id_token_signing_alg_values_supported"),
        list_contains(
            m,
            &ID_TOKEN_ALG_RS256,
            "id_token_signing_alg_values_supported",
            &["RS256"],
        ),
        list_contains(
            m,
            &ID_TOKEN_ALG_FAPI,
            "id_token_signing_alg_values_supported",
            &["PS256", "ES256"],
        ),
        https(&ENDPOINTS_HTTPS, endpoints_https),
        list_contains(m, &SCOPES_OPENID, "scopes_supported", &["openid"]),
        list_contains(
            m,
            &RESPONSE_TYPE_CODE,
            "response_types_supported",
            &["code", "code id_token"],
        ),
        grant_types(m),
        list_contains(
            m,
            &AUTH_METHODS_FAPI,
            "token_endpoint_auth_methods_supported",
            &[
                "private_key_jwt",
                "tls_client_auth",
                "self_signed_tls_client_auth",
            ],
        ),
        list_contains(m, &PKCE_S256, "code_challenge_methods_supported", &["S256"]),
        pkce_no_plain(m),
        iss_parameter(m),
        required_string(m, &PAR_ENDPOINT, "pushed_authorization_request_endpoint"),
    ]
}

fn issuer_matches(m: &Metadata, expected: &str) -> SpecResult {
    match m.get("issuer") {
        Some(Value::String(iss)) => ISSUER_MATCHES.check(iss == expected, expected, iss.as_str()),
        Some(other) => ISSUER_MATCHES.fail(format!("the string {expected:?}"), kind_of(other)),
        None => ISSUER_MATCHES.fail(format!("{expected:?}"), "no `issuer` member"),
    }
}

fn issuer_https(m: &Metadata) -> SpecResult {
    let Some(Value::String(iss)) = m.get("issuer") else {
        return ISSUER_HTTPS.skip("no `issuer` string to judge");
    };
    match url::Url::parse(iss) {
        Ok(u) if u.scheme() == "https" && u.query().is_none() && u.fragment().is_none() => {
            ISSUER_HTTPS.pass()
        }
        Ok(_) => ISSUER_HTTPS.fail("an https URL without query or fragment", iss.as_str()),
        Err(e) => ISSUER_HTTPS.fail("an https URL", format!("{iss:?} ({e})")),
    }
}

fn required_string(m: &Metadata, spec: &'static crate::specs::Spec, name: &str) -> SpecResult {
    match m.get(name) {
        Some(Value::String(s)) if !s.is_empty() => spec.pass_with(s.clone()),
        Some(other) => spec.fail(format!("`{name}` as a URL string"), kind_of(other)),
        None => spec.fail(format!("a `{name}` member"), "absent"),
    }
}

fn strings<'a>(m: &'a Metadata, name: &str) -> Option<Vec<&'a str>> {
    match m.get(name) {
        Some(Value::Array(items)) => Some(items.iter().filter_map(Value::as_str).collect()),
        _ => None,
    }
}

fn non_empty_list(m: &Metadata, spec: &'static crate::specs::Spec, name: &str) -> SpecResult {
    match strings(m, name) {
        Some(v) if !v.is_empty() => spec.pass_with(v.join(", ")),
        Some(_) => spec.fail(format!("a non-empty `{name}`"), "an empty list"),
        None => spec.fail(format!("a `{name}` array"), describe(m.get(name))),
    }
}

/// Passes when the list holds any of `wanted`.
fn list_contains(
    m: &Metadata,
    spec: &'static crate::specs::Spec,
    name: &str,
    wanted: &[&str],
) -> SpecResult {
    let want = wanted.join(" or ");
    match strings(m, name) {
        Some(v) => spec.check(
            v.iter().any(|x| wanted.contains(x)),
            format!("`{name}` to include {want}"),
            format!("{v:?}"),
        ),
        None => spec.fail(format!("`{name}` including {want}"), describe(m.get(name))),
    }
}

fn subject_types(m: &Metadata) -> SpecResult {
    match strings(m, "subject_types_supported") {
        Some(v) if v.iter().any(|t| *t == "public" || *t == "pairwise") => SUBJECT_TYPES.pass(),
        Some(v) => SUBJECT_TYPES.fail("`public` or `pairwise`", format!("{v:?}")),
        None => SUBJECT_TYPES.fail(
            "a `subject_types_supported` array",
            describe(m.get("subject_types_supported")),
        ),
    }
}

/// Every member that names an endpoint or `jwks_uri`, including mTLS aliases.
fn endpoint_urls(m: &Metadata) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = m
        .iter()
        .filter(|(k, _)| k.ends_with("_endpoint") || k.as_str() == "jwks_uri")
        .filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_string())))
        .collect();
    if let Some(Value::Object(aliases)) = m.get("mtls_endpoint_aliases") {
        out.extend(aliases.iter().filter_map(|(k, v)| {
            v.as_str()
                .map(|s| (format!("mtls_endpoint_aliases.{k}"), s.to_string()))
        }));
    }
    out
}

fn endpoints_https(m: &Metadata) -> SpecResult {
    let bad: Vec<String> = endpoint_urls(m)
        .into_iter()
        .filter(|(_, u)| {
            url::Url::parse(u)
                .map(|u| u.scheme() != "https")
                .unwrap_or(true)
        })
        .map(|(k, u)| format!("{k} = {u}"))
        .collect();
    ENDPOINTS_HTTPS.check(bad.is_empty(), "absolute https URLs", bad.join(", "))
}

fn grant_types(m: &Metadata) -> SpecResult {
    match strings(m, "grant_types_supported") {
        // RFC 8414 §2: when omitted the default is ["authorization_code", "implicit"].
        None => GRANT_AUTH_CODE.pass_with("not published; the default includes authorization_code"),
        Some(v) => GRANT_AUTH_CODE.check(
            v.contains(&"authorization_code"),
            "`authorization_code` listed",
            format!("{v:?}"),
        ),
    }
}

fn pkce_no_plain(m: &Metadata) -> SpecResult {
    match strings(m, "code_challenge_methods_supported") {
        Some(v) => PKCE_NO_PLAIN.check(!v.contains(&"plain"), "S256 only", format!("{v:?}")),
        None => PKCE_NO_PLAIN.skip("`code_challenge_methods_supported` is not published"),
    }
}

fn iss_parameter(m: &Metadata) -> SpecResult {
    let v = m.get("authorization_response_iss_parameter_supported");
    ISS_PARAMETER.check(v == Some(&Value::Bool(true)), "true", describe(v))
}

fn describe(v: Option<&Value>) -> String {
    match v {
        None => "absent".into(),
        Some(v) => v.to_string(),
    }
}
