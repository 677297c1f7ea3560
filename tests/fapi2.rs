//! The FAPI 2.0 Security Profile suite: it passes on the embedded bank under
//! every FAPI 2 variant (both sender constraints, both client
//! authentications), skips with a reason what a variant cannot judge, and
//! each bank fault of a FAPI 2 rule fails exactly the specs it breaks.

mod common;

use probity::specs::Verdict;
use probity::target::{ClientAuthMethod, RequestStyle, SenderConstraint, Target, Variant};
use std::collections::BTreeSet;

fn suite() -> probity::suite::Suite {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("suites/fapi2.yaml");
    probity::suite::load_suite(&path).expect("the fapi2 suite loads")
}

/// The bank's target under a declared FAPI 2 variant, its default client
/// being the FAPI 2 client of that authentication method.
fn declared(t: &Target, auth: ClientAuthMethod, sender: SenderConstraint) -> Target {
    let mut t = t.clone();
    // The bank's certificate-authenticated client for DPoP is registered
    // with `dpop_bound_access_tokens`: its certificate binds no token.
    let role = match (auth, sender) {
        (ClientAuthMethod::TlsClientAuth, SenderConstraint::Dpop) => "fapi2-mtls-dpop",
        (ClientAuthMethod::TlsClientAuth, _) => "fapi2-mtls",
        _ => "fapi2",
    };
    t.client = t.client_named(Some(role)).expect("bank client").clone();
    t.variant = Variant {
        client_auth: Some(auth),
        sender_constraint: sender,
        request_style: RequestStyle::Par,
        response_mode: None,
        declared: true,
    };
    t
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_suite_passes_under_every_fapi2_variant_and_skips_what_a_variant_cannot_judge() {
    let bank = common::bank(&[]).await;
    let base = bank.target();
    let suite = suite();
    use ClientAuthMethod::*;
    use SenderConstraint::*;
    let runs = [
        ("no variant (the suite's stand-in)", base.clone()),
        (
            "private_key_jwt + DPoP",
            declared(&base, PrivateKeyJwt, Dpop),
        ),
        (
            "private_key_jwt + mTLS",
            declared(&base, PrivateKeyJwt, Mtls),
        ),
        (
            "tls_client_auth + mTLS",
            declared(&base, TlsClientAuth, Mtls),
        ),
        (
            "tls_client_auth + DPoP",
            declared(&base, TlsClientAuth, Dpop),
        ),
    ];
    for (label, target) in runs {
        let mut passed = 0;
        let mut skipped = Vec::new();
        // The slow ones (a request_uri left to expire) are proven in tests/slow.rs.
        for s in suite.scenarios.iter().filter(|s| !s.slow) {
            let r = common::run_loaded(&target, &suite, &s.id.value).await;
            match r.verdict() {
                Verdict::Passed | Verdict::Review => passed += 1,
                Verdict::Skipped => skipped.push((s.id.value.clone(), r.not_judged())),
                other => panic!(
                    "{label}: {} is {other:?}: {:?} {:?}",
                    s.id.value,
                    r.not_judged(),
                    common::failures(&r)
                ),
            }
        }
        let dpop_only = suite
            .scenarios
            .iter()
            .filter(|s| s.requires.sender_constraint == Some(Dpop))
            .count();
        let assertion_only = suite
            .scenarios
            .iter()
            .filter(|s| s.requires.client_auth == Some(PrivateKeyJwt))
            .count();
        let want_skipped = match (target.variant.sender_constraint, target.client.auth_method) {
            (Mtls, TlsClientAuth) => dpop_only + assertion_only,
            (Mtls, _) => dpop_only,
            (_, TlsClientAuth) => assertion_only,
            _ => 0,
        };
        assert_eq!(skipped.len(), want_skipped, "{label}: skipped {skipped:?}");
        assert!(
            skipped
                .iter()
                .all(|(_, why)| why.as_deref().is_some_and(|w| w.contains("applies only"))),
            "{label}: {skipped:?}"
        );
        let quick = suite.scenarios.iter().filter(|s| !s.slow).count();
        assert_eq!(passed + skipped.len(), quick, "{label}");
    }
}

/// A target whose FAPI 2 client completes without a page: a headless
/// PSU, as the bank's `private_key_jwt` client has.
fn headless(bank: &probity::bank::RunningBank) -> Target {
    let mut target = bank.target();
    let client = target
        .client_named(Some("jwt"))
        .expect("bank client")
        .clone();
    target.clients.insert("fapi2".into(), client);
    target
}

#[tokio::test]
async fn a_reload_before_completion_is_tolerated_and_skipped_without_pages() {
    let scenario = "par-reused-request-uri-before-completion";
    let bank = common::bank(&[]).await;
    let r = common::run_loaded(&bank.target(), &suite(), scenario).await;
    assert_eq!(r.verdict(), Verdict::Passed, "{:?}", common::failures(&r));
    let visits: Vec<&str> = r.steps[1]
        .exchanges
        .iter()
        .map(|e| e.stage.as_str())
        .collect();
    assert!(
        visits.iter().any(|s| s.contains("a first visit, left")),
        "{visits:?}"
    );
    assert_eq!(
        r.spec("par.reload_tolerated").map(|s| s.verdict),
        Some(Verdict::Passed)
    );

    // A refusal (fault `par.request_uri_spent_at_first_visit`) is in
    // FAPI2_MATRIX: a warning, and nothing else.

    // A PSU without pages: the first visit completes, so nothing is judged.
    let r = common::run_loaded(&headless(&bank), &suite(), scenario).await;
    assert_eq!(r.verdict(), Verdict::Skipped, "{:?}", common::failures(&r));
    let why = r.not_judged().unwrap_or_default();
    assert!(why.contains("no visit can come before completion"), "{why}");
}

#[tokio::test]
async fn the_rs256_assertion_module_skips_a_client_whose_key_is_not_an_rsa_ps256_key() {
    let bank = common::bank(&[]).await;
    let mut target = bank.target();
    // The second FAPI 2 client's key is EC (ES256).
    let ec = target.client_named(Some("fapi2-second")).unwrap().clone();
    target.clients.insert("fapi2".into(), ec);
    let r = common::run_loaded(&target, &suite(), "client-assertion-rs256").await;
    assert_eq!(r.verdict(), Verdict::Skipped, "{:?}", common::failures(&r));
    let why = r.not_judged().unwrap_or_default();
    assert!(why.contains("signs with ES256"), "{why}");
    assert!(r.steps.is_empty(), "no request was sent");
}

#[tokio::test]
async fn the_refresh_module_skips_when_no_refresh_token_is_issued_as_oidf_does() {
    let bank = common::bank(&[probity::bank::Fault::TokenNoRefreshToken]).await;
    let r = common::run_loaded(&bank.target(), &suite(), "refresh-token").await;
    assert_eq!(r.verdict(), Verdict::Skipped, "{:?}", common::failures(&r));
    let why = r.not_judged().unwrap_or_default();
    assert!(why.contains("issued no refresh token"), "{why}");
    let clean = common::bank(&[]).await;
    let r = common::run_loaded(&clean.target(), &suite(), "refresh-token").await;
    assert_eq!(r.verdict(), Verdict::Passed, "{:?}", common::failures(&r));
}

#[tokio::test]
async fn a_declared_variant_fapi2_cannot_certify_skips_the_suite_citing_the_clause() {
    let bank = common::bank(&[]).await;
    let mut target = bank.target();
    target.variant = Variant {
        declared: true,
        ..Variant::default()
    };
    let r = common::run_loaded(&target, &suite(), "happy-flow").await;
    assert_eq!(r.verdict(), Verdict::Skipped);
    let why = r.not_judged().unwrap_or_default();
    assert!(
        why.contains("fapi2-security-profile") && why.contains("§5.3.2.2"),
        "{why}"
    );
}

/// `(spec id, verdict)` of every spec that failed, warned or asks for review.
fn not_passed(r: &probity::runner::ScenarioResult) -> BTreeSet<(String, String)> {
    r.specs()
        .filter(|s| !matches!(s.verdict, Verdict::Passed | Verdict::Skipped))
        .map(|s| (s.id.to_string(), format!("{:?}", s.verdict)))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_fapi2_fault_changes_exactly_the_specs_it_declares() {
    let clean = common::bank(&[]).await;
    let suite = suite();
    let mut problems = Vec::new();
    for (fault, scenario, want) in common::FAPI2_MATRIX {
        let baseline = not_passed(&common::run_loaded(&clean.target(), &suite, scenario).await);
        let bank = common::bank(&[*fault]).await;
        let r = common::run_loaded(&bank.target(), &suite, scenario).await;
        let got: BTreeSet<_> = not_passed(&r).difference(&baseline).cloned().collect();
        let want: BTreeSet<_> = want
            .iter()
            .map(|(id, v)| (id.to_string(), format!("{v:?}")))
            .collect();
        if got != want {
            problems.push(format!(
                "{} in {scenario}: changed {got:?}, declared {want:?}",
                fault.name()
            ));
        }
        let unexplained = r
            .specs()
            .filter(|s| s.verdict == Verdict::Failed && s.explanation().is_none())
            .count();
        if unexplained > 0 {
            problems.push(format!("{} fails a spec without a reason", fault.name()));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
