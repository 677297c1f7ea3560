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

/// Form and query parameters that carry a grant: an authorization code and
/// its PKCE verifier. Only in forms and URLs: a JSON member named `code` is
/// often an error code, and masking it would hide the diagnosis.
const GRANT_PARAMS: &[&str] = &["code", "code_verifier"];

/// Members of a JWK that hold private key material (RFC 7518 §6).
const PRIVATE_JWK_MEMBERS: &[&str] = &["d", "p", "q", "dp", "dq", "qi", "k", "oth"];

/// Masks credentials in headers, bodies and URLs.
#[derive(Debug, Clone, Default)]
pub struct Redactor {
    enabled: bool,
    literals: Vec<String>,
    /// Field and member names that are secrets besides [`SECRET_FIELDS`]:
    /// the profile's `secret_fields` and the fields a page marked
    /// `type="password"`.
    fields: Vec<String>,
    /// `name=value` for one of `fields`, in free text.
    field_params: Option<regex::Regex>,
}

/// Secrets a scenario met while it ran rather than read from the profile:
/// the names and values of the form fields a page marked `type="password"`.
/// Never serialized: it holds the values themselves.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Learned {
    /// Field names whose values are secrets.
    pub fields: Vec<String>,
    /// Values to mask wherever they appear.
    pub values: Vec<String>,
}

impl Learned {
    /// Adds what `other` learned.
    pub fn extend(&mut self, other: &Learned) {
        for f in &other.fields {
            if !self.fields.contains(f) {
                self.fields.push(f.clone());
            }
        }
        for v in &other.values {
            if !self.values.contains(v) {
                self.values.push(v.clone());
            }
        }
    }
}

impl Redactor {
    /// A redactor that masks the built-in credential fields and every
    /// occurrence of the given literal secrets (e.g. the client secret).
    pub fn new(literals: impl IntoIterator<Item = String>) -> Self {
        Redactor {
            enabled: true,
            ..Default::default()
        }
        .with_literals(literals)
    }

    /// A redactor that shows everything (`--no-redact`).
    pub fn disabled() -> Self {
        Redactor::default()
    }

    /// This redactor, also masking every occurrence of these values. A value
    /// under 4 characters is masked only by its field's name: masking every
    /// `42` in a report would hide more than it protects.
    pub fn with_literals(mut self, literals: impl IntoIterator<Item = String>) -> Self {
        for s in literals.into_iter().filter(|s| s.len() >= 4) {
            if !self.literals.contains(&s) {
                self.literals.push(s);
            }
        }
        // Longest first so a secret containing another is masked whole.
        self.literals.sort_by_key(|s| std::cmp::Reverse(s.len()));
        self
    }

    /// This redactor, also masking the values of form fields and JSON
    /// members with these names (and `name=value` in free text).
    pub fn with_fields(mut self, names: impl IntoIterator<Item = String>) -> Self {
        for n in names.into_iter().filter(|n| !n.is_empty()) {
            if !self.fields.contains(&n) && !SECRET_FIELDS.contains(&n.as_str()) {
                self.fields.push(n);
            }
        }
        self.field_params = field_params(&self.fields);
        self
    }

    /// This redactor, also masking what a scenario learned while it ran.
    pub fn learning(&self, learned: &Learned) -> Self {
        if !self.enabled {
            return self.clone();
        }
        self.clone()
            .with_fields(learned.fields.iter().cloned())
            .with_literals(learned.values.iter().cloned())
    }

    /// Whether a form field or JSON member of this name holds a secret.
    fn secret_field(&self, name: &str) -> bool {
        SECRET_FIELDS.contains(&name) || self.fields.iter().any(|f| f == name)
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
        // A redirect carries the authorization response in its URL.
        if name.eq_ignore_ascii_case("location") {
            return self.url(value);
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
            self.mask_json(&mut json);
            return self.literals(&serde_json::to_string_pretty(&json).unwrap_or_default());
        }
        if looks_like_form(body) {
            return self.literals(&self.mask_form(body));
        }
        self.literals(body)
    }

    /// A URL as it may be shown (credential query parameters masked).
    pub fn url(&self, url: &str) -> String {
        if !self.enabled {
            return url.to_string();
        }
        match url.split_once('?') {
            Some((base, query)) => self.literals(&format!("{base}?{}", self.mask_form(query))),
            None => self.literals(url),
        }
    }

    /// A JSON value as it may be shown.
    pub fn json(&self, value: &Value) -> Value {
        let mut v = value.clone();
        if self.enabled {
            self.mask_json(&mut v);
        }
        v
    }

    /// The value of the form field `name` as it may be shown: masked when
    /// the name is a secret's or `secret` says so (the page marked it).
    pub fn field(&self, name: &str, value: &str, secret: bool) -> String {
        if !self.enabled {
            value.to_string()
        } else if secret || self.secret_field(name) {
            masked(value)
        } else {
            self.literals(value)
        }
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
        let params = match &self.field_params {
            Some(re) => re
                .replace_all(&params, |c: &regex::Captures<'_>| {
                    let (lead, name) = (&c[1], &c[2]);
                    format!("{lead}{name}={}", masked(&c[3]))
                })
                .into_owned(),
            None => params.into_owned(),
        };
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
        let names = [SECRET_FIELDS, GRANT_PARAMS].concat().join("|");
        regex::Regex::new(&format!(r#"\b({names})=([^&\s"'<>]+)"#))
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

/// `name=value` for one of `names` in free text, or `None` for no names.
/// Names are data (`Input.Password`), so they are escaped; the lead group
/// stands in for `\b`, which a name starting with punctuation would defeat.
fn field_params(names: &[String]) -> Option<regex::Regex> {
    if names.is_empty() {
        return None;
    }
    let alternatives: Vec<String> = names.iter().map(|n| regex::escape(n)).collect();
    regex::Regex::new(&format!(
        r#"(^|[^A-Za-z0-9_.\-])({})=([^&\s"'<>]+)"#,
        alternatives.join("|")
    ))
    .ok()
}

impl Redactor {
    fn mask_json(&self, value: &mut Value) {
        match value {
            Value::Object(map) => {
                let is_jwk = map.contains_key("kty");
                for (k, v) in map.iter_mut() {
                    let secret = self.secret_field(k)
                        || (is_jwk && PRIVATE_JWK_MEMBERS.contains(&k.as_str()));
                    if secret && !v.is_null() {
                        let text = v.as_str().map_or_else(|| v.to_string(), str::to_string);
                        *v = Value::String(masked(&text));
                    } else {
                        self.mask_json(v);
                    }
                }
            }
            Value::Array(items) => items.iter_mut().for_each(|v| self.mask_json(v)),
            _ => {}
        }
    }

    /// Masks secret fields of a form body or query. A field name is
    /// compared decoded (`Input.Password` may be sent as `Input%2EPassword`);
    /// the value's fingerprint is that of the decoded value, as the literal
    /// masking elsewhere sees it.
    fn mask_form(&self, query: &str) -> String {
        query
            .split('&')
            .map(|pair| match pair.split_once('=') {
                Some((k, v))
                    if self.secret_field(&decoded(k))
                        || GRANT_PARAMS.contains(&decoded(k).as_str()) =>
                {
                    format!("{k}={}", masked(&decoded(v)))
                }
                _ => pair.to_string(),
            })
            .collect::<Vec<_>>()
            .join("&")
    }
}

/// A form-urlencoded component, decoded (`+` is a space).
fn decoded(s: &str) -> String {
    url::form_urlencoded::parse(format!("x={s}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_else(|| s.to_string())
}

fn looks_like_form(body: &str) -> bool {
    !body.is_empty() && !body.contains(char::is_whitespace) && body.contains('=')
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
        // An authorization code and its verifier, in a redirect and a form.
        assert_eq!(
            r.header("Location", "https://c.example/cb?code=abc&state=st"),
            format!("https://c.example/cb?code={}&state=st", masked("abc"))
        );
        assert_eq!(
            r.body("grant_type=authorization_code&code=abc&code_verifier=v3rifier"),
            format!(
                "grant_type=authorization_code&code={}&code_verifier={}",
                masked("abc"),
                masked("v3rifier")
            )
        );
        // A JSON `code` is an error code, not a grant.
        assert!(r
            .body(r#"{"code":"UK.OBIE.Field.Invalid"}"#)
            .contains("UK.OBIE"));
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

    #[test]
    fn extra_field_names_are_masked_in_json_forms_and_text() {
        let r = Redactor::new(vec![]).with_fields(["otp".to_string(), "Input.Pin".to_string()]);
        let json = r.body(r#"{"otp":"123456","nested":{"otp":7},"other":"shown"}"#);
        assert!(!json.contains("123456") && json.contains("shown"), "{json}");
        assert_eq!(
            r.body("a=1&Input.Pin=98%2B76&otp=55"),
            format!("a=1&Input.Pin={}&otp={}", masked("98+76"), masked("55"))
        );
        assert_eq!(
            r.text("sent otp=123456 and Input.Pin=4321"),
            format!(
                "sent otp={} and Input.Pin={}",
                masked("123456"),
                masked("4321")
            )
        );
        // A name is data, not a pattern: `Input.Pin` does not match `InputXPin`.
        assert_eq!(r.text("InputXPin=4321"), "InputXPin=4321");
        // Without the names, the same text is shown.
        assert_eq!(Redactor::new(vec![]).body("otp=55"), "otp=55");
    }

    #[test]
    fn what_a_scenario_learned_is_masked_by_name_and_everywhere_by_value() {
        let learned = Learned {
            fields: vec!["word".into()],
            values: vec!["Tr0ub4dor&3".into()],
        };
        let r = Redactor::new(vec![]).learning(&learned);
        assert_eq!(
            r.body("user=alice&word=Tr0ub4dor%263"),
            format!("user=alice&word={}", masked("Tr0ub4dor&3"))
        );
        assert_eq!(
            r.text("<p>your password is Tr0ub4dor&3</p>"),
            format!("<p>your password is {}</p>", masked("Tr0ub4dor&3"))
        );
        assert_eq!(r.field("word", "x", false), masked("x"));
        assert_eq!(r.field("answer", "y", true), masked("y"));
        assert_eq!(r.field("user", "alice", false), "alice");
        let open = Redactor::disabled().learning(&learned);
        assert_eq!(open.text("Tr0ub4dor&3"), "Tr0ub4dor&3");
        assert_eq!(open.field("word", "Tr0ub4dor&3", true), "Tr0ub4dor&3");
    }
}
