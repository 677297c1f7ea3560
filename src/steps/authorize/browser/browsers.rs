//! One browser per run, a fresh context per scenario.
//!
//! What "one browser" means here: one `chromedriver` process and one
//! headless Chromium process tree for the whole run, started at the first
//! browser step and shut down when the run ends (Ctrl-C included). Each
//! scenario gets:
//!
//! - its own **browser context** (`Target.createBrowserContext`, what
//!   Puppeteer and Playwright call a context): an in-memory, incognito-like
//!   profile, so cookies, storage and cache are the scenario's alone and
//!   vanish with it; the ASPSP's login session and persisted consent live
//!   exactly as long as the scenario;
//! - its own **WebDriver session**, attached to the run's Chromium
//!   (`goog:chromeOptions.debuggerAddress`) and switched to a tab opened in
//!   that context. A WebDriver session has one current window and
//!   chromedriver runs one session's commands in order, so a session per
//!   scenario is what lets scenarios drive the browser at the same time.
//!
//! Why not the alternatives: a session per scenario that launches its own
//! Chromium (what probity did before) pays a browser start, some 0.6 s and
//! a process tree, per scenario; one session whose cookies are cleared
//! between scenarios cannot run two scenarios at once and would leak
//! anything that clearing cookies misses (storage, cache, HTTP auth).
//! Contexts cannot be made through WebDriver: chromedriver's
//! `goog/cdp/execute` talks to a page's DevTools session, where Chromium
//! refuses `Target.createBrowserContext`; so the run also keeps one
//! DevTools connection to the browser endpoint ([`super::cdp`]) for making
//! and disposing of contexts, and for nothing else.

use super::cdp::Cdp;
use super::chromium::{attach_capabilities, connect, Browser};
use serde_json::{json, Value};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// The run's browsers, started when a scenario first needs one: in
/// practice one, as Chromium is told at launch which server key to trust
/// (see [`super::chromium`]); a run whose authorization endpoints present
/// two keys gets a browser for each.
#[derive(Debug, Default)]
pub struct Browsers {
    /// Each started (or failed) browser with the keys it trusts. Held
    /// while a browser starts, so scenarios arriving together share it.
    started: tokio::sync::Mutex<Vec<Started>>,
    /// How many browsers were launched, for the tests and the reports.
    launched: AtomicUsize,
}

impl Browsers {
    /// The browser trusting exactly `spki`, started if none is yet. A
    /// failure to start is kept: the scenarios after it are told the same
    /// at once instead of each waiting for Chromium again.
    async fn browser(&self, spki: &[String], timeout: Duration) -> Result<Arc<Browser>, String> {
        let mut started = self.started.lock().await;
        if let Some((_, b)) = started.iter().find(|(k, _)| k == spki) {
            return b.clone();
        }
        let b = Browser::start(spki, timeout).await.map(Arc::new);
        if b.is_ok() {
            self.launched.fetch_add(1, Ordering::Relaxed);
        }
        started.push((spki.to_vec(), b.clone()));
        b
    }

    /// A fresh context for a scenario in the browser trusting `spki`,
    /// remembering the `trusted` hosts it was made for.
    pub(super) async fn context(
        &self,
        spki: &[String],
        trusted: Vec<String>,
        timeout: Duration,
    ) -> Result<BrowserContext, String> {
        let browser = self.browser(spki, timeout).await?;
        BrowserContext::open(browser, trusted).await
    }

    /// How many browsers this run launched so far.
    pub fn launched(&self) -> usize {
        self.launched.load(Ordering::Relaxed)
    }

    /// The process groups of the browsers running now (chromedriver's pid
    /// each): what [`Self::shut_down`] ends.
    pub async fn process_groups(&self) -> Vec<i32> {
        let started = self.started.lock().await;
        started
            .iter()
            .filter_map(|(_, b)| b.as_ref().ok().and_then(|b| b.process_group()))
            .collect()
    }

    /// Quits every browser of the run and kills what is left of their
    /// processes. Contexts still open lose their browser.
    pub async fn shut_down(&self) {
        let started = std::mem::take(&mut *self.started.lock().await);
        for (_, b) in started {
            if let Ok(b) = b {
                b.shut_down().await;
            }
        }
    }
}

/// A browser started for the keys it trusts, or why it could not start.
type Started = (Vec<String>, Result<Arc<Browser>, String>);

/// A scenario's browser context and its WebDriver session in it.
#[derive(Debug)]
pub struct BrowserContext {
    /// The scenario's WebDriver session, on its context's tab.
    pub(super) client: fantoccini::Client,
    /// The hosts whose verified keys this browser was told to accept.
    pub(super) trusted: Vec<String>,
    /// The DevTools id of the context, disposed of with it.
    id: String,
    browser: Arc<Browser>,
    /// Set by [`Self::close`]; otherwise dropping disposes of the context.
    closed: bool,
}

impl BrowserContext {
    /// Makes a context with one tab in `browser`, attaches a WebDriver
    /// session and switches it to that tab.
    async fn open(browser: Arc<Browser>, trusted: Vec<String>) -> Result<Self, String> {
        let made = browser
            .cdp
            .call("Target.createBrowserContext", json!({}))
            .await?;
        let id = text(&made, "browserContextId")?;
        let client = match attach(&browser).await {
            Ok(c) => c,
            Err(e) => {
                let _ = dispose(&browser.cdp, &id).await;
                return Err(e);
            }
        };
        // Dropped on any failure below, which disposes of the context.
        let context = BrowserContext {
            client,
            trusted,
            id,
            browser,
            closed: false,
        };
        let tab = context
            .browser
            .cdp
            .call(
                "Target.createTarget",
                json!({ "url": "about:blank", "browserContextId": context.id,
                        "width": 1200, "height": 900 }),
            )
            .await?;
        let handle = fantoccini::wd::WindowHandle::try_from(text(&tab, "targetId")?)
            .map_err(|e| format!("Chromium named its new tab oddly: {e}"))?;
        context
            .client
            .switch_to_window(handle)
            .await
            .map_err(|e| format!("the WebDriver session cannot reach its tab: {e}"))?;
        Ok(context)
    }

    /// Ends the scenario's session and disposes of its context (its tab,
    /// cookies and storage with it).
    pub async fn close(mut self) {
        self.closed = true;
        let _ = self.client.clone().close().await;
        let _ = dispose(&self.browser.cdp, &self.id).await;
    }
}

impl Drop for BrowserContext {
    /// A scenario cancelled mid-step never reaches [`Self::close`]: its
    /// context is disposed of in the background (its WebDriver session
    /// ends when its last handle is dropped).
    fn drop(&mut self) {
        if self.closed {
            return;
        }
        let (browser, id) = (self.browser.clone(), self.id.clone());
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            rt.spawn(async move {
                let _ = dispose(&browser.cdp, &id).await;
            });
        }
    }
}

/// A WebDriver session on the run's Chromium, launching nothing.
async fn attach(browser: &Browser) -> Result<fantoccini::Client, String> {
    let caps = attach_capabilities(&browser.debugger, browser.timeout);
    connect(&browser.webdriver, caps)
        .await
        .map_err(|e| format!("cannot open a WebDriver session on the run's Chromium: {e}"))
}

async fn dispose(cdp: &Cdp, id: &str) -> Result<Value, String> {
    cdp.call(
        "Target.disposeBrowserContext",
        json!({ "browserContextId": id }),
    )
    .await
}

fn text(v: &Value, member: &str) -> Result<String, String> {
    v.get(member)
        .and_then(Value::as_str)
        .map(str::to_string)
        .ok_or_else(|| format!("Chromium's answer has no `{member}`: {v}"))
}
