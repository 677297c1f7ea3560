//! Templates: suite strings with `{{ name }}` placeholders, parsed when the
//! suite loads.
//!
//! A placeholder names either a value the profile or an earlier step provides
//! in a typed namespace (`target.issuer`, `discovery.jwks_uri`,
//! `token.access_token`, `authorize.code`, `id_token.sub`) or a capture of an
//! earlier step (`consent_id`). Syntax errors fail deserialization, so the
//! YAML error names file, line and column; whether the name is available at
//! that point of the scenario is checked by [`super::plan`]. At run time a
//! template is filled from [`Values`] without parsing anything.

use serde::de::{Deserialize, Deserializer, Error as _};
use serde_json::Value;
use serde_saphyr::{Location, Spanned};
use std::borrow::Cow;
use std::fmt;

/// A value of the target profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetField {
    /// `target.issuer`
    Issuer,
    /// `target.client_id`
    ClientId,
    /// `target.api_base`
    ApiBase,
    /// `target.scope`: the scope of authorization requests.
    Scope,
    /// `target.resource_scope`: the scope of client-credentials grants.
    ResourceScope,
    /// `target.login_hint`: a CIBA login hint the ASPSP approves.
    LoginHint,
    /// `target.login_hint_denied`: one it denies.
    LoginHintDenied,
    /// `target.login_hint_expired`: one it lets expire.
    LoginHintExpired,
    /// `target.ob_base`: `{api_base}/open-banking/{ob_version}`.
    ObBase,
    /// `target.financial_id`: the `x-fapi-financial-id` a bank wants
    /// (empty by default: the header is then not sent).
    FinancialId,
}

/// A value the authorize step keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthorizeField {
    /// `authorize.code`
    Code,
    /// `authorize.state`
    State,
    /// `authorize.nonce`
    Nonce,
    /// `authorize.code_verifier`
    CodeVerifier,
    /// `authorize.id_token` (front channel)
    IdToken,
    /// `authorize.iss`
    Iss,
    /// `authorize.scope`
    Scope,
    /// `authorize.redirect_uri`
    RedirectUri,
    /// `authorize.client_id`
    ClientId,
    /// `authorize.request_uri` (PAR)
    RequestUri,
}

/// A value of the latest token response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenField {
    /// `token.access_token`
    AccessToken,
    /// `token.refresh_token`
    RefreshToken,
    /// `token.id_token`
    IdToken,
    /// `token.scope`
    Scope,
}

/// What a placeholder names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ref {
    /// A value of the target profile.
    Target(TargetField),
    /// A member of the provider metadata.
    Discovery(String),
    /// A value of the last authorization.
    Authorize(AuthorizeField),
    /// A value of the last token response.
    Token(TokenField),
    /// `id_token.sub` of the last validated ID token.
    IdTokenSub,
    /// A value an earlier step captured under this name.
    Capture(String),
}

const TARGET: &[(&str, TargetField)] = &[
    ("issuer", TargetField::Issuer),
    ("client_id", TargetField::ClientId),
    ("api_base", TargetField::ApiBase),
    ("scope", TargetField::Scope),
    ("resource_scope", TargetField::ResourceScope),
    ("login_hint", TargetField::LoginHint),
    ("login_hint_denied", TargetField::LoginHintDenied),
    ("login_hint_expired", TargetField::LoginHintExpired),
    ("ob_base", TargetField::ObBase),
    ("financial_id", TargetField::FinancialId),
];

const AUTHORIZE: &[(&str, AuthorizeField)] = &[
    ("code", AuthorizeField::Code),
    ("state", AuthorizeField::State),
    ("nonce", AuthorizeField::Nonce),
    ("code_verifier", AuthorizeField::CodeVerifier),
    ("id_token", AuthorizeField::IdToken),
    ("iss", AuthorizeField::Iss),
    ("scope", AuthorizeField::Scope),
    ("redirect_uri", AuthorizeField::RedirectUri),
    ("client_id", AuthorizeField::ClientId),
    ("request_uri", AuthorizeField::RequestUri),
];

const TOKEN: &[(&str, TokenField)] = &[
    ("access_token", TokenField::AccessToken),
    ("refresh_token", TokenField::RefreshToken),
    ("id_token", TokenField::IdToken),
    ("scope", TokenField::Scope),
];

fn field<T: Copy>(table: &[(&str, T)], ns: &str, name: &str) -> Result<T, String> {
    table
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, f)| *f)
        .ok_or_else(|| {
            let known: Vec<String> = table.iter().map(|(n, _)| format!("{ns}.{n}")).collect();
            format!(
                "unknown value `{ns}.{name}`; {ns} provides {}",
                known.join(", ")
            )
        })
}

fn is_name(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

impl Ref {
    /// Parses the text between `{{` and `}}`.
    pub fn parse(text: &str) -> Result<Ref, String> {
        let text = text.trim();
        let Some((ns, name)) = text.split_once('.') else {
            if is_name(text) {
                return Ok(Ref::Capture(text.to_string()));
            }
            return Err(format!(
                "`{{{{ {text} }}}}` is not a value name (letters, digits, `_` and `-`)"
            ));
        };
        match ns {
            "target" => field(TARGET, ns, name).map(Ref::Target),
            "authorize" => field(AUTHORIZE, ns, name).map(Ref::Authorize),
            "token" => field(TOKEN, ns, name).map(Ref::Token),
            "id_token" if name == "sub" => Ok(Ref::IdTokenSub),
            "id_token" => Err(format!(
                "unknown value `{text}`; id_token provides id_token.sub"
            )),
            "discovery" if is_name(name) => Ok(Ref::Discovery(name.to_string())),
            _ => Err(format!(
                "unknown value `{text}`: a name is a capture (`consent_id`) or one of \
                 target.*, discovery.*, authorize.*, token.*, id_token.sub"
            )),
        }
    }
}

impl fmt::Display for Ref {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fn name<T: PartialEq + Copy>(table: &[(&'static str, T)], v: T) -> &'static str {
            table.iter().find(|(_, f)| *f == v).map_or("?", |(n, _)| n)
        }
        match self {
            Ref::Target(t) => write!(f, "target.{}", name(TARGET, *t)),
            Ref::Discovery(m) => write!(f, "discovery.{m}"),
            Ref::Authorize(a) => write!(f, "authorize.{}", name(AUTHORIZE, *a)),
            Ref::Token(t) => write!(f, "token.{}", name(TOKEN, *t)),
            Ref::IdTokenSub => f.write_str("id_token.sub"),
            Ref::Capture(c) => f.write_str(c),
        }
    }
}

/// Where templates get their values at run time.
pub trait Values {
    /// The value named, if an earlier step provided it.
    fn value(&self, r: &Ref) -> Option<Cow<'_, str>>;
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Text(String),
    Value(Ref),
}

/// A parsed string with placeholders, and where it was written.
#[derive(Debug, Clone)]
pub struct Template {
    parts: Vec<Part>,
    at: Location,
}

impl Template {
    /// Parses `text`; `at` is where it was written.
    pub fn parse(text: &str, at: Location) -> Result<Template, String> {
        let mut parts = Vec::new();
        let mut rest = text;
        while let Some((before, inner)) = rest.split_once("{{") {
            if !before.is_empty() {
                parts.push(Part::Text(before.to_string()));
            }
            let (value, after) = inner
                .split_once("}}")
                .ok_or_else(|| format!("unclosed `{{{{` in `{text}`"))?;
            parts.push(Part::Value(Ref::parse(value)?));
            rest = after;
        }
        if !rest.is_empty() {
            parts.push(Part::Text(rest.to_string()));
        }
        Ok(Template { parts, at })
    }

    /// A template written by probity itself (a step's default), e.g.
    /// `{{ token.access_token }}`.
    pub fn of(r: Ref) -> Template {
        Template {
            parts: vec![Part::Value(r)],
            at: Location::UNKNOWN,
        }
    }

    /// Where it was written.
    pub fn at(&self) -> &Location {
        &self.at
    }

    /// The values it names.
    pub fn refs(&self) -> impl Iterator<Item = &Ref> {
        self.parts.iter().filter_map(|p| match p {
            Part::Value(r) => Some(r),
            Part::Text(_) => None,
        })
    }

    /// The text with every placeholder filled; an error names the value an
    /// earlier step did not provide.
    pub fn render(&self, values: &dyn Values) -> Result<String, Unset> {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Text(t) => out.push_str(t),
                Part::Value(r) => match values.value(r) {
                    Some(v) => out.push_str(&v),
                    None => return Err(Unset(r.clone())),
                },
            }
        }
        Ok(out)
    }

    /// The literal text before the first placeholder, if the template
    /// starts with text.
    pub fn leading_text(&self) -> Option<&str> {
        match self.parts.first() {
            Some(Part::Text(t)) => Some(t),
            _ => None,
        }
    }

    /// The text as written, without placeholders filled, when it has none.
    pub fn literal(&self) -> Option<&str> {
        match self.parts.as_slice() {
            [] => Some(""),
            [Part::Text(t)] => Some(t),
            _ => None,
        }
    }
}

/// A placeholder with no value when a template is filled: the step that
/// provides it did not succeed, or did not return it.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error(
    "`{{{{ {0} }}}}` is not set: the step that provides it did not succeed or did not return it"
)]
pub struct Unset(pub Ref);

/// Steps report an unset value as a reason, in words.
impl From<Unset> for String {
    fn from(e: Unset) -> String {
        e.to_string()
    }
}

impl<'de> Deserialize<'de> for Template {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = Spanned::<String>::deserialize(d)?;
        Template::parse(&text.value, text.referenced).map_err(D::Error::custom)
    }
}

/// A JSON value whose strings are templates (request bodies, claims).
#[derive(Debug, Clone)]
pub enum JsonTemplate {
    /// A value without strings (null, boolean, number).
    Plain(Value),
    /// A string template.
    Text(Template),
    /// An array.
    Array(Vec<JsonTemplate>),
    /// An object, in written order; keys are literal.
    Object(Vec<(String, JsonTemplate)>),
}

impl JsonTemplate {
    fn build(v: Value, at: Location) -> Result<JsonTemplate, String> {
        Ok(match v {
            Value::String(s) => JsonTemplate::Text(Template::parse(&s, at)?),
            Value::Array(items) => JsonTemplate::Array(
                items
                    .into_iter()
                    .map(|i| JsonTemplate::build(i, at))
                    .collect::<Result<_, _>>()?,
            ),
            Value::Object(m) => JsonTemplate::Object(
                m.into_iter()
                    .map(|(k, v)| Ok((k, JsonTemplate::build(v, at)?)))
                    .collect::<Result<_, String>>()?,
            ),
            other => JsonTemplate::Plain(other),
        })
    }

    /// Every string template in it.
    pub fn templates(&self) -> Vec<&Template> {
        let mut out = Vec::new();
        self.collect(&mut out);
        out
    }

    fn collect<'a>(&'a self, out: &mut Vec<&'a Template>) {
        match self {
            JsonTemplate::Plain(_) => {}
            JsonTemplate::Text(t) => out.push(t),
            JsonTemplate::Array(items) => items.iter().for_each(|i| i.collect(out)),
            JsonTemplate::Object(m) => m.iter().for_each(|(_, v)| v.collect(out)),
        }
    }

    /// The JSON with every placeholder filled.
    pub fn render(&self, values: &dyn Values) -> Result<Value, Unset> {
        Ok(match self {
            JsonTemplate::Plain(v) => v.clone(),
            JsonTemplate::Text(t) => Value::String(t.render(values)?),
            JsonTemplate::Array(items) => Value::Array(
                items
                    .iter()
                    .map(|i| i.render(values))
                    .collect::<Result<_, _>>()?,
            ),
            JsonTemplate::Object(m) => Value::Object(
                m.iter()
                    .map(|(k, v)| Ok((k.clone(), v.render(values)?)))
                    .collect::<Result<_, Unset>>()?,
            ),
        })
    }

    /// The JSON itself when it holds no placeholder.
    pub fn literal_value(&self) -> Option<Value> {
        Some(match self {
            JsonTemplate::Plain(v) => v.clone(),
            JsonTemplate::Text(t) => Value::String(t.literal()?.to_string()),
            JsonTemplate::Array(items) => Value::Array(
                items
                    .iter()
                    .map(JsonTemplate::literal_value)
                    .collect::<Option<_>>()?,
            ),
            JsonTemplate::Object(m) => Value::Object(
                m.iter()
                    .map(|(k, v)| Some((k.clone(), v.literal_value()?)))
                    .collect::<Option<_>>()?,
            ),
        })
    }

    /// The member names of the object under `key` (literal, whatever the
    /// values hold): the claims a `claims` parameter asks for in `id_token`.
    pub fn member_names(&self, key: &str) -> Vec<&str> {
        let JsonTemplate::Object(m) = self else {
            return vec![];
        };
        match m.iter().find(|(k, _)| k == key) {
            Some((_, JsonTemplate::Object(inner))) => {
                inner.iter().map(|(k, _)| k.as_str()).collect()
            }
            _ => vec![],
        }
    }

    /// Whether it is a JSON object.
    pub fn is_object(&self) -> bool {
        matches!(self, JsonTemplate::Object(_))
    }
}

impl<'de> Deserialize<'de> for JsonTemplate {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = Spanned::<Value>::deserialize(d)?;
        JsonTemplate::build(v.value, v.referenced).map_err(D::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    struct Map(HashMap<String, String>);

    impl Values for Map {
        fn value(&self, r: &Ref) -> Option<Cow<'_, str>> {
            self.0
                .get(&r.to_string())
                .map(|s| Cow::Borrowed(s.as_str()))
        }
    }

    #[test]
    fn parses_and_renders() {
        let t = Template::parse("x{{ a }}y{{token.access_token}}", Location::UNKNOWN).unwrap();
        let refs: Vec<String> = t.refs().map(Ref::to_string).collect();
        assert_eq!(refs, ["a", "token.access_token"]);
        let values = Map(HashMap::from([
            ("a".to_string(), "1".to_string()),
            ("token.access_token".to_string(), "T".to_string()),
        ]));
        assert_eq!(t.render(&values).unwrap(), "x1yT");
        let missing = Template::parse("{{ b }}", Location::UNKNOWN).unwrap();
        let err = missing.render(&values).unwrap_err();
        assert!(err.to_string().contains("`{{ b }}` is not set"), "{err}");
    }

    #[test]
    fn refuses_bad_syntax_and_unknown_namespaces() {
        for (text, message) in [
            ("{{ a", "unclosed `{{`"),
            (
                "{{ token.acces_token }}",
                "token provides token.access_token",
            ),
            ("{{ nope.x }}", "unknown value `nope.x`"),
            ("{{ }}", "is not a value name"),
            ("{{ a b }}", "is not a value name"),
            ("{{ target.secret }}", "target provides"),
        ] {
            let err = Template::parse(text, Location::UNKNOWN).unwrap_err();
            assert!(err.contains(message), "{text}: {err}");
        }
    }
}
