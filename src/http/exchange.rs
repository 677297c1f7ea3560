//! One captured request/response pair.

use serde::Serialize;

/// A request as it was sent.
#[derive(Debug, Clone, Serialize)]
pub struct RecordedRequest {
    /// HTTP method.
    pub method: String,
    /// Absolute URL.
    pub url: String,
    /// Headers as sent (lower-case names).
    pub headers: Vec<(String, String)>,
    /// Body as text, if any.
    pub body: Option<String>,
}

/// A response as it was received.
#[derive(Debug, Clone, Serialize)]
pub struct RecordedResponse {
    /// Status code.
    pub status: u16,
    /// Headers as received (lower-case names).
    pub headers: Vec<(String, String)>,
    /// Body as text (lossy UTF-8), possibly cut at the size limit.
    pub body: String,
}

impl RecordedResponse {
    /// The first value of a header, by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body parsed as JSON, or why it is not JSON.
    pub fn json(&self) -> Result<serde_json::Value, String> {
        serde_json::from_str(&self.body).map_err(|e| format!("response body is not JSON: {e}"))
    }
}

/// A request, what came back (or why nothing did), and how long it took.
#[derive(Debug, Clone, Serialize)]
pub struct Exchange {
    /// Stage shown in reports, e.g. "Authorization Code Flow (first attempt)".
    pub stage: String,
    /// When the request was sent (RFC 3339).
    pub started_at: String,
    /// Milliseconds from sending to the last body byte.
    pub elapsed_ms: f64,
    /// The request.
    pub request: RecordedRequest,
    /// The response, unless the exchange failed before one arrived.
    pub response: Option<RecordedResponse>,
    /// Transport failure (timeout, TLS, oversize body …), if any.
    pub error: Option<String>,
}

impl Exchange {
    /// The response, or why there is none.
    pub fn response(&self) -> Result<&RecordedResponse, NoResponse> {
        match (&self.response, &self.error) {
            (Some(r), None) => Ok(r),
            (_, Some(e)) => Err(NoResponse::Failed {
                method: self.request.method.clone(),
                url: self.request.url.clone(),
                error: e.clone(),
            }),
            (None, None) => Err(NoResponse::NotRecorded),
        }
    }
}

/// Why an exchange has no response.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NoResponse {
    /// The transport failed: a timeout, TLS, a body over the cap.
    #[error("{method} {url} failed: {error}")]
    Failed {
        /// The request's method.
        method: String,
        /// Its URL.
        url: String,
        /// What failed.
        error: String,
    },
    /// Nothing was recorded.
    #[error("no response was recorded")]
    NotRecorded,
}

/// Steps report a missing response as a reason, in words.
impl From<NoResponse> for String {
    fn from(e: NoResponse) -> String {
        e.to_string()
    }
}
