//! The `manual` consent driver: a person (or the profile's `open` command)
//! takes the authorization URL to a browser; probity listens on the loopback
//! redirect URI (RFC 8252 §7.3) for the callback, with a timeout. A response
//! in the fragment never reaches a server, so the landing page moves it into
//! the query and comes back once.

use super::drivers::Reached;
use crate::steps::Artifact;
use crate::target::ManualSettings;
use axum::extract::OriginalUri;
use axum::response::{Html, IntoResponse};
use std::net::SocketAddr;
use std::time::Instant;
use tokio::sync::mpsc;

/// Marks a callback whose parameters came from the fragment.
const FROM_FRAGMENT: &str = "probity_fragment";

const LANDING: &str = "<!doctype html><title>probity</title><p id=m>Authorization received; you can close this window.</p>\
<script>if(location.hash.length>1){document.getElementById('m').textContent='Forwarding…';\
location.replace(location.pathname+'?'+location.hash.slice(1)+'&probity_fragment=1');}</script>";

/// The loopback address a redirect URI names.
fn loopback(redirect_uri: &str) -> Result<(SocketAddr, String), String> {
    let u = url::Url::parse(redirect_uri).map_err(|e| format!("redirect_uri: {e}"))?;
    let ip = match u.host() {
        Some(url::Host::Ipv4(ip)) if ip.is_loopback() => std::net::IpAddr::V4(ip),
        Some(url::Host::Ipv6(ip)) if ip.is_loopback() => std::net::IpAddr::V6(ip),
        _ => {
            return Err(format!(
                "the manual driver listens on a loopback redirect URI (http://127.0.0.1:PORT/…), not {redirect_uri}"
            ))
        }
    };
    if u.scheme() != "http" {
        return Err(format!(
            "a loopback redirect URI uses http (RFC 8252 §7.3), not {redirect_uri}"
        ));
    }
    let port = u.port().ok_or("the loopback redirect URI needs a port")?;
    Ok((SocketAddr::new(ip, port), u.path().to_string()))
}

/// Rebuilds the callback URL the browser was sent to.
fn callback_url(redirect_uri: &str, query: &str) -> Option<url::Url> {
    let mut u = url::Url::parse(redirect_uri).ok()?;
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect();
    let fragment = pairs.iter().any(|(k, _)| k == FROM_FRAGMENT);
    let kept: Vec<_> = pairs
        .into_iter()
        .filter(|(k, _)| k != FROM_FRAGMENT)
        .collect();
    let encoded = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(&kept)
        .finish();
    if fragment {
        u.set_fragment(Some(&encoded));
    } else {
        u.set_query(Some(&encoded));
    }
    Some(u)
}

/// Waits for the PSU's browser to come back to the redirect URI.
pub(super) async fn drive(url: url::Url, redirect_uri: &str, settings: &ManualSettings) -> Reached {
    let failed = |why: String| Reached {
        failure: Some(why),
        ..Reached::default()
    };
    let (addr, path) = match loopback(redirect_uri) {
        Ok(a) => a,
        Err(e) => return failed(e),
    };
    let listener = match tokio::net::TcpListener::bind(addr).await {
        Ok(l) => l,
        Err(e) => return failed(format!("cannot listen on {addr} for the callback: {e}")),
    };
    let (tx, mut rx) = mpsc::channel::<String>(4);
    let app = axum::Router::new().fallback(move |OriginalUri(uri): OriginalUri| {
        let tx = tx.clone();
        let path = path.clone();
        async move {
            let query = uri.query().unwrap_or("");
            if uri.path() == path && !query.is_empty() {
                let _ = tx.send(query.to_string()).await;
            }
            Html(LANDING).into_response()
        }
    });
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = axum::serve(listener, app).with_graceful_shutdown(async {
        let _ = stopped.await;
    });
    let serving = tokio::spawn(async move { server.await });
    announce(&url, redirect_uri, settings);
    let started = Instant::now();
    let got = tokio::time::timeout(settings.timeout, rx.recv()).await;
    let _ = stop.send(());
    let _ = serving.await;
    match got {
        Ok(Some(query)) => Reached {
            callback: callback_url(redirect_uri, &query),
            pages: vec![Artifact::Note {
                text: format!(
                    "Manual authorization: the browser returned to {redirect_uri} after {:.1} s.",
                    started.elapsed().as_secs_f64()
                ),
            }],
            prompt_unknown: true,
            ..Reached::default()
        },
        _ => failed(format!(
            "no callback reached {redirect_uri} within {} s",
            settings.timeout.as_secs()
        )),
    }
}

/// Prints the URL and runs the `open` command with it, if any.
fn announce(url: &url::Url, redirect_uri: &str, settings: &ManualSettings) {
    eprintln!(
        "\nAuthorize in a browser:\n  {url}\nWaiting up to {} s for the callback on {redirect_uri} …",
        settings.timeout.as_secs()
    );
    if let Some((program, args)) = settings.open.split_first() {
        let spawned = tokio::process::Command::new(program)
            .args(args)
            .arg(url.as_str())
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .kill_on_drop(false)
            .spawn();
        if let Err(e) = spawned {
            eprintln!("could not run {program}: {e}; open the URL by hand");
        }
    }
}
