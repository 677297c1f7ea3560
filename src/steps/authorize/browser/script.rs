//! Running one page script's actions in the browser.

use crate::target::{PageAction, PageScript};
use fantoccini::{Client, Locator};
use std::time::{Duration, Instant};

/// Why an action failed: which one, on which selector, and what the
/// browser said.
pub(super) struct ActionFailure {
    /// `fill`, `click` …
    pub action: &'static str,
    /// The selector (or URL text) it used.
    pub selector: String,
    /// What went wrong.
    pub why: String,
}

/// What running a script left behind.
#[derive(Default)]
pub(super) struct Done {
    /// Values typed into fields the page marks `type="password"`: secrets
    /// wherever they appear, whatever the selector said.
    pub passwords: Vec<String>,
}

/// Runs the script's actions in order, starting in the top document; waits
/// up to `timeout` for each element. Returns to the top document after.
pub(super) async fn run(
    client: &Client,
    page: &PageScript,
    timeout: Duration,
) -> Result<Done, (Done, ActionFailure)> {
    let mut done = Done::default();
    let mut depth = 0;
    let mut result = Ok(());
    for action in &page.actions {
        result = act(client, action, timeout, &mut done, &mut depth).await;
        if result.is_err() {
            break;
        }
    }
    // A parent of the top document is the top document: extra calls are
    // harmless, and a frame gone with a navigation leaves nothing to undo.
    for _ in 0..depth {
        let _ = client.enter_parent_frame().await;
    }
    match result {
        Ok(()) => Ok(done),
        Err(e) => Err((done, e)),
    }
}

async fn act(
    client: &Client,
    action: &PageAction,
    timeout: Duration,
    done: &mut Done,
    depth: &mut usize,
) -> Result<(), ActionFailure> {
    let selector = action
        .selector()
        .map(|s| s.value.clone())
        .unwrap_or_default();
    let fail = |why: String| ActionFailure {
        action: action.name(),
        selector: match action {
            PageAction::WaitForUrl(u) => u.clone(),
            _ => selector.clone(),
        },
        why,
    };
    let find = || async {
        client
            .wait()
            .at_most(timeout)
            .for_element(Locator::Css(&selector))
            .await
            .map_err(|e| match e {
                fantoccini::error::CmdError::WaitTimeout => {
                    format!("no element matched within {} s", timeout.as_secs_f64())
                }
                e => e.to_string(),
            })
    };
    match action {
        PageAction::Fill(f) => {
            let el = find().await.map_err(fail)?;
            if el.attr("type").await.ok().flatten().as_deref() == Some("password") {
                done.passwords.push(f.value.clone());
            }
            el.clear().await.map_err(|e| fail(e.to_string()))?;
            el.send_keys(&f.value)
                .await
                .map_err(|e| fail(e.to_string()))?;
        }
        PageAction::Select(f) => {
            let el = find().await.map_err(fail)?;
            el.select_by_value(&f.value)
                .await
                .map_err(|e| fail(format!("no option with value {:?}: {e}", f.value)))?;
        }
        PageAction::Click(_) => {
            let el = find().await.map_err(fail)?;
            el.click().await.map_err(|e| fail(e.to_string()))?;
        }
        PageAction::WaitFor(_) => {
            find().await.map_err(fail)?;
        }
        PageAction::WaitForUrl(text) => {
            let started = Instant::now();
            loop {
                let here = client
                    .current_url()
                    .await
                    .map_err(|e| fail(e.to_string()))?;
                if here.as_str().contains(text.as_str()) {
                    break;
                }
                if started.elapsed() > timeout {
                    return Err(fail(format!(
                        "the URL did not contain it within {} s (it is {here})",
                        timeout.as_secs_f64()
                    )));
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
        PageAction::Frame(_) => {
            let el = find().await.map_err(fail)?;
            el.enter_frame().await.map_err(|e| fail(e.to_string()))?;
            *depth += 1;
        }
    }
    Ok(())
}
