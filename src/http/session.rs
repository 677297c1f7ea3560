//! A scenario's HTTP session: cookie jar and captured exchanges.

use super::{Exchange, HttpClient, RecordedRequest, RecordedResponse};
use std::sync::Arc;
use std::time::Instant;

/// A request a step wants to send.
#[derive(Debug, Clone)]
pub struct OutgoingRequest {
    /// HTTP method, e.g. `GET`.
    pub method: reqwest::Method,
    /// Absolute URL.
    pub url: String,
    /// Extra headers.
    pub headers: Vec<(String, String)>,
    /// Body, if any.
    pub body: Option<RequestBody>,
}

/// A request body.
#[derive(Debug, Clone)]
pub enum RequestBody {
    /// `application/x-www-form-urlencoded` fields.
    Form(Vec<(String, String)>),
    /// A JSON document.
    Json(serde_json::Value),
    /// Raw text with its content type.
    Text { content_type: String, text: String },
}

impl OutgoingRequest {
    /// A GET request.
    pub fn get(url: impl Into<String>) -> Self {
        OutgoingRequest {
            method: reqwest::Method::GET,
            url: url.into(),
            headers: vec![],
            body: None,
        }
    }

    /// Adds a header.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }
}

/// Which side of the client a request comes from. A relying party's back
/// channel never shares the user's browser cookies: a cookie set on a
/// token response (load balancers set them) must not replace the browser's
/// session at the authorization server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Channel {
    /// The PSU's browser, as the consent drivers and `request` steps act.
    UserAgent,
    /// The client's own requests: discovery, PAR, token, UserInfo, APIs.
    BackChannel,
}

/// One scenario's conversation with the target.
pub struct Session {
    client: Arc<HttpClient>,
    /// The browser's cookie jar.
    cookies: cookie_store::CookieStore,
    /// The back channel's own jar (a load balancer's stickiness cookie).
    back_cookies: cookie_store::CookieStore,
    exchanges: Vec<Exchange>,
    learned: super::redact::Learned,
}

impl Session {
    /// A new session with an empty cookie jar.
    pub fn new(client: Arc<HttpClient>) -> Self {
        Session {
            client,
            cookies: cookie_store::CookieStore::default(),
            back_cookies: cookie_store::CookieStore::default(),
            exchanges: Vec::new(),
            learned: Default::default(),
        }
    }

    /// Takes the exchanges captured since the last call, in order.
    pub fn take_exchanges(&mut self) -> Vec<Exchange> {
        std::mem::take(&mut self.exchanges)
    }

    /// How many exchanges were captured since the last
    /// [`take_exchanges`](Self::take_exchanges): the number of the latest.
    pub fn exchange_count(&self) -> usize {
        self.exchanges.len()
    }

    /// Remembers secrets met on the way (a page's password fields), so the
    /// reports mask them although the profile did not name them.
    pub fn learn(&mut self, learned: &super::redact::Learned) {
        self.learned.extend(learned);
    }

    /// Takes the secrets learned since the last call.
    pub fn take_learned(&mut self) -> super::redact::Learned {
        std::mem::take(&mut self.learned)
    }

    /// Sends a request, captures it, and returns the exchange. Never fails:
    /// transport problems are recorded in [`Exchange::error`]. A request
    /// carrying a credential to a cleartext URL is not sent at all
    /// ([`cleartext`](super::cleartext)): its exchange has that refusal as
    /// the error and no response.
    /// The request is the client's own (back channel), with the back
    /// channel's cookies.
    pub async fn send(&mut self, stage: &str, req: OutgoingRequest) -> &Exchange {
        self.send_as(stage, req, true, Channel::BackChannel).await
    }

    /// Sends a request as [`send`](Self::send) does, from the PSU's
    /// browser: with the browser's cookies, keeping what it is sent.
    pub async fn send_from_browser(&mut self, stage: &str, req: OutgoingRequest) -> &Exchange {
        self.send_as(stage, req, true, Channel::UserAgent).await
    }

    /// Sends a request as [`send`](Self::send) does, but without the TLS
    /// client certificate: a server must refuse what needs it.
    pub async fn send_without_certificate(
        &mut self,
        stage: &str,
        req: OutgoingRequest,
    ) -> &Exchange {
        self.send_as(stage, req, false, Channel::BackChannel).await
    }

    // A `Vec` cannot hand back a reference to what it was just given; the
    // exchange is pushed on the line before `last`, which is therefore it.
    #[allow(clippy::expect_used)]
    async fn send_as(
        &mut self,
        stage: &str,
        req: OutgoingRequest,
        certificate: bool,
        channel: Channel,
    ) -> &Exchange {
        let started_at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        let start = Instant::now();
        let (recorded, result) = self.perform(req, certificate, channel).await;
        let (response, error) = match result {
            Ok(r) => (Some(r.0), r.1),
            Err(e) => (None, Some(e)),
        };
        self.exchanges.push(Exchange {
            stage: stage.to_string(),
            started_at,
            elapsed_ms: start.elapsed().as_secs_f64() * 1000.0,
            request: recorded,
            response,
            error,
        });
        self.exchanges.last().expect("just pushed")
    }

    async fn perform(
        &mut self,
        req: OutgoingRequest,
        certificate: bool,
        channel: Channel,
    ) -> (
        RecordedRequest,
        Result<(RecordedResponse, Option<String>), String>,
    ) {
        let mut recorded = RecordedRequest {
            method: req.method.to_string(),
            url: req.url.clone(),
            headers: req
                .headers
                .iter()
                .map(|(n, v)| (n.to_ascii_lowercase(), v.clone()))
                .collect(),
            body: None,
        };
        let url = match url::Url::parse(&req.url) {
            Ok(u) => u,
            Err(e) => return (recorded, Err(format!("invalid URL `{}`: {e}", req.url))),
        };
        let cookie = self.cookie_header(&url, channel);
        let refused = super::cleartext::refusal(
            &req,
            &url,
            cookie.as_deref(),
            self.client.settings.insecure_http,
        );
        let client = match (&self.client.without_certificate, certificate) {
            (Some(bare), false) => bare,
            _ => &self.client.inner,
        };
        let mut builder = client.request(req.method, url.clone());
        for (n, v) in &req.headers {
            builder = builder.header(n, v);
        }
        if let Some(cookie) = cookie {
            recorded.headers.push(("cookie".into(), cookie.clone()));
            builder = builder.header("cookie", cookie);
        }
        let (builder, body) = attach_body(builder, req.body, &mut recorded.headers);
        recorded.body = body;
        // Recorded as it would have gone, so the report shows what was
        // withheld; the transport error says it never left.
        if let Some(why) = refused {
            return (recorded, Err(why));
        }
        let response = match builder.send().await {
            Ok(r) => r,
            Err(e) => return (recorded, Err(describe_error(&e))),
        };
        self.store_cookies(&response, &url, channel);
        (
            recorded,
            Ok(read_response(response, self.client.settings.max_body_bytes).await),
        )
    }

    fn jar(&mut self, channel: Channel) -> &mut cookie_store::CookieStore {
        match channel {
            Channel::UserAgent => &mut self.cookies,
            Channel::BackChannel => &mut self.back_cookies,
        }
    }

    fn cookie_header(&mut self, url: &url::Url, channel: Channel) -> Option<String> {
        let pairs: Vec<String> = self
            .jar(channel)
            .get_request_values(url)
            .map(|(n, v)| format!("{n}={v}"))
            .collect();
        (!pairs.is_empty()).then(|| pairs.join("; "))
    }

    fn store_cookies(&mut self, response: &reqwest::Response, url: &url::Url, channel: Channel) {
        let cookies = response
            .headers()
            .get_all(reqwest::header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .filter_map(|s| cookie::Cookie::parse(s.to_string()).ok());
        self.jar(channel).store_response_cookies(cookies, url);
    }
}

fn attach_body(
    builder: reqwest::RequestBuilder,
    body: Option<RequestBody>,
    headers: &mut Vec<(String, String)>,
) -> (reqwest::RequestBuilder, Option<String>) {
    let (content_type, text) = match body {
        None => return (builder, None),
        Some(RequestBody::Form(fields)) => (
            "application/x-www-form-urlencoded".to_string(),
            url::form_urlencoded::Serializer::new(String::new())
                .extend_pairs(fields)
                .finish(),
        ),
        Some(RequestBody::Json(v)) => ("application/json".to_string(), v.to_string()),
        Some(RequestBody::Text { content_type, text }) => (content_type, text),
    };
    if !headers.iter().any(|(n, _)| n == "content-type") {
        headers.push(("content-type".into(), content_type.clone()));
    }
    let builder = builder
        .header("content-type", content_type)
        .body(text.clone());
    (builder, Some(text))
}

/// Reads the body up to `limit` bytes; a larger body is cut and reported.
async fn read_response(
    mut response: reqwest::Response,
    limit: usize,
) -> (RecordedResponse, Option<String>) {
    let status = response.status().as_u16();
    let headers = response
        .headers()
        .iter()
        .map(|(n, v)| {
            (
                n.as_str().to_string(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    let mut body = Vec::new();
    let mut error = None;
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                if body.len() + chunk.len() > limit {
                    let room = limit.saturating_sub(body.len());
                    body.extend(chunk.iter().take(room));
                    error = Some(format!("response body exceeds the limit of {limit} bytes"));
                    break;
                }
                body.extend_from_slice(&chunk);
            }
            Ok(None) => break,
            Err(e) => {
                error = Some(format!(
                    "reading the response body failed: {}",
                    describe_error(&e)
                ));
                break;
            }
        }
    }
    let body = String::from_utf8_lossy(&body).into_owned();
    (
        RecordedResponse {
            status,
            headers,
            body,
        },
        error,
    )
}

/// A one-line cause chain: reqwest's top-level message alone hides the
/// useful part (e.g. the TLS alert).
fn describe_error(e: &reqwest::Error) -> String {
    let mut text = if e.is_timeout() {
        "timed out".to_string()
    } else {
        e.to_string()
    };
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        let s_text = s.to_string();
        if !text.contains(&s_text) {
            text.push_str(": ");
            text.push_str(&s_text);
        }
        source = s.source();
    }
    text
}
