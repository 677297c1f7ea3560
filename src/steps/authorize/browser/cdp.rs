//! A DevTools (CDP) connection to the browser itself, for the one thing
//! WebDriver cannot do: make and dispose of browser contexts.
//!
//! chromedriver's `goog/cdp/execute` sends commands to the current page's
//! DevTools session, where Chromium refuses `Target.createBrowserContext`
//! ("Not allowed"): only the browser-wide endpoint may. So the run keeps one
//! WebSocket to that endpoint (`/json/version` names it) and sends these
//! few commands over it, one at a time; every page action still goes
//! through WebDriver.

use futures::{SinkExt, StreamExt};
use serde_json::{json, Value};
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;

type Socket = tokio_tungstenite::WebSocketStream<tokio::net::TcpStream>;

/// The browser-wide DevTools session.
pub(super) struct Cdp {
    /// Commands take turns: each waits for its own answer.
    socket: tokio::sync::Mutex<(Socket, u64)>,
}

impl std::fmt::Debug for Cdp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Cdp")
    }
}

/// How long one DevTools command may take on a busy machine.
const ANSWER_WITHIN: Duration = Duration::from_secs(30);

impl Cdp {
    /// Connects to the browser endpoint of the Chromium whose DevTools
    /// listen at `address` (`localhost:PORT`, as chromedriver reports it).
    pub(super) async fn connect(address: &str) -> Result<Self, String> {
        let version: Value = reqwest::get(format!("http://{address}/json/version"))
            .await
            .and_then(reqwest::Response::error_for_status)
            .map_err(|e| format!("Chromium's DevTools at {address} did not answer: {e}"))?
            .json()
            .await
            .map_err(|e| format!("Chromium's DevTools at {address}: {e}"))?;
        let ws = version
            .get("webSocketDebuggerUrl")
            .and_then(Value::as_str)
            .ok_or_else(|| format!("Chromium's DevTools at {address} named no browser endpoint"))?;
        // No `Origin` header is sent, so Chromium needs no
        // `--remote-allow-origins`: only local programs can connect.
        let tcp = tokio::net::TcpStream::connect(address)
            .await
            .map_err(|e| format!("cannot reach Chromium's DevTools at {address}: {e}"))?;
        let (socket, _) = tokio_tungstenite::client_async(ws, tcp)
            .await
            .map_err(|e| format!("Chromium's DevTools endpoint {ws}: {e}"))?;
        Ok(Cdp {
            socket: tokio::sync::Mutex::new((socket, 0)),
        })
    }

    /// Sends `method` with `params`; returns the `result`, or the error
    /// Chromium answered.
    pub(super) async fn call(&self, method: &str, params: Value) -> Result<Value, String> {
        let mut guard = self.socket.lock().await;
        let (socket, last) = &mut *guard;
        *last += 1;
        let id = *last;
        let text = json!({ "id": id, "method": method, "params": params }).to_string();
        let exchange = async {
            socket
                .send(Message::text(text))
                .await
                .map_err(|e| e.to_string())?;
            answer(socket, id).await
        };
        tokio::time::timeout(ANSWER_WITHIN, exchange)
            .await
            .map_err(|_| format!("no answer within {} s", ANSWER_WITHIN.as_secs()))
            .and_then(|r| r)
            .map_err(|e| format!("DevTools `{method}`: {e}"))
    }
}

/// Reads until the answer with `id` arrives; events (none are asked
/// for, but Chromium may send some) are skipped.
async fn answer(socket: &mut Socket, id: u64) -> Result<Value, String> {
    while let Some(message) = socket.next().await {
        let text = match message.map_err(|e| e.to_string())? {
            Message::Text(t) => t,
            Message::Close(_) => break,
            _ => continue,
        };
        let Ok(mut v) = serde_json::from_str::<Value>(&text) else {
            continue;
        };
        if v.get("id").and_then(Value::as_u64) != Some(id) {
            continue;
        }
        if let Some(e) = v.get("error") {
            return Err(e.to_string());
        }
        return Ok(v.get_mut("result").map(Value::take).unwrap_or(Value::Null));
    }
    Err("Chromium closed its DevTools connection".into())
}
