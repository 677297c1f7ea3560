//! Starting Debian's Chromium for a scenario, through WebDriver.
//!
//! One `chromedriver` and one headless Chromium per scenario that uses the
//! browser driver, started at its first browser step and closed when the
//! scenario ends: a WebDriver session is a browser with its own profile, so
//! cookies (the ASPSP's login session, persisted consent) live exactly as
//! long as the scenario, and nothing is left running after it.
//!
//! Chromium must trust the target's CA without `--ignore-certificate-errors`.
//! It reads no CA file on Linux (only an NSS database, which needs `certutil`),
//! so probity itself connects to the authorization endpoint, verifies the
//! server certificate against the profile's `tls.ca`, and passes that leaf's
//! public-key hash in `--ignore-certificate-errors-spki-list`: Chromium then
//! accepts exactly the key probity has verified, and no other.

use fantoccini::wd::Capabilities;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// What to install when the browser is missing.
pub(super) const INSTALL: &str =
    "the browser consent driver needs Debian's Chromium and its WebDriver: apt-get install chromium chromium-driver";

/// A browser for one scenario.
#[derive(Debug)]
pub struct BrowserSession {
    /// The WebDriver session.
    pub(super) client: fantoccini::Client,
    /// The hosts whose verified keys this browser was told to accept.
    pub(super) trusted: Vec<String>,
    /// `chromedriver`, killed if the scenario ends without [`Self::close`].
    driver: tokio::process::Child,
    /// The fresh `--user-data-dir`, removed with the session.
    _profile: tempfile::TempDir,
}

impl BrowserSession {
    /// Starts `chromedriver` and a headless Chromium that accepts the
    /// verified keys in `spki` (base64 SHA-256 of each SubjectPublicKeyInfo).
    pub(super) async fn start(
        spki: Vec<String>,
        trusted: Vec<String>,
        timeout: Duration,
    ) -> Result<Self, String> {
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
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| format!("cannot run {}: {e}; {INSTALL}", chromedriver.display()))?;
        let caps = capabilities(&chromium, profile.path(), &spki, timeout);
        let url = format!("http://127.0.0.1:{port}");
        let mut last = String::new();
        // chromedriver takes a moment to listen; Chromium a moment to start.
        for _ in 0..100 {
            let connector = hyper_util::client::legacy::connect::HttpConnector::new();
            match fantoccini::ClientBuilder::new(connector)
                .capabilities(caps.clone())
                .connect(&url)
                .await
            {
                Ok(client) => {
                    return Ok(BrowserSession {
                        client,
                        trusted,
                        driver,
                        _profile: profile,
                    })
                }
                Err(e) => last = e.to_string(),
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Err(format!(
            "Chromium did not start under {}: {last}",
            chromedriver.display()
        ))
    }

    /// Ends the WebDriver session (Chromium exits) and `chromedriver`.
    pub async fn close(mut self) {
        let _ = self.client.clone().close().await;
        let _ = self.driver.kill().await;
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
    // A page load on a busy CI machine can take longer than an element wait.
    let ms = u64::try_from(timeout.max(Duration::from_secs(30)).as_millis()).unwrap_or(u64::MAX);
    let value = serde_json::json!({
        "browserName": "chrome",
        "acceptInsecureCerts": false,
        "pageLoadStrategy": "normal",
        "timeouts": { "pageLoad": ms, "script": ms },
        "goog:chromeOptions": { "binary": chromium, "args": args },
    });
    match value {
        serde_json::Value::Object(map) => map,
        _ => Capabilities::new(),
    }
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
