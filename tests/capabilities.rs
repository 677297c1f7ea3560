//! Honest verdicts: a scenario the target cannot serve is SKIPPED with the
//! capability named, one whose point never ran is INCOMPLETE, and a refusal
//! after a failed step is not counted as proof.

mod common;

use probity::specs::Verdict;

#[tokio::test]
async fn a_response_type_the_aspsp_does_not_advertise_skips_the_scenario() {
    let bank = common::bank(&[]).await;
    let r = common::run_yaml(&bank.target(), "suite: hybrid\nscenarios:\n  - id: code-token\n    name: Hybrid code token\n    steps:\n      - discovery: {}\n      - authorize: { client: jwt, scope: openid accounts, response_type: code token }\n", "code-token").await;
    assert_eq!(r.verdict(), Verdict::Skipped, "{:?}", r.not_judged());
    let why = r.not_judged().unwrap_or_default();
    assert!(
        why.contains("`code token` in `response_types_supported`"),
        "{why}"
    );
    // It stopped before the authorization request: only discovery ran.
    assert_eq!(r.steps.len(), 1);
}

#[tokio::test]
async fn a_missing_client_role_skips_persisted_consent_before_any_request() {
    let bank = common::bank(&[]).await;
    let mut target = bank.target();
    target.clients.remove("interactive");
    let r = common::run(&target, "persisted-consent.yaml", "authorization-persisted").await;
    assert_eq!(r.verdict(), Verdict::Skipped);
    assert!(r.steps.is_empty());
    let why = r.not_judged().unwrap_or_default();
    assert!(why.contains("no client role `interactive`"), "{why}");
}

#[tokio::test]
async fn a_scenario_whose_point_did_not_run_is_incomplete() {
    let bank = common::bank(&[]).await;
    // `from: authorize` after a plain code flow: there is no front-channel
    // ID token, so the checks are skipped, and nothing failed.
    let r = common::run_yaml(&bank.target(), "suite: incomplete\nscenarios:\n  - id: front\n    name: Front-channel ID token\n    steps:\n      - discovery: {}\n      - authorize: { client: jwt, scope: openid accounts }\n      - id_token: { client: jwt, from: authorize }\n", "front").await;
    assert_eq!(r.counts().failed, 0, "{:?}", common::failures(&r));
    assert_eq!(r.verdict(), Verdict::Incomplete);
    assert!(r.not_judged().unwrap_or_default().contains("did not run"));
}

#[tokio::test]
async fn refusing_every_assertion_does_not_pass_the_wrong_aud_test() {
    let bank = common::bank(&[probity::bank::Fault::ClientAuthAssertionsRefused]).await;
    let r = common::run(
        &bank.target(),
        "negative.yaml",
        "client-assertion-wrong-aud",
    )
    .await;
    assert_ne!(r.verdict(), Verdict::Passed);
    let rejected = r.spec("token.rejected").expect("judged");
    assert_eq!(rejected.verdict, Verdict::Skipped);
    assert!(rejected
        .reason
        .as_deref()
        .unwrap_or_default()
        .contains("proves nothing"));
    // Without the fault the same scenario passes.
    let bank = common::bank(&[]).await;
    let r = common::run(
        &bank.target(),
        "negative.yaml",
        "client-assertion-wrong-aud",
    )
    .await;
    assert_eq!(r.verdict(), Verdict::Passed, "{:?}", common::failures(&r));
}

#[test]
fn skipped_and_incomplete_scenarios_are_counted_in_every_output() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("mixed.yaml");
    std::fs::write(
        &file,
        "suite: mixed\nscenarios:\n  - id: code-token\n    name: Hybrid code token\n    steps:\n      - discovery: {}\n      - authorize: { client: jwt, scope: openid accounts, response_type: code token }\n  - id: front\n    name: Front-channel ID token\n    steps:\n      - discovery: {}\n      - authorize: { client: jwt, scope: openid accounts }\n      - id_token: { client: jwt, from: authorize }\n",
    )
    .expect("write");
    let out_dir = dir.path().join("out");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_probity"))
        .arg("run")
        .arg(&file)
        .arg("--out")
        .arg(&out_dir)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("probity runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stdout}{stderr}");
    assert!(
        stdout.contains("(0 passed, 0 failed, 1 skipped, 1 incomplete)"),
        "{stdout}"
    );
    assert!(
        stderr.contains("SKIPPED: the ASPSP does not advertise"),
        "{stderr}"
    );
    let read = |n: &str| std::fs::read_to_string(out_dir.join(n)).expect(n);
    let junit = read("junit.xml");
    assert_eq!(junit.matches("<skipped").count(), 2, "{junit}");
    assert!(junit.contains("INCOMPLETE: did not run"), "{junit}");
    let summary = read("summary.md");
    assert!(
        summary.contains("0 passed, 0 failed, 1 skipped"),
        "{summary}"
    );
    let json: serde_json::Value = serde_json::from_str(&read("report.json")).expect("json");
    assert_eq!(json["summary"]["scenario_counts"]["incomplete"], 1);
    assert_eq!(json["summary"]["verdict"], "INCOMPLETE");
}

#[tokio::test]
async fn a_scope_or_claim_the_aspsp_does_not_list_skips_the_scenario_with_it_named() {
    let bank = common::bank(&[]).await;
    let yaml = "suite: caps\nscenarios:\n  - id: profile\n    name: An unlisted scope\n    steps:\n      - discovery: {}\n      - authorize: { scope: openid galaxy }\n  - id: claim\n    name: A claim\n    steps:\n      - discovery: {}\n      - authorize:\n          scope: openid\n          claims: { id_token: { birthdate: { essential: true } } }\n  - id: listed\n    name: Listed scope and claim\n    steps:\n      - discovery: {}\n      - authorize:\n          scope: openid accounts\n          claims: { id_token: { acr: { essential: true } } }\n";
    let r = common::run_yaml(&bank.target(), yaml, "profile").await;
    assert_eq!(r.verdict(), Verdict::Skipped);
    let why = r.not_judged().unwrap_or_default();
    assert!(why.contains("`galaxy` in `scopes_supported`"), "{why}");
    let r = common::run_yaml(&bank.target(), yaml, "claim").await;
    assert_eq!(r.verdict(), Verdict::Skipped);
    let why = r.not_judged().unwrap_or_default();
    assert!(why.contains("`birthdate` in `claims_supported`"), "{why}");
    let r = common::run_yaml(&bank.target(), yaml, "listed").await;
    assert_eq!(r.verdict(), Verdict::Passed, "{:?}", common::failures(&r));
}
