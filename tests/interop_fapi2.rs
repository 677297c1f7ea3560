//! Interop: the `fapi2-security-profile` plan against panva/oidc-provider
//! configured as a FAPI 2.0 Security Profile server (server.mjs with
//! PROFILE=fapi2), under the OIDF plan's private_key_jwt + DPoP + PAR
//! variant declared in tests/interop/oidc-provider/target-fapi2.yaml, then
//! under its tls_client_auth + mTLS + PAR variant (target-fapi2-mtls.yaml).
//! No failure and no incomplete scenario; every warning, skip and review
//! listed here with the clause or reason behind it.

mod common;

use common::oidc_provider::{failed, start, target_for, write_reports, Mode};
use probity::runner::ScenarioResult;
use probity::specs::Verdict;
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

/// Runs the plan the profile names as `probity run` does (four at a time).
async fn run_plan(target: &probity::target::Target) -> Vec<ScenarioResult> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let suites = probity::suite::load_suites(&[root.join("suites")]).expect("suites");
    let plans = probity::plans::load_plans(&root.join("plans")).expect("plans");
    assert_eq!(target.plans, ["fapi2-security-profile"]);
    let plan = probity::plans::find(&plans, &target.plans[0]).expect("the fapi2 plan");
    let jobs = probity::runner::plan_under(&suites, &plan.selectors(), plan.conformance);
    let order: Vec<String> = jobs.iter().map(|j| j.name()).collect();
    let client =
        Arc::new(probity::http::HttpClient::new(&target.tls, target.http.clone()).expect("client"));
    let results: Arc<Mutex<Vec<Arc<ScenarioResult>>>> = Arc::default();
    let sink = results.clone();
    let (_stop, stop) = tokio::sync::watch::channel(false);
    probity::runner::run(
        jobs,
        Arc::new(target.clone()),
        client,
        4,
        stop,
        move |event| {
            if let probity::runner::RunEvent::ScenarioFinished(r) = event {
                sink.lock().unwrap().push(r);
            }
        },
    )
    .await;
    let mut results: Vec<ScenarioResult> = results
        .lock()
        .unwrap()
        .iter()
        .map(|r| (**r).clone())
        .collect();
    results.sort_by_key(|r| {
        let name = format!("{}/{}", r.suite, r.id);
        order.iter().position(|o| *o == name)
    });
    assert_eq!(results.len(), order.len(), "every scenario ran");
    results
}

fn name(r: &ScenarioResult) -> String {
    format!("{}/{}", r.suite, r.id)
}

/// The scenarios that ended with `verdict`, by name, in plan order.
fn with_verdict(results: &[ScenarioResult], verdict: Verdict) -> Vec<String> {
    results
        .iter()
        .filter(|r| r.verdict() == verdict)
        .map(name)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_fapi2_security_profile_plan_passes_against_oidc_provider_under_dpop_and_private_key_jwt(
) {
    let started = std::time::Instant::now();
    let provider = start(Mode::Fapi2);
    let target = target_for(&provider, "target-fapi2.yaml");
    assert_eq!(target.issuer, provider.issuer);
    assert!(target.variant.declared);
    let results = run_plan(&target).await;
    let reports = write_reports(
        &target,
        "target-fapi2.yaml",
        "interop-reports-fapi2",
        &results,
    );
    let lines: Vec<String> = results
        .iter()
        .map(|r| {
            let warnings: Vec<String> = r
                .specs()
                .filter(|s| s.verdict == Verdict::Warning)
                .map(|s| {
                    format!(
                        "{} ({:?}): {}",
                        s.id,
                        s.clause_tag,
                        s.explanation().unwrap_or_default()
                    )
                })
                .collect();
            format!(
                "{:?} {} {:?} warnings {warnings:?}",
                r.verdict(),
                name(r),
                r.not_judged()
            )
        })
        .collect();
    eprintln!(
        "fapi2-security-profile plan against oidc-provider ({:.1} s):\n{}",
        started.elapsed().as_secs_f64(),
        lines.join("\n")
    );
    assert_eq!(
        failed(&results),
        Vec::<String>::new(),
        "reports in {}",
        reports.display()
    );
    let incomplete: Vec<String> = results
        .iter()
        .filter(|r| r.verdict() == Verdict::Incomplete)
        .map(|r| format!("{}: {:?}", name(r), r.not_judged()))
        .collect();
    assert_eq!(incomplete, Vec::<String>::new());

    // Every warning, by spec, with the clause it cites.
    let warned: BTreeMap<String, Option<String>> = results
        .iter()
        .flat_map(|r| r.specs())
        .filter(|s| s.verdict == Verdict::Warning)
        .map(|s| (s.id.to_string(), s.clause_tag.clone()))
        .collect();
    // None: the provider follows every SHOULD the fapi2-security-profile
    // conformance judges. (`id_token.acr_present` cites FAPI 1.0 Advanced
    // §5.2.2.1, which does not bind a FAPI 2 server, so it is not judged.)
    let want_warned: BTreeMap<String, Option<String>> = BTreeMap::new();
    assert_eq!(warned, want_warned, "warnings\n{}", lines.join("\n"));

    // Every scenario the provider cannot serve, with the reason it names.
    let skipped: BTreeMap<String, String> = results
        .iter()
        .filter(|r| r.verdict() == Verdict::Skipped)
        .map(|r| (name(r), r.not_judged().unwrap_or_default()))
        .collect();
    let want_skipped = [
        // Neither RAR nor request objects are enabled on this server.
        (
            "auth-code/par-authorization-details",
            "`request_parameter_supported: true`",
        ),
        // No tls_client_auth client: this server is the DPoP + private_key_jwt variant.
        (
            "client-credentials/tls-client-auth",
            "no client role `mtls`",
        ),
        // The provider's login page has no PSU who refuses.
        (
            "fapi2/user-rejects-authentication",
            "no `values.login_hint_denied`",
        ),
    ];
    assert_eq!(
        skipped.keys().collect::<Vec<_>>(),
        want_skipped.iter().map(|(n, _)| n).collect::<Vec<_>>(),
        "skipped\n{}",
        lines.join("\n")
    );
    for (n, why) in want_skipped {
        assert!(skipped[n].contains(why), "{n}: {}", skipped[n]);
    }

    // Error pages a person confirms: counted as passed, listed.
    let review = with_verdict(&results, Verdict::Review);
    // oidc-provider shows its "oops! something went wrong" page, with
    // invalid_request_uri for a spent request_uri and invalid_request_object
    // for another client's, rather than redirect: the redirect URI was in the
    // pushed request it will not use (RFC 6749 §4.1.2.1), and each OIDF
    // module accepts that page.
    assert_eq!(
        review,
        [
            "fapi2/par-reused-request-uri",
            "fapi2/par-request-uri-of-another-client",
            "negative/reused-request-uri",
        ],
        "review\n{}",
        lines.join("\n")
    );
    for r in results.iter().filter(|r| r.verdict() == Verdict::Review) {
        let page = r
            .spec("authorize.error_page")
            .expect("the error page judged");
        assert_eq!(page.verdict, Verdict::Review, "{}", name(r));
    }
    // The provider demands DPoP nonces (requireNonce): probity followed
    // `use_dpop_nonce` at PAR, token and UserInfo, and a nonce it never
    // supplied was refused at both servers.
    let spec_of = |scenario: &str, spec: &str| {
        results
            .iter()
            .find(|r| name(r) == scenario)
            .and_then(|r| r.spec(spec))
            .map(|s| s.verdict)
    };
    assert_eq!(
        spec_of("fapi2/happy-flow", "dpop.nonce_supplied"),
        Some(Verdict::Passed)
    );
    for scenario in ["dpop/token-wrong-nonce", "dpop/resource-wrong-nonce"] {
        assert_eq!(
            spec_of(scenario, "dpop.nonce_checked"),
            Some(Verdict::Passed),
            "{scenario}"
        );
    }
    assert_eq!(results.len(), 69, "the plan's scenarios");
    mtls_variant(&provider).await;
    assert!(
        started.elapsed() < std::time::Duration::from_secs(60),
        "{:?}",
        started.elapsed()
    );
    drop(provider);
}

/// The same plan under the OIDF plan's mTLS variant (tls_client_auth,
/// certificate-bound tokens): no failure, no warning; the DPoP and client
/// assertion modules SKIPPED as not applying, the rest as under DPoP.
async fn mtls_variant(provider: &common::oidc_provider::Provider) {
    let target = target_for(provider, "target-fapi2-mtls.yaml");
    assert!(target.tls.identity_pem.is_some());
    let results = run_plan(&target).await;
    let reports = write_reports(
        &target,
        "target-fapi2-mtls.yaml",
        "interop-reports-fapi2-mtls",
        &results,
    );
    for r in &results {
        eprintln!("mTLS: {:?} {} {:?}", r.verdict(), name(r), r.not_judged());
    }
    assert_eq!(
        failed(&results),
        Vec::<String>::new(),
        "reports in {}",
        reports.display()
    );
    let verdict_of = |n: &str| results.iter().find(|r| name(r) == n).map(|r| r.verdict());
    // The mTLS modules themselves: a certificate-bound code flow, and a
    // token request without the certificate refused.
    for n in [
        "fapi2/happy-flow",
        "fapi2/holder-of-key-required",
        "fapi2/refresh-token",
        "client-credentials/tls-client-auth",
    ] {
        assert_eq!(verdict_of(n), Some(Verdict::Passed), "{n}");
    }
    assert_eq!(
        with_verdict(&results, Verdict::Incomplete),
        Vec::<String>::new()
    );
    let warned: Vec<String> = results
        .iter()
        .flat_map(|r| r.specs())
        .filter(|s| s.verdict == Verdict::Warning)
        .map(|s| s.id.to_string())
        .collect();
    assert_eq!(warned, Vec::<String>::new());
    let review = with_verdict(&results, Verdict::Review);
    assert_eq!(
        review,
        [
            "fapi2/par-reused-request-uri",
            "fapi2/par-request-uri-of-another-client"
        ]
    );
    // Each skip names why: a DPoP or client-assertion module under this
    // variant, a DPoP scenario of the plan's dpop suite, the `jwt` role
    // (a private_key_jwt client) this profile does not declare, the PSU who
    // refuses.
    let reasons = [
        "applies only",
        "sends DPoP proofs of its own",
        "no client role `jwt`",
        "login_hint_denied",
    ];
    let unexplained: Vec<String> = results
        .iter()
        .filter(|r| r.verdict() == Verdict::Skipped)
        .filter_map(|r| {
            let why = r.not_judged().unwrap_or_default();
            (!reasons.iter().any(|w| why.contains(w))).then(|| format!("{}: {why}", name(r)))
        })
        .collect();
    assert_eq!(unexplained, Vec::<String>::new());
    let passed = results
        .iter()
        .filter(|r| matches!(r.verdict(), Verdict::Passed | Verdict::Review))
        .count();
    assert_eq!(passed, 34, "judged under mTLS");
}
