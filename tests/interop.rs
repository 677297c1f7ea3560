//! Interop: probity's suites against a real OpenID Provider nobody here
//! wrote (panva/oidc-provider, pinned in tests/interop/oidc-provider), with
//! a YAML target profile only. Zero false failures allowed; a deliberately
//! broken provider config must make the persisted-consent spec fail.

mod common;

use probity::runner::ScenarioResult;
use probity::specs::Verdict;
use probity::steps::Artifact;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

fn interop_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/interop/oidc-provider")
}

/// Installs the pinned provider from the lockfile when it is missing.
fn ensure_installed() {
    let dir = interop_dir();
    if dir.join("node_modules/oidc-provider/package.json").exists() {
        return;
    }
    let status = Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund"])
        .current_dir(&dir)
        .status();
    match status {
        Ok(s) if s.success() => {}
        other => panic!(
            "`npm ci` in {} failed ({other:?}); Node.js and npm are needed for the interop tests",
            dir.display()
        ),
    }
}

/// A running provider and the files it was made with.
struct Provider {
    child: Child,
    issuer: String,
    _dir: tempfile::TempDir,
    env: Vec<(&'static str, String)>,
}

impl Drop for Provider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p.to_string_lossy().into_owned()
}

fn start_provider(broken_grants: bool) -> Provider {
    use josekit::jwk::alg::{ec::EcCurve, ec::EcKeyPair, rsa::RsaKeyPair};
    use josekit::jwk::KeyPair;
    ensure_installed();
    let dir = tempfile::tempdir().unwrap();
    let pki = probity::bank::Pki::generate(&["127.0.0.1".into(), "localhost".into()]).unwrap();
    let ca = write(dir.path(), "ca.pem", &pki.ca_pem);
    let cert = write(dir.path(), "server.pem", &pki.server_cert_pem);
    let key = write(dir.path(), "server.key", &pki.server_key_pem);
    let mut provider_key = RsaKeyPair::generate(2048).unwrap().to_jwk_key_pair();
    provider_key.set_key_id("provider-rs256");
    provider_key.set_algorithm("RS256");
    provider_key.set_key_use("sig");
    let provider_jwks = write(
        dir.path(),
        "provider-jwks.json",
        &format!("{{\"keys\":[{provider_key}]}}"),
    );
    let mut client_key = EcKeyPair::generate(EcCurve::P256)
        .unwrap()
        .to_jwk_key_pair();
    client_key.set_key_id("probity-jwt-key");
    client_key.set_algorithm("ES256");
    let client_private = write(dir.path(), "client.jwk", &client_key.to_string());
    let mut public = client_key.to_public_key().unwrap();
    public.set_key_id("probity-jwt-key");
    public.set_algorithm("ES256");
    let client_public = write(
        dir.path(),
        "client-jwks.json",
        &format!("{{\"keys\":[{public}]}}"),
    );
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = Command::new("node")
        .arg("server.mjs")
        .current_dir(interop_dir())
        .env("PORT", port.to_string())
        .env("TLS_CERT", &cert)
        .env("TLS_KEY", &key)
        .env("PROVIDER_JWKS", &provider_jwks)
        .env("CLIENT_JWKS", &client_public)
        .env("BROKEN_GRANTS", if broken_grants { "1" } else { "0" })
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("node starts");
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    // Keep draining: the provider logs warnings, and a closed pipe would kill it (EPIPE).
    std::thread::spawn(move || {
        let mut sink = String::new();
        while stdout.read_line(&mut sink).map(|n| n > 0).unwrap_or(false) {
            eprint!("[oidc-provider] {sink}");
            sink.clear();
        }
    });
    let ready: serde_json::Value = serde_json::from_str(&line)
        .unwrap_or_else(|e| panic!("provider did not start: {e}: {line:?}"));
    let issuer = ready["issuer"].as_str().unwrap().to_string();
    let env = vec![
        ("OIDC_ISSUER", issuer.clone()),
        ("OIDC_CA", ca),
        ("OIDC_CLIENT_KEY", client_private),
        ("OIDC_BASIC_SECRET", "probity-basic-secret".to_string()),
        ("OIDC_POST_SECRET", "probity-post-secret".to_string()),
        ("OIDC_PSU_PASSWORD", "any-password".to_string()),
    ];
    Provider {
        child,
        issuer,
        _dir: dir,
        env,
    }
}

/// Loads the YAML target profile with this provider's environment.
fn target_for(p: &Provider) -> probity::target::Target {
    // Only this test binary's single test reads these variables, sequentially.
    for (k, v) in &p.env {
        std::env::set_var(k, v);
    }
    probity::target::load_target(&interop_dir().join("target.yaml"))
        .expect("the interop target profile loads")
}

fn suite(path: &str) -> probity::suite::Suite {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
    probity::suite::load_suite(&p).unwrap_or_else(|e| panic!("{e}"))
}

async fn run_all(
    target: &probity::target::Target,
    suite: &probity::suite::Suite,
) -> Vec<ScenarioResult> {
    let mut out = Vec::new();
    for sc in &suite.scenarios {
        out.push(common::run_loaded(target, suite, &sc.id.value).await);
    }
    out
}

fn failed(results: &[ScenarioResult]) -> Vec<String> {
    results
        .iter()
        .flat_map(|r| {
            r.specs()
                .filter(|s| s.verdict == Verdict::Failed)
                .map(move |s| {
                    format!(
                        "{}/{} {}: {}",
                        r.suite,
                        r.id,
                        s.id,
                        s.explanation().unwrap_or_default()
                    )
                })
        })
        .collect()
}

/// Writes the run's reports to target/interop-reports for inspection.
fn write_reports(target: &probity::target::Target, results: &[ScenarioResult]) -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/interop-reports");
    let mut writer = probity::report::ReportWriter::new(probity::report::ReportOptions {
        dir: dir.clone(),
        redactor: probity::http::redact::Redactor::new(target.secrets()),
        command: (
            "probity run".into(),
            " --target tests/interop/oidc-provider/target.yaml".into(),
        ),
        suite_files: Default::default(),
        planned: results
            .iter()
            .map(|r| format!("{}/{}", r.suite, r.id))
            .collect(),
        run: probity::report::RunInfo {
            target: target.name.clone(),
            ..Default::default()
        },
        clients: vec![],
        formats: Default::default(),
        sign_key: None,
        templates: None,
    })
    .unwrap();
    for r in results {
        writer.scenario(r).unwrap();
    }
    writer.finish().unwrap();
    dir
}

fn pages(r: &ScenarioResult, step: usize) -> Vec<String> {
    r.steps[step]
        .artifacts
        .iter()
        .filter_map(|a| match a {
            Artifact::Page { label, .. } => Some(label.clone()),
            _ => None,
        })
        .collect()
}

/// The shipped `oidc` plan, the profile's `plans:`, with no suite written for
/// this provider: no failure, no incomplete scenario, every warning backed by
/// its clause, every skip naming what the provider lacks.
async fn oidc_plan_from_the_profile_alone(target: &probity::target::Target) -> Vec<ScenarioResult> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let suites = probity::suite::load_suites(&[root.join("suites")]).expect("suites");
    let plans = probity::plans::load_plans(&root.join("plans")).expect("plans");
    assert_eq!(target.plans, ["oidc"]);
    let plan = probity::plans::find(&plans, &target.plans[0]).expect("the oidc plan");
    let jobs = probity::runner::plan_under(&suites, &plan.selectors(), plan.conformance);
    let client = std::sync::Arc::new(
        probity::http::HttpClient::new(&target.tls, target.http.clone()).expect("client"),
    );
    // One Chromium for the plan, a context per scenario, as `probity run` does.
    let browsers = std::sync::Arc::new(probity::steps::Browsers::default());
    let mut results = Vec::new();
    for job in &jobs {
        let run = probity::runner::run_scenario_in(job, target, client.clone(), browsers.clone());
        results.push(run.await);
    }
    browsers.shut_down().await;
    let reports = write_reports(target, &results);
    let lines: Vec<String> = results
        .iter()
        .map(|r| {
            let warnings: Vec<&str> = r
                .specs()
                .filter(|s| s.verdict == Verdict::Warning)
                .map(|s| s.id.as_str())
                .collect();
            format!(
                "{:?} {}/{} {:?} warnings {warnings:?}",
                r.verdict(),
                r.suite,
                r.id,
                r.not_judged()
            )
        })
        .collect();
    eprintln!("oidc plan against oidc-provider:\n{}", lines.join("\n"));
    assert_eq!(
        failed(&results),
        Vec::<String>::new(),
        "oidc plan: reports in {}",
        reports.display()
    );
    for r in &results {
        assert_ne!(
            r.verdict(),
            Verdict::Incomplete,
            "{}/{}: {:?}",
            r.suite,
            r.id,
            r.not_judged()
        );
    }
    let warned: std::collections::BTreeSet<&str> = results
        .iter()
        .flat_map(|r| r.specs())
        .filter(|s| s.verdict == Verdict::Warning)
        .map(|s| s.id.as_str())
        .collect();
    // None is expected: this provider follows every SHOULD the oidc profile judges.
    let unexpected: Vec<&&str> = warned.iter().collect();
    assert!(
        unexpected.is_empty(),
        "warnings under oidc: {unexpected:?}\n{}",
        lines.join("\n")
    );
    // What this provider cannot do is SKIPPED with the reason, never passed or failed.
    let skipped: Vec<String> = results
        .iter()
        .filter(|r| r.verdict() == Verdict::Skipped)
        .map(|r| format!("{}/{}", r.suite, r.id))
        .collect();
    assert_eq!(
        skipped,
        [
            "auth-code/unsigned-request-object",
            "auth-code/tls-client-auth",
            "client-credentials/tls-client-auth",
            "headless-poll/ciba-denied",
            "headless-poll/ciba-expired",
        ]
    );
    results
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_oidc_plan_passes_against_oidc_provider_and_a_broken_grant_loader_fails_persisted_consent(
) {
    let provider = start_provider(false);
    let target = target_for(&provider);
    assert_eq!(target.issuer, provider.issuer);
    let results = oidc_plan_from_the_profile_alone(&target).await;
    let persisted = results
        .iter()
        .find(|r| r.id == "authorization-persisted")
        .unwrap();
    assert_eq!(
        pages(persisted, 1),
        ["Login page", "Consent page"],
        "first attempt"
    );
    assert_eq!(
        pages(persisted, 4),
        Vec::<String>::new(),
        "second attempt: no login, no consent"
    );
    assert_eq!(
        persisted.spec("consent.not_prompted").unwrap().verdict,
        Verdict::Passed
    );
    // DPoP (RFC 9449), the response modes (form_post, JARM) and the browser
    // driver against an implementation nobody here wrote: bound tokens,
    // proofs at UserInfo, every refusal the dpop suite expects, posted and
    // signed responses, and its login and consent pages in Chromium.
    // Judged under `oidc`: DPoP is plain RFC 9449, no FAPI rule applies.
    let jobs = probity::runner::plan_under(
        &[
            suite("suites/dpop.yaml"),
            suite("suites/response-modes.yaml"),
            suite("suites/browser-consent.yaml"),
        ],
        &[
            "dpop".to_string(),
            "response-modes".to_string(),
            "browser-consent".to_string(),
        ],
        probity::plans::Conformance::Oidc,
    );
    let client = std::sync::Arc::new(
        probity::http::HttpClient::new(&target.tls, target.http.clone()).expect("client"),
    );
    let browsers = std::sync::Arc::new(probity::steps::Browsers::default());
    let mut dpop = Vec::new();
    for job in &jobs {
        let run = probity::runner::run_scenario_in(job, &target, client.clone(), browsers.clone());
        dpop.push(run.await);
    }
    assert_eq!(
        browsers.launched(),
        1,
        "one browser for the browser-consent scenarios"
    );
    browsers.shut_down().await;
    assert_eq!(dpop.len(), 13);
    assert_eq!(failed(&dpop), Vec::<String>::new());
    for r in &dpop {
        let warned: Vec<String> = r
            .specs()
            .filter(|s| s.verdict == Verdict::Warning)
            .map(|s| format!("{}: {}", s.id, s.explanation().unwrap_or_default()))
            .collect();
        assert_eq!(
            r.verdict(),
            Verdict::Passed,
            "dpop/{}: {:?} {warned:?}",
            r.id,
            r.not_judged()
        );
    }
    drop(provider);

    let broken = start_provider(true);
    let target = target_for(&broken);
    let r = run_all(&target, &suite("suites/persisted-consent.yaml")).await;
    let spec = r[0].spec("consent.not_prompted").unwrap();
    assert_eq!(
        spec.verdict,
        Verdict::Failed,
        "{:?}",
        common::failures(&r[0])
    );
    assert_eq!(spec.actual.as_deref(), Some("a consent page was shown"));
}
