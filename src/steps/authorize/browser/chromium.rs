//! Starting Debian's Chromium for the run, through WebDriver.
//!
//! One `chromedriver` and one headless Chromium serve every scenario of a
//! run (see [`super::browsers`] for how each scenario gets its own
//! context in it). chromedriver starts Chromium in a first "launch"
//! WebDriver session; ending that session quits the browser. Both run in a
//! process group of their own, so a Ctrl-C on the terminal reaches probity
//! alone (the running scenarios get their grace, then the run closes the
//! browser), and killing the group leaves nothing behind, Chromium's
//! helpers included, even when probity has to exit at once.
//!
//! Chromium must trust the target's CA without `--ignore-certificate-errors`.
//! It reads no CA file on Linux (only an NSS database, which needs `certutil`),
//! so probity itself connects to the authorization endpoint, verifies the
//! server certificate against the profile's `tls.ca`, and passes that leaf's
//! public-key hash in `--ignore-certificate-errors-spki-list`: Chromium then
//! accepts exactly the key probity has verified, and no other. The flag is
//! read at launch, so the run keeps one browser per verified key (in
//! practice one: a run has one target).

use super::cdp::Cdp;
use super::group::ProcessGroup;
use fantoccini::wd::Capabilities;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// What to install when the browser is missing.
pub(super) const INSTALL: &str =
    "the browser consent driver needs Debian's Chromium and its WebDriver: apt-get install chromium chromium-driver";

/// The run's Chromium, under its chromedriver.
#[derive(Debug)]
pub(super) struct Browser {
    /// The session that launched Chromium: ending it quits the browser.
    launch: fantoccini::Client,
    /// chromedriver's address, where each scenario opens its session.
    pub(super) webdriver: String,
    /// Where Chromium's DevTools listen (`localhost:PORT`).
    pub(super) debugger: String,
    /// The browser-wide DevTools session that makes contexts.
    pub(super) cdp: Cdp,
    /// The page-load and script timeouts of every session.
    pub(super) timeout: Duration,
    /// chromedriver, Chromium and its helpers; killed when dropped.
    group: ProcessGroup,
    /// chromedriver itself, so it is reaped.
    _driver: tokio::process::Child,
    /// The fresh `--user-data-dir`; declared last, so it is removed after
    /// the processes that write into it are dead.
    _profile: tempfile::TempDir,
}

impl Browser {
    /// Starts `chromedriver` and a headless Chromium that accepts the
    /// verified keys in `spki` (base64 SHA-256 of each SubjectPublicKeyInfo).
    pub(super) async fn start(spki: &[String], timeout: Duration) -> Result<Self, String> {
        let chromium = find("PROBITY_CHROMIUM", &["chromium", "chromium-browser"])
            .ok_or_else(|| format!("no `chromium` found: {INSTALL}"))?;
        let chromedriver = find("PROBITY_CHROMEDRIVER", &["chromedriver"])
            .ok_or_else(|| format!("no `chromedriver` found: {INSTALL}"))?;
        let profile = tempfile::tempdir().map_err(|e| format!("no browser profile dir: {e}"))?;
        let port = free_port()?;
        let driver = tokio::process::Command::new(&chromedriver)
            .arg(format!("--port={port}"))
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .process_group(0)
            .spawn()
            .map_err(|e| format!("cannot run {}: {e}; {INSTALL}", chromedriver.display()))?;
        let group = ProcessGroup::of(&driver);
        let webdriver = format!("http://127.0.0.1:{port}");
        let caps = capabilities(&chromium, profile.path(), spki, timeout);
        let launch = connect(&webdriver, caps).await.map_err(|e| {
            format!(
                "Chromium did not start under {}: {e}",
                chromedriver.display()
            )
        })?;
        let debugger = debugger_address(&launch)?;
        let cdp = Cdp::connect(&debugger).await?;
        Ok(Browser {
            launch,
            webdriver,
            debugger,
            cdp,
            timeout,
            group,
            _driver: driver,
            _profile: profile,
        })
    }

    /// The process group of chromedriver and Chromium.
    pub(super) fn process_group(&self) -> Option<i32> {
        self.group.id()
    }

    /// Quits Chromium (ending the launch session), then kills whatever of
    /// the group is left, chromedriver included.
    pub(super) async fn shut_down(&self) {
        let quit = self.launch.clone().close();
        let _ = tokio::time::timeout(Duration::from_secs(5), quit).await;
        self.group.kill();
    }
}

/// A new WebDriver session with `caps`, retried while chromedriver is not
/// yet listening or Chromium not yet started.
pub(super) async fn connect(
    webdriver: &str,
    caps: Capabilities,
) -> Result<fantoccini::Client, String> {
    let mut last = String::new();
    for _ in 0..100 {
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        match fantoccini::ClientBuilder::new(connector)
            .capabilities(caps.clone())
            .connect(webdriver)
            .await
        {
            Ok(client) => return Ok(client),
            Err(e) => last = e.to_string(),
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Err(last)
}

/// Where the launched Chromium's DevTools listen, as chromedriver reports
/// it in the new session's capabilities.
fn debugger_address(launch: &fantoccini::Client) -> Result<String, String> {
    launch
        .capabilities()
        .and_then(|c| c.get("goog:chromeOptions"))
        .and_then(|o| o.get("debuggerAddress"))
        .and_then(serde_json::Value::as_str)
        .map(str::to_string)
        .ok_or_else(|| "chromedriver did not say where Chromium's DevTools listen".into())
}

/// The capabilities of a scenario's session: it attaches to the run's
/// Chromium instead of launching one.
pub(super) fn attach_capabilities(debugger: &str, timeout: Duration) -> Capabilities {
    object(serde_json::json!({
        "browserName": "chrome",
        "acceptInsecureCerts": false,
        "pageLoadStrategy": "normal",
        "timeouts": timeouts(timeout),
        "goog:chromeOptions": { "debuggerAddress": debugger },
    }))
}

/// A page load on a busy CI machine can take longer than an element wait.
fn timeouts(timeout: Duration) -> serde_json::Value {
    let ms = u64::try_from(timeout.max(Duration::from_secs(30)).as_millis()).unwrap_or(u64::MAX);
    serde_json::json!({ "pageLoad": ms, "script": ms })
}

fn object(value: serde_json::Value) -> Capabilities {
    match value {
        serde_json::Value::Object(map) => map,
        _ => Capabilities::new(),
    }
}

/// The flags of a closed CI machine: no sandbox (root in a container), no
/// GPU, no first-run dialogs, no background traffic, a fresh profile.
fn capabilities(
    chromium: &Path,
    profile: &Path,
    spki: &[String],
    timeout: Duration,
) -> Capabilities {
    let mut args: Vec<String> = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-quic",
        "--window-size=1200,900",
    ]
    .into_iter()
    .map(String::from)
    .collect();
    args.push(format!("--user-data-dir={}", profile.display()));
    if !spki.is_empty() {
        args.push(format!(
            "--ignore-certificate-errors-spki-list={}",
            spki.join(",")
        ));
    }
    object(serde_json::json!({
        "browserName": "chrome",
        "acceptInsecureCerts": false,
        "pageLoadStrategy": "normal",
        "timeouts": timeouts(timeout),
        "goog:chromeOptions": { "binary": chromium, "args": args },
    }))
}

/// A program named by the environment variable, or found on `PATH`.
fn find(var: &str, names: &[&str]) -> Option<PathBuf> {
    if let Some(p) = std::env::var_os(var) {
        let p = PathBuf::from(p);
        return p.is_file().then_some(p);
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .flat_map(|dir| names.iter().map(move |n| dir.join(n)))
        .find(|p| p.is_file())
}

fn free_port() -> Result<u16, String> {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| format!("no free port for chromedriver: {e}"))
}

/// The base64 SHA-256 of the SubjectPublicKeyInfo of the certificate the
/// server at `url` presents, verified against `ca_pem` for that host first:
/// the only key `--ignore-certificate-errors-spki-list` lets through.
pub(super) async fn verified_spki(url: &url::Url, ca_pem: &str) -> Result<String, String> {
    use base64::Engine;
    use rustls::pki_types::{pem::PemObject, CertificateDer, ServerName};
    use sha2::Digest;
    let host = url.host_str().ok_or("the authorization URL has no host")?;
    let port = url.port_or_known_default().unwrap_or(443);
    let mut roots = rustls::RootCertStore::empty();
    for ca in CertificateDer::pem_slice_iter(ca_pem.as_bytes()) {
        let ca = ca.map_err(|e| format!("tls.ca: {e}"))?;
        roots.add(ca).map_err(|e| format!("tls.ca: {e}"))?;
    }
    let config = rustls::ClientConfig::builder()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let name = ServerName::try_from(host.trim_matches(['[', ']']).to_string())
        .map_err(|e| format!("{host}: {e}"))?;
    let tcp = tokio::net::TcpStream::connect((host.trim_matches(['[', ']']), port))
        .await
        .map_err(|e| format!("cannot reach {host}:{port}: {e}"))?;
    let tls = tokio_rustls::TlsConnector::from(std::sync::Arc::new(config))
        .connect(name, tcp)
        .await
        .map_err(|e| format!("{host}:{port} is not trusted by the profile's tls.ca: {e}"))?;
    let leaf = tls
        .get_ref()
        .1
        .peer_certificates()
        .and_then(|c| c.first())
        .ok_or_else(|| format!("{host}:{port} presented no certificate"))?;
    let cert = webpki::EndEntityCert::try_from(leaf).map_err(|e| format!("{host}: {e:?}"))?;
    let spki = cert.subject_public_key_info();
    Ok(base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(spki.as_ref())))
}
