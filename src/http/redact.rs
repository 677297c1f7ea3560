//! Secret redaction, applied when exchanges are rendered into shareable
//! reports. The captured data itself is never altered.

use serde_json::Value;

/// The mask that replaces a secret; [`masked`] adds a fingerprint.
pub const MASK: &str = "[redacted]";

/// The mask for one secret value, with a short stable fingerprint
/// (`[redacted:3fa1]`: the first 16 bits of its SHA-256), so a reader can
/// follow which token went where without seeing any of it.
pub fn masked(secret: &str) -> String {
    use sha2::Digest;
    let d = sha2::Sha256::digest(secret.as_bytes());
    let hex: String = d.iter().take(2).map(|b| format!("{b:02x}")).collect();
    format!("[redacted:{hex}]")
}

/// Header names whose values are credentials.
const SECRET_HEADERS: &[&str] = &[
    "authorization",
    "proxy-authorization",
    "cookie",
    "set-cookie",
    "x-api-key",
];

/// Form and JSON member names whose values are credentials.
const SECRET_FIELDS: &[&str] = &[
    "client_secret",
    "client_assertion",
    "assertion",
    "access_token",
    "refresh_token",
    "password",
    "token",
    "private_key",
];

/// Members of a JWK that hold private key material (RFC 7518 §6).
const PRIVATE_JWK_MEMBERS: &[&str] = &["d", "p", "q", "dp", "dq", "qi", "k", "oth"];

/// Masks credentials in headers, bodies and URLs.
#[derive(Debug, Clone, Default)]
pub struct Redactor {
    enabled: bool,
    literals: Vec<String>,
}

impl Redactor {
    /// A redactor that masks the built-in credential fields and every
    /// occurrence of the given literal secrets (e.g. the client secret).
    pub fn new(literals: impl IntoIterator<Item = String>) -> Self {
        let mut literals: Vec<String> = literals.into_iter().filter(|s| s.len() >= 4).collect();
        // Longest first so a secret containing another is masked whole.
        literals.sort_by_key(|s| std::cmp::Reverse(s.len()));
        Redactor {
            enabled: true,
            literals,
        }
    }

    /// A redactor that shows everything (`--no-redact`).
    pub fn disabled() -> Self {
        Redactor {
            enabled: false,
            literals: vec![],
        }
    }

    /// The value of a header as it may be shown.
    pub fn header(&self, name: &str, value: &str) -> String {
        if !self.enabled {
            return value.to_string();
        }
        if SECRET_HEADERS.iter().any(|h| name.eq_ignore_ascii_case(h)) {
            return match value.split_once(' ') {
                Some((scheme, credential)) if name.eq_ignore_ascii_case("authorization") => {
                    format!("{scheme} {}", masked(credential.trim()))
                }
                _ => masked(value),
            };
        }
        self.literals(value)
    }

    /// A body as it may be shown: JSON and form bodies have their credential
    /// members masked; any body has literal secrets masked.
    pub fn body(&self, body: &str) -> String {
        if !self.enabled {
            return body.to_string();
        }
        if let Ok(mut json) = serde_json::from_str::<Value>(body) {
            mask_json(&mut json);
            return self.literals(&serde_json::to_string_pretty(&json).unwrap_or_default());
        }
        if looks_like_form(body) {
            return self.literals(&mask_form(body));
        }
        self.literals(body)
    }

    /// A URL as it may be shown (credential query parameters masked).
    pub fn url(&self, url: &str) -> String {
        if !self.enabled {
            return url.to_string();
        }
        match url.split_once('?') {
            Some((base, query)) => self.literals(&format!("{base}?{}", mask_form(query))),
            None => self.literals(url),
        }
    }

    /// A JSON value as it may be shown.
    pub fn json(&self, value: &Value) -> Value {
        let mut v = value.clone();
        if self.enabled {
            mask_json(&mut v);
        }
        v
    }

    /// Free text as it may be shown (an error message, a note, a spec's
    /// reason): literal secrets, credential parameters (`client_secret=…`)
    /// and JWTs are masked.
    pub fn text(&self, text: &str) -> String {
        if !self.enabled {
            return text.to_string();
        }
        let params = credential_params().replace_all(text, |c: &regex::Captures<'_>| {
            let name = c.get(1).map_or("", |m| m.as_str());
            let value = c.get(2).map_or("", |m| m.as_str());
            format!("{name}={}", masked(value))
        });
        let tokens = jwts().replace_all(&params, |c: &regex::Captures<'_>| {
            masked(c.get(0).map_or("", |m| m.as_str()))
        });
        self.literals(&tokens)
    }

    /// Whether secrets are masked (`--no-redact` turns it off).
    pub fn enabled(&self) -> bool {
        self.enabled
    }

    fn literals(&self, text: &str) -> String {
        let mut out = text.to_string();
        for secret in &self.literals {
            if out.contains(secret.as_str()) {
                out = out.replace(secret.as_str(), &masked(secret));
            }
        }
        out
    }
}

/// `name=value` for a credential name, in free text.
fn credential_params() -> &'static regex::Regex {
    static RE: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    RE.get_or_init(|| {
        let names = SECRET_FIELDS.join("|");
        regex::Regex::new(&format!(r#"\b({names}|code|code_verifier)=([^&\s"'<>]+)"#))
            .unwrap_or_else(|_| regex::Regex::new("$^").unwrap_or_else(|_| unreachable!()))
    })
}

/// A compact JWS/JWT (`eyJ….….…`).
fn jwts() -> &'static regex::Regex {
    static RE: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    RE.get_or_init(|| {
        regex::Regex::new(r"eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*")
            .unwrap_or_else(|_| unreachable!())
    })
}

fn mask_json(value: &mut Value) {
    match value {
        Value::Object(map) => {
            let is_jwk = map.contains_key("kty");
            for (k, v) in map.iter_mut() {
                let secret = SECRET_FIELDS.contains(&k.as_str())
                    || (is_jwk && PRIVATE_JWK_MEMBERS.contains(&k.as_str()));
                if secret && !v.is_null() {
                    let text = v.as_str().map_or_else(|| v.to_string(), str::to_string);
                    *v = Value::String(masked(&text));
                } else {
                    mask_json(v);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(mask_json),
        _ => {}
    }
}

fn looks_like_form(body: &str) -> bool {
    !body.is_empty() && !body.contains(char::is_whitespace) && body.contains('=')
}

fn mask_form(query: &str) -> String {
    query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((k, v)) if SECRET_FIELDS.contains(&k) => format!("{k}={}", masked(v)),
            _ => pair.to_string(),
        })
        .collect::<Vec<_>>()
        .join("&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_headers_bodies_and_literals() {
        let r = Redactor::new(["s3cr3t-value".to_string()]);
        assert_eq!(
            r.header("Authorization", "Basic abc"),
            format!("Basic {}", masked("abc"))
        );
        assert_eq!(
            r.header("accept", "x s3cr3t-value"),
            format!("x {}", masked("s3cr3t-value"))
        );
        let form = r.body("grant_type=refresh_token&refresh_token=abc&client_secret=x");
        assert_eq!(
            form,
            format!(
                "grant_type=refresh_token&refresh_token={}&client_secret={}",
                masked("abc"),
                masked("x")
            )
        );
        // The same token gets the same fingerprint wherever it appears.
        assert_eq!(
            r.text("error at /cb?code=abc"),
            format!("error at /cb?code={}", masked("abc"))
        );
        assert!(masked("abc").starts_with("[redacted:") && masked("abc").len() == 15);
        let json = r.body(r#"{"access_token":"tok-value","keys":[{"kty":"RSA","d":"priv-value","n":"pub-value"}]}"#);
        assert!(
            !json.contains("tok-value")
                && !json.contains("priv-value")
                && json.contains("pub-value"),
            "{json}"
        );
        assert_eq!(
            Redactor::disabled().header("authorization", "Basic abc"),
            "Basic abc"
        );
    }
}
