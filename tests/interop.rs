//! Interop: probity's suites against a real OpenID Provider nobody here
//! wrote (panva/oidc-provider, pinned in tests/interop/oidc-provider), with
//! a YAML target profile only. Zero false failures allowed; a deliberately
//! broken provider config must make the persisted-consent spec fail.

mod common;

use common::oidc_provider::{failed, start, target_for, write_reports, Mode};
use probity::runner::ScenarioResult;
use probity::specs::Verdict;
use probity::steps::Artifact;
use std::path::Path;

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
    let reports = write_reports(target, "target.yaml", "interop-reports", &results);
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
    let provider = start(Mode::Oidc);
    let target = target_for(&provider, "target.yaml");
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
    assert_eq!(dpop.len(), 15);
    assert_eq!(failed(&dpop), Vec::<String>::new());
    // This provider demands no DPoP nonce (no `nonceSecret`): the nonce
    // tests cannot apply, and say so.
    for r in dpop.iter().filter(|r| r.id.ends_with("-wrong-nonce")) {
        assert_eq!(r.verdict(), Verdict::Skipped, "dpop/{}", r.id);
        let why = r.not_judged().unwrap_or_default();
        assert!(why.contains("never demanded a DPoP nonce"), "{why}");
    }
    for r in dpop.iter().filter(|r| !r.id.ends_with("-wrong-nonce")) {
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

    let broken = start(Mode::BrokenGrants);
    let target = target_for(&broken, "target.yaml");
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
