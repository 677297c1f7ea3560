//! No credential over cleartext: a request that carries one (client
//! secret, client assertion, token, cookie, password, code …) is sent only
//! to an https URL, or — for an `insecure_http: true` development target —
//! to a loopback host. Checked once here, for every step, before sending.

use super::{OutgoingRequest, RequestBody};

/// Headers whose presence means the request carries a credential.
const CREDENTIAL_HEADERS: &[&str] = &["authorization", "proxy-authorization", "cookie", "dpop"];

/// Form and JSON members whose presence means the request carries a credential.
const CREDENTIAL_FIELDS: &[&str] = &[
    "client_secret",
    "client_assertion",
    "assertion",
    "password",
    "refresh_token",
    "access_token",
    "token",
    "code",
    "code_verifier",
    "device_code",
    "auth_req_id",
];

/// Whether the URL's host is a loopback address (127.0.0.0/8, ::1, localhost).
pub fn is_loopback(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

/// What credential a request carries, in words, if any: a header name or
/// a field name.
fn credential_in(req: &OutgoingRequest, cookie: Option<&str>) -> Option<String> {
    if cookie.is_some() {
        return Some("cookies".into());
    }
    if let Some((name, value)) = req
        .headers
        .iter()
        .find(|(n, _)| CREDENTIAL_HEADERS.iter().any(|h| n.eq_ignore_ascii_case(h)))
    {
        let basic = value
            .get(..6)
            .is_some_and(|s| s.eq_ignore_ascii_case("basic "));
        return Some(match name.to_ascii_lowercase().as_str() {
            "authorization" if basic => "client credentials".into(),
            "authorization" => "an access token (authorization header)".into(),
            other => format!("the {other} header"),
        });
    }
    let field = match &req.body {
        Some(RequestBody::Form(fields)) => fields
            .iter()
            .map(|(k, _)| k.as_str())
            .find(|k| CREDENTIAL_FIELDS.contains(k))
            .map(str::to_string),
        Some(RequestBody::Json(serde_json::Value::Object(m))) => m
            .keys()
            .find(|k| CREDENTIAL_FIELDS.contains(&k.as_str()))
            .cloned(),
        _ => None,
    };
    field.map(|f| {
        if matches!(f.as_str(), "client_secret" | "client_assertion") {
            "client credentials".to_string()
        } else {
            format!("`{f}`")
        }
    })
}

/// Why the request must not be sent, if it must not: it carries a
/// credential and its URL is not https (nor, with `insecure_http`, a
/// loopback http URL). `cookie` is the jar's `Cookie` header for it.
pub(super) fn refusal(
    req: &OutgoingRequest,
    url: &url::Url,
    cookie: Option<&str>,
    insecure_http: bool,
) -> Option<String> {
    if url.scheme() == "https" || (insecure_http && is_loopback(url)) {
        return None;
    }
    let what = credential_in(req, cookie)?;
    let why = if insecure_http {
        "only loopback hosts may be reached over plain http"
    } else {
        "credentials go over https only (`insecure_http: true` allows a loopback development target)"
    };
    Some(format!(
        "refused to send {what} over cleartext to {}: {why}; the request was not sent",
        req.url
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(url: &str, fields: &[(&str, &str)]) -> OutgoingRequest {
        OutgoingRequest {
            method: reqwest::Method::POST,
            url: url.into(),
            headers: vec![],
            body: Some(RequestBody::Form(
                fields
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
            )),
        }
    }

    fn judge(req: &OutgoingRequest, insecure: bool) -> Option<String> {
        let url = url::Url::parse(&req.url).unwrap();
        refusal(req, &url, None, insecure)
    }

    #[test]
    fn credentials_go_to_https_only() {
        let post = form("http://as.example/token", &[("client_secret", "s")]);
        let why = judge(&post, false).unwrap();
        assert!(
            why.starts_with(
                "refused to send client credentials over cleartext to http://as.example/token"
            ),
            "{why}"
        );
        assert!(judge(&post, true).unwrap().contains("only loopback"));
        let tls = form("https://as.example/token", &[("client_secret", "s")]);
        assert_eq!(judge(&tls, false), None);
        let bearer =
            OutgoingRequest::get("http://as.example/userinfo").header("Authorization", "Bearer t");
        assert!(judge(&bearer, false)
            .unwrap()
            .starts_with("refused to send an access token (authorization header) over cleartext"));
        let basic =
            OutgoingRequest::get("http://as.example/token").header("authorization", "Basic x");
        assert!(judge(&basic, false).unwrap().contains("client credentials"));
        let code = form("http://as.example/token", &[("code", "c")]);
        assert!(judge(&code, false).unwrap().contains("`code`"));
    }

    #[test]
    fn plain_requests_and_loopback_development_targets_pass() {
        assert_eq!(
            judge(&OutgoingRequest::get("http://as.example/x"), false),
            None
        );
        for host in ["127.0.0.1:8080", "[::1]", "localhost", "127.1.2.3"] {
            let post = form(&format!("http://{host}/token"), &[("password", "p")]);
            assert_eq!(judge(&post, true), None, "{host}");
            assert!(judge(&post, false).is_some(), "{host}");
        }
        let cookie = OutgoingRequest::get("http://as.example/login");
        let url = url::Url::parse(&cookie.url).unwrap();
        assert!(refusal(&cookie, &url, Some("sid=1"), false)
            .unwrap()
            .contains("cookies"));
    }
}
