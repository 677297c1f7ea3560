//! A third party judges probity's Open Banking requests: Stoplight Prism
//! (pinned in tests/interop/prism), a validating proxy nobody here wrote,
//! built from the official OBIE OpenAPI files, stands in front of the
//! embedded bank's resource APIs. Every request probity sends for the
//! `payments-obie` and `accounts-obie` suites goes through it, under OBIE
//! v3.1.11 and v4.0; with `--errors`, Prism refuses a request its schema
//! rejects (422) and an answer that breaks it (500), so a request refused for
//! a schema reason fails the scenario and is named here. The OAuth parts
//! (discovery, tokens, authorization) go to the bank directly: the OBIE files
//! describe only the resource APIs. Proven able to fail: Prism refuses a
//! 41-character `x-idempotency-key`, and a probity request without its
//! `x-jws-signature`.

mod common;

use probity::bank::{BankConfig, RunningBank};
use probity::runner::ScenarioResult;
use probity::specs::Verdict;
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn prism_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/interop/prism")
}

fn openapi_dir(version: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/openapi");
    match version {
        "v3.1" => dir,
        _ => dir.join(version),
    }
}

/// Installs the pinned Prism from the lockfile when it is missing.
fn ensure_installed() {
    let dir = prism_dir();
    if dir.join("node_modules/.bin/prism").exists() {
        return;
    }
    // No install scripts: the only one is a telemetry ping (@scarf/scarf).
    let status = Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund", "--ignore-scripts"])
        .current_dir(&dir)
        .status();
    match status {
        Ok(s) if s.success() => {}
        other => panic!(
            "`npm ci` in {} failed ({other:?}); Node.js and npm are needed for this test",
            dir.display()
        ),
    }
}

/// A running Prism proxy for one OBIE API of one version.
struct Prism {
    child: Child,
    url: String,
    _dir: tempfile::TempDir,
}

impl Drop for Prism {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The official file with each path under its server URL. Prism matches
/// request paths against `paths` alone and ignores `servers`; the file
/// says its paths live under `servers[0].url` (`/open-banking/v3.1/pisp`),
/// so that is where they are put. Nothing else changes.
fn rebased(file: &Path) -> String {
    let text = std::fs::read_to_string(file).unwrap();
    let base = text
        .lines()
        .skip_while(|l| *l != "servers:")
        .nth(1)
        .and_then(|l| l.trim().strip_prefix("- url:"))
        .map(|u| u.trim().trim_matches('"').to_string())
        .unwrap_or_else(|| panic!("{} names no server", file.display()));
    assert!(base.starts_with("/open-banking/"), "{base}");
    let mut in_paths = false;
    let mut moved = 0;
    let out: Vec<String> = text
        .lines()
        .map(|line| {
            if !line.starts_with(' ') && !line.is_empty() {
                in_paths = line == "paths:";
            }
            match line.strip_prefix("  /") {
                Some(rest) if in_paths => {
                    moved += 1;
                    format!("  {base}/{rest}")
                }
                _ => line.to_string(),
            }
        })
        .collect();
    assert!(moved >= 10, "{}: only {moved} paths", file.display());
    out.join("\n")
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Starts `prism proxy` for `file` in front of `upstream`, refusing what
/// breaks the schema (`--errors`).
fn start_prism(file: &Path, upstream: &str) -> Prism {
    let dir = tempfile::tempdir().unwrap();
    let spec = dir.path().join(file.file_name().unwrap());
    std::fs::write(&spec, rebased(file)).unwrap();
    let port = free_port();
    let child = Command::new(prism_dir().join("node_modules/.bin/prism"))
        .arg("proxy")
        .arg(&spec)
        .arg(upstream)
        .args(["--errors", "-p", &port.to_string(), "-v", "error"])
        .env("SCARF_ANALYTICS", "false")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("prism starts");
    Prism {
        child,
        url: format!("http://127.0.0.1:{port}"),
        _dir: dir,
    }
}

/// Waits until every proxy listens (each parses a 0.5 MB file first).
fn wait_listening(proxies: &mut [&mut Prism]) {
    let deadline = Instant::now() + Duration::from_secs(45);
    for p in proxies.iter_mut() {
        let addr = p.url.trim_start_matches("http://").to_string();
        while TcpStream::connect(&addr).is_err() {
            if let Ok(Some(status)) = p.child.try_wait() {
                panic!("prism for {} exited: {status}", p.url);
            }
            assert!(
                Instant::now() < deadline,
                "prism at {} never listened",
                p.url
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

/// Every answer Prism made itself, refusing a request or an answer: the
/// method, URL, status and Prism's own words.
fn prism_refusals(r: &ScenarioResult) -> Vec<String> {
    r.steps
        .iter()
        .flat_map(|s| &s.exchanges)
        .filter_map(|e| {
            let resp = e.response.as_ref()?;
            let body = resp.json().ok()?;
            let kind = body.get("type")?.as_str()?;
            kind.contains("stoplight.io/prism/errors").then(|| {
                format!(
                    "{} {} → {}: {}",
                    e.request.method, e.request.url, resp.status, resp.body
                )
            })
        })
        .collect()
}

/// Every spec that did not pass, but for the two a plain-http development
/// target cannot judge (the bank is served over http so Prism needs no CA).
fn not_passed(r: &ScenarioResult) -> Vec<String> {
    let http_only = ["discovery.issuer_https", "discovery.endpoints_https"];
    let mut out: Vec<String> = r
        .specs()
        .filter(|s| s.verdict != Verdict::Passed)
        .filter(|s| !(s.verdict == Verdict::Skipped && http_only.contains(&s.id.as_str())))
        .map(|s| {
            format!(
                "{:?} {}: {}",
                s.verdict,
                s.id,
                s.explanation().unwrap_or_default()
            )
        })
        .collect();
    if let Some(why) = &r.skipped {
        out.push(format!("skipped: {why}"));
    }
    out
}

/// How many exchanges went through a proxy at `base`.
fn through(r: &ScenarioResult, base: &str) -> usize {
    r.steps
        .iter()
        .flat_map(|s| &s.exchanges)
        .filter(|e| e.request.url.starts_with(base))
        .count()
}

/// The bank over plain http on loopback (a development target), so Prism
/// needs no CA; probity sends credentials there because it is loopback.
async fn http_bank() -> RunningBank {
    RunningBank::start(BankConfig {
        plain_http: true,
        ..BankConfig::default()
    })
    .await
    .expect("the bank starts")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prism_refuses_none_of_probitys_open_banking_requests_under_v3_1_and_v4_0() {
    ensure_installed();
    let bank = http_bank().await;
    let versions = ["v3.1", "v4.0"];
    let mut proxies: Vec<(&str, Prism, Prism)> = versions
        .iter()
        .map(|v| {
            let dir = openapi_dir(v);
            let pisp = start_prism(&dir.join("payment-initiation-openapi.yaml"), &bank.issuer);
            let aisp = start_prism(&dir.join("account-info-openapi.yaml"), &bank.issuer);
            (*v, pisp, aisp)
        })
        .collect();
    let mut all: Vec<&mut Prism> = proxies.iter_mut().flat_map(|(_, p, a)| [p, a]).collect();
    wait_listening(&mut all);

    let mut problems = Vec::new();
    let mut counted = Vec::new();
    for (version, pisp, aisp) in &proxies {
        for (suite, proxy) in [("payments-obie.yaml", pisp), ("accounts-obie.yaml", aisp)] {
            let mut t = bank.target();
            t.values.ob_version = version.to_string();
            t.api_base = proxy.url.clone();
            let path = Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("suites")
                .join(suite);
            let loaded = probity::suite::load_suite(&path).expect("suite");
            let mut sent = 0;
            for sc in &loaded.scenarios {
                let r = common::run_loaded(&t, &loaded, &sc.id.value).await;
                for refusal in prism_refusals(&r) {
                    problems.push(format!("{version} {}/{}: {refusal}", r.suite, r.id));
                }
                for spec in not_passed(&r) {
                    problems.push(format!("{version} {}/{}: {spec}", r.suite, r.id));
                }
                sent += through(&r, &proxy.url);
            }
            counted.push(format!("{version} {suite}: {sent}"));
            // Consents, payments, replays, polls, details; accounts, balances, transactions.
            assert!(
                sent >= 8,
                "{version} {suite}: only {sent} requests went through Prism"
            );
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    eprintln!("requests through Prism: {}", counted.join(", "));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prism_refuses_a_bad_request_so_the_check_can_fail() {
    ensure_installed();
    let bank = http_bank().await;
    let mut pisp = start_prism(
        &openapi_dir("v3.1").join("payment-initiation-openapi.yaml"),
        &bank.issuer,
    );
    wait_listening(&mut [&mut pisp]);

    // A 41-character idempotency key (the schema's maxLength is 40), with
    // everything else in order: refused, naming the header.
    let body = r#"{"Data":{"Initiation":{"InstructionIdentification":"A","EndToEndIdentification":"B","InstructedAmount":{"Amount":"1.00","Currency":"GBP"},"CreditorAccount":{"SchemeName":"UK.OBIE.SortCodeAccountNumber","Identification":"08080021325698","Name":"ACME"}}},"Risk":{}}"#;
    probity::install_crypto_provider();
    let http = reqwest::Client::new();
    let send = |key: String| {
        http.post(format!(
            "{}/open-banking/v3.1/pisp/domestic-payment-consents",
            pisp.url
        ))
        .header("authorization", "Bearer not-a-token")
        .header("content-type", "application/json")
        .header("x-jws-signature", "e30..c2ln")
        .header("x-idempotency-key", key)
        .body(body)
        .send()
    };
    let refused = send("k".repeat(41)).await.unwrap();
    assert_eq!(refused.status(), 422);
    let text = refused.text().await.unwrap();
    assert!(
        text.contains("x-idempotency-key") && text.contains("40 characters"),
        "{text}"
    );
    // The same request with a 40-character key passes Prism and reaches the
    // bank, which refuses the token (401, its own error, not Prism's).
    let admitted = send("k".repeat(40)).await.unwrap();
    assert_eq!(admitted.status(), 401);
    assert!(!admitted.text().await.unwrap().contains("stoplight"));

    // A probity request that breaks the schema is seen by this test's
    // detector: a payment consent sent without its x-jws-signature.
    let mut t = bank.target();
    t.api_base = pisp.url.clone();
    let r = common::run_yaml(
        &t,
        common::UNSIGNED_CONSENT_SUITE,
        "consent-without-signature",
    )
    .await;
    let refusals = prism_refusals(&r).join("\n");
    assert!(
        refusals.contains("422") && refusals.contains("x-jws-signature"),
        "{refusals}"
    );
}
