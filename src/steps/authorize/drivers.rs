//! Consent drivers: how the authorization request gets an answer from the
//! ASPSP without a person clicking.
//!
//! - `redirect`: one GET; the answer is in the 302 `Location` (Ozone headless).
//! - `form`: follow redirects with the scenario's cookie jar, recognise the
//!   login and consent pages from the target profile, fill and submit them.
//! - `manual`: a person authorizes in a browser; see [`super::manual`].
//! - `browser`: headless Chromium with page scripts; see [`super::browser`].

use crate::http::redact::Learned;
use crate::http::{OutgoingRequest, RecordedResponse, RequestBody};
use crate::steps::{shown, Artifact, FormField, StepContext};
use crate::target::{ConsentDriver, FormPage};
use scraper::{Html, Selector};

/// What a driver reached.
#[derive(Default)]
pub(super) struct Reached {
    /// The callback URL (redirect URI with the response), if reached.
    pub callback: Option<url::Url>,
    /// Whether a consent page was shown.
    pub consent_prompted: bool,
    /// Pages seen, for the report.
    pub pages: Vec<Artifact>,
    /// Why the callback was not reached.
    pub failure: Option<String>,
    /// Why the driver could not even run (no browser installed): the
    /// target is not judged.
    pub not_run: Option<String>,
    /// The pages were shown to a person, not seen by probity (manual driver).
    pub prompt_unknown: bool,
    /// The response came as a page whose form posts it (`form_post`).
    pub posted: bool,
    /// The ASPSP stopped at a page of its own that is neither a redirect
    /// nor a login or consent page: status, URL and title, for a person to
    /// confirm that it shows the error.
    pub error_page: Option<String>,
}

/// Whether `url` is the redirect URI (with any response parameters).
pub(super) fn is_callback(url: &url::Url, redirect_uri: &str) -> bool {
    let mut bare = url.clone();
    bare.set_query(None);
    bare.set_fragment(None);
    bare.as_str().trim_end_matches('/')
        == redirect_uri
            .split(['?', '#'])
            .next()
            .unwrap_or("")
            .trim_end_matches('/')
}

fn location(r: &RecordedResponse, base: &url::Url) -> Result<url::Url, String> {
    let loc = r
        .header("location")
        .ok_or_else(|| format!("a {} redirect without `Location`", r.status))?;
    base.join(loc)
        .map_err(|e| format!("`Location` {loc:?} is not a URL: {e}"))
}

/// Why probity will not go to `url` on the ASPSP's say-so: only http and
/// https are followed. A `file:` or `javascript:` URL in a `Location` or a
/// form `action` is the target trying to make the client read local files
/// or run script; reqwest would refuse it too, but with a builder error
/// that does not say who asked for it.
fn refused_scheme(url: &str) -> Option<String> {
    let scheme = match url::Url::parse(url) {
        Ok(u) => u.scheme().to_string(),
        Err(e) => {
            return Some(format!(
                "the ASPSP sent the client to {url:?}, not a URL: {e}"
            ))
        }
    };
    (scheme != "http" && scheme != "https").then(|| {
        format!(
            "refused to follow the ASPSP to a `{scheme}:` URL ({}): only http and https are followed",
            shown(url)
        )
    })
}

/// Drives the authorization request at `url` to the callback; `pages` are
/// the step's browser page scripts, when it overrides the profile's.
pub(super) async fn drive(
    driver: ConsentDriver,
    url: url::Url,
    (redirect_uri, pages, psu, post): (
        &str,
        Option<&[crate::target::PageScript]>,
        crate::target::PsuDecision,
        bool,
    ),
    stage: &str,
    ctx: &mut StepContext<'_>,
) -> Reached {
    let target = ctx.target;
    if post && matches!(driver, ConsentDriver::Browser | ConsentDriver::Manual) {
        return Reached {
            not_run: Some(
                "`post: true` needs the redirect or form driver: a browser or a person opens a URL"
                    .into(),
            ),
            ..Reached::default()
        };
    }
    let first = first_request(&url, post);
    match driver {
        ConsentDriver::Browser => {
            let pages = pages.unwrap_or(&target.consent.pages);
            let pages = crate::target::scripts_for(pages, psu);
            super::browser::drive(url, redirect_uri, &pages, ctx).await
        }
        ConsentDriver::Redirect => redirect(first, url, redirect_uri, stage, ctx).await,
        ConsentDriver::Form => form(first, url, redirect_uri, stage, ctx).await,
        ConsentDriver::Manual => {
            super::manual::drive(url, redirect_uri, &ctx.target.consent.manual).await
        }
    }
}

/// The authorization request as a GET of `url`, or as a POST of its query
/// as a form to the endpoint.
fn first_request(url: &url::Url, post: bool) -> OutgoingRequest {
    if !post {
        return OutgoingRequest::get(url.as_str());
    }
    let form = url.query_pairs().into_owned().collect();
    let mut endpoint = url.clone();
    endpoint.set_query(None);
    OutgoingRequest {
        method: reqwest::Method::POST,
        url: endpoint.to_string(),
        headers: vec![],
        body: Some(RequestBody::Form(form)),
    }
}

async fn redirect(
    first: OutgoingRequest,
    url: url::Url,
    redirect_uri: &str,
    stage: &str,
    ctx: &mut StepContext<'_>,
) -> Reached {
    let mut reached = Reached::default();
    let exchange = ctx.session.send_from_browser(stage, first).await;
    let mut posted = false;
    let mut page = None;
    let result = exchange.response().map_err(String::from).and_then(|r| {
        if let Some(cb) = super::response_mode::posted_callback(&r.body, &url, redirect_uri)
            .filter(|_| r.status == 200)
        {
            posted = true;
            return Ok(cb);
        }
        if !(300..400).contains(&r.status) {
            page = Some(page_seen(r.status, &url, &r.body));
            return Err(format!("expected a redirect to {redirect_uri}, got status {}", r.status));
        }
        let to = location(r, &url)?;
        if is_callback(&to, redirect_uri) {
            Ok(to)
        } else if let Some(why) = refused_scheme(to.as_str()) {
            Err(format!("{why}; the redirect URI is {redirect_uri}"))
        } else if let Some(param) = ["code", "error"]
            .into_iter()
            .find(|p| crate::steps::request::redirect_param(&to, p).is_some())
        {
            // Not a page asking for interaction: the answer went elsewhere.
            Err(format!(
                "the ASPSP sent an authorization response (`{param}`) to {}, not to the redirect URI {redirect_uri}",
                shown(to.as_str())
            ))
        } else {
            Err(format!("the ASPSP redirected to {} instead of the redirect URI: it asks for interaction (use the form driver)", shown(to.as_str())))
        }
    });
    reached.posted = posted;
    reached.error_page = page;
    match result {
        Ok(cb) => reached.callback = Some(cb),
        Err(e) => reached.failure = Some(e),
    }
    reached
}

/// The kind of page the form driver recognised.
#[derive(Clone, Copy, PartialEq)]
enum PageKind {
    Login,
    Consent,
}

async fn form(
    first: OutgoingRequest,
    start: url::Url,
    redirect_uri: &str,
    stage: &str,
    ctx: &mut StepContext<'_>,
) -> Reached {
    let mut reached = Reached::default();
    let settings = ctx.target.consent.clone();
    let mut request = first;
    let mut current = start;
    for _ in 0..settings.max_redirects + 4 {
        if let Some(why) = refused_scheme(&request.url) {
            return failed(reached, why);
        }
        let exchange = ctx.session.send_from_browser(stage, request).await;
        let r = match exchange.response() {
            Ok(r) => r.clone(),
            Err(e) => return failed(reached, e.into()),
        };
        if (300..400).contains(&r.status) {
            let to = match location(&r, &current) {
                Ok(u) => u,
                Err(e) => return failed(reached, e),
            };
            if is_callback(&to, redirect_uri) {
                reached.callback = Some(to);
                return reached;
            }
            request = OutgoingRequest::get(to.as_str());
            current = to;
            continue;
        }
        if let Some(cb) = super::response_mode::posted_callback(&r.body, &current, redirect_uri)
            .filter(|_| r.status == 200)
        {
            reached.posted = true;
            reached.callback = Some(cb);
            return reached;
        }
        let Some((kind, page)) = recognise(
            &current,
            &r.body,
            settings.login.as_ref(),
            settings.consent.as_ref(),
        ) else {
            let why = format!("status {} at {current}: neither the login nor the consent page of the target profile ({})", r.status, shown(&title(&r.body)));
            reached.error_page = Some(page_seen(r.status, &current, &r.body));
            return failed(reached, why);
        };
        reached.consent_prompted |= kind == PageKind::Consent;
        match submit(&current, &r.body, &page) {
            Ok((next, mut seen)) => {
                learn(&mut seen, ctx);
                seen.exchange = ctx.session.exchange_count();
                reached.pages.push(artifact_for(kind, &current, seen));
                request = next;
            }
            Err(e) => return failed(reached, e),
        }
    }
    failed(
        reached,
        format!(
            "gave up after {} redirects and pages without reaching {redirect_uri}",
            settings.max_redirects + 4
        ),
    )
}

/// What the form driver makes of a page it was shown: `None` when it is
/// neither the profile's login nor its consent page, else the request that
/// submits the page's form (or why it cannot be submitted). Pure, so that
/// property tests can throw arbitrary HTML at the parsing a target controls.
pub fn parse_page(
    url: &url::Url,
    body: &str,
    login: Option<&FormPage>,
    consent: Option<&FormPage>,
) -> Option<Result<OutgoingRequest, String>> {
    let (_, page) = recognise(url, body, login, consent)?;
    Some(submit(url, body, &page).map(|(request, _)| request))
}

fn failed(mut r: Reached, why: String) -> Reached {
    r.failure = Some(why);
    r
}

fn recognise(
    url: &url::Url,
    body: &str,
    login: Option<&FormPage>,
    consent: Option<&FormPage>,
) -> Option<(PageKind, FormPage)> {
    let doc = Html::parse_document(body);
    let matches = |p: &FormPage| {
        let by_url = p
            .url_contains
            .as_ref()
            .is_some_and(|u| url.as_str().contains(u.as_str()));
        let detect = p.detect.as_deref().unwrap_or(&p.form);
        let by_content = Selector::parse(detect)
            .ok()
            .is_some_and(|s| doc.select(&s).next().is_some());
        by_content && (by_url || p.url_contains.is_none())
    };
    if let Some(p) = consent.filter(|p| matches(p)) {
        return Some((PageKind::Consent, p.clone()));
    }
    login
        .filter(|p| matches(p))
        .map(|p| (PageKind::Login, p.clone()))
}

/// How an ASPSP page that ended the journey is described for review.
fn page_seen(status: u16, url: &url::Url, body: &str) -> String {
    format!(
        "status {status} at {} ({})",
        shown(url.as_str()),
        shown(&title(body))
    )
}

fn title(body: &str) -> String {
    let doc = Html::parse_document(body);
    let Ok(sel) = Selector::parse("title") else {
        return "no title".into();
    };
    doc.select(&sel)
        .next()
        .map(|t| format!("title {:?}", t.text().collect::<String>().trim()))
        .unwrap_or_else(|| "no title".into())
}

/// What the report shows of a page: title, form fields, a text snapshot,
/// and which of the step's exchanges served it.
struct PageSeen {
    title: String,
    fields: Vec<FormField>,
    text: String,
    exchange: usize,
}

/// Marks the page's secret fields and tells the session about them. A field
/// the page itself marks `type="password"` is a secret whatever its name
/// (`pwd`, `Input.Password`, `answer`): its value is masked wherever it
/// appears. A field secret by name (the built-in patterns, the profile's
/// `secret_fields`) has its value masked in the submitted body; its value is
/// not masked everywhere, because a pattern as wide as `code` also names
/// fields like `code_challenge_method: S256`.
fn learn(seen: &mut PageSeen, ctx: &mut StepContext<'_>) {
    let mut learned = Learned::default();
    for f in &mut seen.fields {
        if f.secret {
            learned.values.push(f.value.clone());
        }
        f.secret |= ctx.target.is_secret_field(&f.name);
        if f.secret {
            learned.fields.push(f.name.clone());
        }
    }
    ctx.session.learn(&learned);
}

fn artifact_for(kind: PageKind, url: &url::Url, seen: PageSeen) -> Artifact {
    let label = match kind {
        PageKind::Login => "Login page",
        PageKind::Consent => "Consent page",
    };
    Artifact::Page {
        label: label.into(),
        url: url.to_string(),
        title: seen.title,
        fields: seen.fields,
        text: seen.text,
        exchange: seen.exchange,
    }
}

/// Fills the page's form: its own inputs (hidden ones included), then the
/// profile's fields; returns the submission request.
fn submit(
    url: &url::Url,
    body: &str,
    page: &FormPage,
) -> Result<(OutgoingRequest, PageSeen), String> {
    let doc = Html::parse_document(body);
    let selector = Selector::parse(&page.form)
        .map_err(|e| format!("invalid CSS selector `{}`: {e}", page.form))?;
    let form = doc
        .select(&selector)
        .next()
        .ok_or_else(|| format!("no form matches `{}` at {url}", page.form))?;
    let inputs = Selector::parse("input[name], select[name], textarea[name]")
        .map_err(|e| format!("probity's form-field selector does not parse: {e}"))?;
    let mut fields: Vec<(String, String)> = Vec::new();
    // Names of the inputs the page itself marks `type="password"`.
    let mut passwords: Vec<String> = Vec::new();
    for input in form.select(&inputs) {
        let el = input.value();
        let kind = el.attr("type").unwrap_or("text").to_ascii_lowercase();
        if kind == "submit"
            || kind == "button"
            || ((kind == "checkbox" || kind == "radio") && el.attr("checked").is_none())
        {
            continue;
        }
        let name = el.attr("name").unwrap_or_default().to_string();
        if kind == "password" {
            passwords.push(name.clone());
        }
        fields.push((name, el.attr("value").unwrap_or_default().to_string()));
    }
    for (k, v) in &page.fields {
        match fields.iter_mut().find(|(n, _)| n == k) {
            Some(f) => f.1 = v.clone(),
            None => fields.push((k.clone(), v.clone())),
        }
    }
    let action = form
        .value()
        .attr("action")
        .filter(|a| !a.is_empty())
        .map(|a| url.join(a))
        .transpose()
        .map_err(|e| e.to_string())?
        .unwrap_or_else(|| url.clone());
    let method = form
        .value()
        .attr("method")
        .unwrap_or("get")
        .to_ascii_uppercase();
    let seen = PageSeen {
        title: title(body),
        fields: fields
            .iter()
            .map(|(n, v)| FormField {
                name: n.clone(),
                value: v.clone(),
                secret: passwords.contains(n),
            })
            .collect(),
        exchange: 0,
        text: doc
            .root_element()
            .text()
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .collect::<Vec<_>>()
            .join(" ")
            .chars()
            .take(400)
            .collect(),
    };
    let request = if method == "POST" {
        OutgoingRequest {
            method: reqwest::Method::POST,
            url: action.to_string(),
            headers: vec![],
            body: Some(RequestBody::Form(fields)),
        }
    } else {
        let mut target = action.clone();
        target.query_pairs_mut().extend_pairs(&fields);
        OutgoingRequest::get(target.as_str())
    };
    Ok((request, seen))
}

#[cfg(test)]
mod tests {
    use super::refused_scheme;

    #[test]
    fn only_http_and_https_are_followed() {
        assert_eq!(refused_scheme("https://as.example/login"), None);
        assert_eq!(refused_scheme("http://127.0.0.1:1/x"), None);
        for url in [
            "file:///etc/passwd",
            "javascript:alert(1)",
            "data:text/html,x",
        ] {
            let why = refused_scheme(url).unwrap_or_default();
            assert!(
                why.starts_with("refused to follow the ASPSP to a `"),
                "{why}"
            );
        }
        assert!(refused_scheme("not a url").is_some());
    }
}
