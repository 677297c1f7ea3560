//! What a suite writes that is parsed when it loads, besides templates:
//! HTTP methods, JSONPaths and capture sources.

use serde::de::{Deserializer, Error as _};
use serde::Deserialize;

/// An HTTP method, checked when the suite loads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpMethod(pub reqwest::Method);

impl HttpMethod {
    /// GET, the default of a request.
    pub fn get() -> Self {
        HttpMethod(reqwest::Method::GET)
    }
}

impl<'de> Deserialize<'de> for HttpMethod {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        let upper = text.to_ascii_uppercase();
        let ok = !upper.is_empty() && upper.bytes().all(|b| b.is_ascii_uppercase());
        match reqwest::Method::from_bytes(upper.as_bytes()) {
            Ok(m) if ok => Ok(HttpMethod(m)),
            _ => Err(D::Error::custom(format!("invalid HTTP method `{text}`"))),
        }
    }
}

/// A JSONPath, parsed when the suite loads; keeps its text for reports.
#[derive(Debug, Clone)]
pub struct JsonPathExpr {
    /// As written.
    pub text: String,
    /// Parsed.
    pub path: serde_json_path::JsonPath,
}

impl JsonPathExpr {
    /// Parses `text`.
    pub fn parse(text: &str) -> Result<Self, String> {
        serde_json_path::JsonPath::parse(text)
            .map(|path| JsonPathExpr {
                text: text.to_string(),
                path,
            })
            .map_err(|e| format!("invalid JSONPath `{text}`: {e}"))
    }
}

impl PartialEq for JsonPathExpr {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text
    }
}
impl Eq for JsonPathExpr {}
impl PartialOrd for JsonPathExpr {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for JsonPathExpr {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.text.cmp(&other.text)
    }
}

impl<'de> Deserialize<'de> for JsonPathExpr {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        JsonPathExpr::parse(&text).map_err(D::Error::custom)
    }
}

/// A parsed capture source.
#[derive(Debug, Clone)]
pub enum CaptureSource {
    /// JSONPath into the response body (`$.a.b`).
    JsonPath(serde_json_path::JsonPath),
    /// A response header (`header:location`).
    Header(String),
    /// A parameter of the `Location` URL, query or fragment (`redirect:code`).
    RedirectParam(String),
}

/// A capture source as written and parsed (`$.Data.ConsentId`).
#[derive(Debug, Clone)]
pub struct Capture {
    /// As written, for reports.
    pub text: String,
    /// Where the value comes from.
    pub source: CaptureSource,
}

impl<'de> Deserialize<'de> for Capture {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        CaptureSource::parse(&text)
            .map(|source| Capture { text, source })
            .map_err(D::Error::custom)
    }
}

impl CaptureSource {
    /// Parses `$.path`, `header:NAME` or `redirect:PARAM`.
    pub fn parse(text: &str) -> Result<Self, String> {
        if let Some(h) = text.strip_prefix("header:") {
            return Ok(CaptureSource::Header(h.trim().to_ascii_lowercase()));
        }
        if let Some(p) = text.strip_prefix("redirect:") {
            return Ok(CaptureSource::RedirectParam(p.trim().to_string()));
        }
        if text.starts_with('$') {
            return serde_json_path::JsonPath::parse(text)
                .map(CaptureSource::JsonPath)
                .map_err(|e| format!("invalid JSONPath `{text}`: {e}"));
        }
        Err(format!(
            "invalid capture source `{text}`: expected a JSONPath (`$.field`), `header:NAME` or `redirect:PARAM`"
        ))
    }
}
