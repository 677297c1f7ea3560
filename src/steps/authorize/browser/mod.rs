//! The `browser` consent driver: a real headless Chromium, for login and
//! consent pages that need JavaScript, iframes or widgets the form driver
//! cannot post.
//!
//! On every page the browser shows, the profile's page scripts (or the
//! step's) are tried in order; the first whose URL text and `detect`
//! element match runs its actions. The driver stops when the browser is
//! sent to the redirect URI: probity needs no server there, it reads the URL
//! of the navigation that failed, and the usual callback checks judge it.
//! Every page acted on, and the page where it gave up, is captured as a PNG.
//!
//! The run starts one Chromium and gives each scenario a fresh browser
//! context in it ([`browsers`] says what that means and why).

mod browsers;
mod cdp;
mod chromium;
mod group;
mod script;

pub use browsers::{BrowserContext, Browsers};
pub use group::kill_all_now;

use super::drivers::{is_callback, Reached};
use crate::http::redact::Learned;
use crate::steps::{Artifact, StepContext};
use crate::target::PageScript;
use fantoccini::{Client, Locator};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Drives the authorization request at `url` in the scenario's browser,
/// with `pages` (the step's scripts, else the profile's).
pub(super) async fn drive(
    url: url::Url,
    redirect_uri: &str,
    pages: &[PageScript],
    ctx: &mut StepContext<'_>,
) -> Reached {
    let mut reached = Reached::default();
    let timeout = ctx.target.consent.browser_timeout;
    let client = match session(&url, ctx).await {
        Ok(c) => c,
        Err(why) if why.contains(chromium::INSTALL) => {
            reached.not_run = Some(why);
            return reached;
        }
        Err(why) => return failed(reached, why),
    };
    // Sent straight on to the redirect URI (a PSU already signed in and
    // consented), the navigation fails where no server listens: that is
    // the callback, not an error.
    let went = client.goto(url.as_str()).await;
    let at_callback = client
        .current_url()
        .await
        .is_ok_and(|u| is_callback(&u, redirect_uri));
    if let (Err(e), false) = (went, at_callback) {
        let why = format!("the browser could not open the authorization URL: {e}");
        reached
            .pages
            .push(shot(&client, "Browser: page after the error", &why).await);
        return failed(reached, why);
    }
    let max_pages = ctx.target.consent.max_redirects + 4;
    let mut acted = 0;
    let mut last: Option<(String, String)> = None;
    let mut waiting = Instant::now();
    loop {
        let here = match client.current_url().await {
            Ok(u) => u,
            Err(e) => return failed(reached, format!("the browser lost its page: {e}")),
        };
        if is_callback(&here, redirect_uri) {
            reached.callback = Some(here);
            return reached;
        }
        let page = recognise(&client, &here, pages).await;
        // The page just acted on, still at the same URL, is still busy
        // (a script about to navigate): wait rather than act twice.
        let fresh =
            page.filter(|p| last.as_ref() != Some(&(p.name.value.clone(), here.to_string())));
        let Some(page) = fresh else {
            if waiting.elapsed() > timeout {
                let why = format!(
                    "no page script matches the page at {} ({}) after {} s; the scripts are: {}",
                    crate::steps::shown(here.as_str()),
                    title(&client).await,
                    timeout.as_secs_f64(),
                    names(pages)
                );
                reached
                    .pages
                    .push(shot(&client, "Browser: unrecognised page", &why).await);
                return failed(reached, why);
            }
            tokio::time::sleep(Duration::from_millis(150)).await;
            continue;
        };
        acted += 1;
        if acted > max_pages {
            let why = format!(
                "gave up after acting on {max_pages} pages without reaching {redirect_uri}"
            );
            return failed(reached, why);
        }
        reached.consent_prompted |= page.is_consent();
        let label = format!("Browser page `{}`", page.name.value);
        reached.pages.push(shot(&client, &label, "").await);
        let outcome = script::run(&client, page, timeout).await;
        let (done, failure) = match outcome {
            Ok(done) => (done, None),
            Err((done, f)) => (done, Some(f)),
        };
        ctx.session.learn(&Learned {
            values: done.passwords,
            fields: vec![],
        });
        if let Some(f) = failure {
            let why = format!(
                "page `{}` at {} ({}): `{}` on `{}` failed: {}",
                page.name.value,
                crate::steps::shown(here.as_str()),
                title(&client).await,
                f.action,
                f.selector,
                f.why
            );
            let label = format!(
                "Browser page `{}` when `{}` failed",
                page.name.value, f.action
            );
            reached.pages.push(shot(&client, &label, &why).await);
            return failed(reached, why);
        }
        last = Some((page.name.value.clone(), here.to_string()));
        waiting = Instant::now();
    }
}

/// The scenario's browser context, opened at its first browser step in
/// the run's browser.
async fn session(url: &url::Url, ctx: &mut StepContext<'_>) -> Result<Client, String> {
    let host = url.host_str().unwrap_or_default().to_string();
    if let Some(b) = &ctx.state.browser {
        if b.trusted.contains(&host) || ctx.target.tls.ca_pem.is_none() {
            return Ok(b.client.clone());
        }
        // A browser told to trust another host's key cannot learn a new
        // one: open a context in the browser for this key (its cookies
        // were for that other host anyway).
    }
    if let Some(old) = ctx.state.browser.take() {
        old.close().await;
    }
    let mut spki = vec![];
    if let (Some(ca), "https") = (&ctx.target.tls.ca_pem, url.scheme()) {
        spki.push(chromium::verified_spki(url, ca).await?);
    }
    let timeout = ctx.target.consent.browser_timeout;
    let b = ctx
        .state
        .browsers
        .context(&spki, vec![host], timeout)
        .await?;
    let client = b.client.clone();
    ctx.state.browser = Some(b);
    Ok(client)
}

/// The first script whose URL text and `detect` element match the page.
async fn recognise<'p>(
    client: &Client,
    here: &url::Url,
    pages: &'p [PageScript],
) -> Option<&'p PageScript> {
    for p in pages {
        let by_url = p
            .url_contains
            .as_ref()
            .is_none_or(|u| here.as_str().contains(u.as_str()));
        if !by_url {
            continue;
        }
        let by_content = match &p.detect {
            None => true,
            Some(d) => client
                .find_all(Locator::Css(&d.value))
                .await
                .is_ok_and(|found| !found.is_empty()),
        };
        if by_content {
            return Some(p);
        }
    }
    None
}

fn names(pages: &[PageScript]) -> String {
    if pages.is_empty() {
        return "none (the profile's `consent.pages` is empty)".into();
    }
    pages
        .iter()
        .map(|p| format!("`{}`", p.name.value))
        .collect::<Vec<_>>()
        .join(", ")
}

async fn title(client: &Client) -> String {
    match client.title().await {
        Ok(t) => format!("title {t:?}"),
        Err(_) => "no title".into(),
    }
}

/// A PNG of the page as it is now, with its URL and title.
async fn shot(client: &Client, label: &str, note: &str) -> Artifact {
    let url = client
        .current_url()
        .await
        .map(|u| u.to_string())
        .unwrap_or_default();
    let title = client.title().await.unwrap_or_default();
    let png = client.screenshot().await.unwrap_or_default();
    Artifact::Screenshot {
        label: label.to_string(),
        url,
        title,
        note: note.to_string(),
        png: Arc::new(png),
    }
}

fn failed(mut r: Reached, why: String) -> Reached {
    r.failure = Some(why);
    r
}
