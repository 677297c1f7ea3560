//! OpenAPI schema validation against the OBIE v3.1.11 and v4.0 files: the
//! reference bank's payment and account bodies conform, a schema-violating
//! body fails `schema.response_valid` with the JSON path of the violation,
//! and the `obie` plan holds under either version with zero violations in
//! probity's own requests.

mod common;

use probity::bank::{Fault, RunningBank};
use probity::openapi::SchemaBook;
use probity::specs::Verdict;
use std::path::Path;
use std::sync::Arc;

fn obie_book() -> Arc<SchemaBook> {
    book_in(&Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/openapi"))
}

/// The two OBIE files of one version.
fn book_in(dir: &Path) -> Arc<SchemaBook> {
    let files = [
        dir.join("payment-initiation-openapi.yaml"),
        dir.join("account-info-openapi.yaml"),
    ];
    let paths: Vec<&Path> = files.iter().map(|p| p.as_path()).collect();
    Arc::new(SchemaBook::load(&paths).expect("the OBIE files load"))
}

fn target(bank: &RunningBank) -> probity::target::Target {
    let mut t = bank.target();
    t.openapi = Some(obie_book());
    t
}

fn schema_results(r: &probity::runner::ScenarioResult) -> Vec<probity::specs::SpecResult> {
    r.specs()
        .filter(|s| s.id.starts_with("schema."))
        .cloned()
        .collect()
}

#[tokio::test]
async fn the_banks_obie_bodies_conform() {
    let bank = common::bank(&[]).await;
    let t = target(&bank);
    for (suite, scenario, at_least) in [
        ("payments-obie.yaml", "domestic-payment", 6),
        ("accounts-obie.yaml", "accounts-balances-transactions", 6),
    ] {
        let r = common::run(&t, suite, scenario).await;
        let checks = schema_results(&r);
        let bad: Vec<String> = checks
            .iter()
            .filter(|s| s.verdict != Verdict::Passed)
            .map(|s| format!("{s:?}"))
            .collect();
        assert!(bad.is_empty(), "{suite}: {}", bad.join("\n"));
        assert!(
            checks.len() >= at_least,
            "{suite}: only {} bodies were validated",
            checks.len()
        );
        assert!(
            common::failures(&r).is_empty(),
            "{:?}",
            common::failures(&r)
        );
    }
}

#[tokio::test]
async fn a_schema_violation_fails_with_its_json_path() {
    let bank = common::bank(&[Fault::PaymentSchemaViolation]).await;
    let r = common::run(&target(&bank), "payments-obie.yaml", "domestic-payment").await;
    let clean = common::bank(&[]).await;
    let without = common::run(&target(&clean), "payments-obie.yaml", "domestic-payment").await;
    // Exactly these: the status outside the schema's enum is also not the
    // status a new consent must have.
    assert_eq!(
        common::newly_broken(&r, &without),
        ["consent.created Failed", "schema.response_valid Failed"]
    );
    let failed: Vec<_> = schema_results(&r)
        .into_iter()
        .filter(|s| s.verdict == Verdict::Failed)
        .collect();
    assert!(!failed.is_empty(), "no schema failure");
    let text = format!("{failed:?}");
    assert!(text.contains("$.Data.Status"), "{text}");
    assert!(text.contains("CreateDomesticPaymentConsents"), "{text}");
}

#[test]
fn an_unreadable_openapi_file_is_a_located_profile_error() {
    let dir = tempfile::tempdir().unwrap();
    let profile = dir.path().join("target.yaml");
    std::fs::write(
        &profile,
        "issuer: https://bank.example\nclient: { id: c, auth_method: none }\nopenapi:\n  - missing.yaml\n",
    )
    .unwrap();
    let err = probity::target::load_target(&profile)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("target.yaml:4:") && err.contains("missing.yaml"),
        "{err}"
    );
}

#[tokio::test]
async fn a_request_body_the_schema_rejects_is_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad-request.yaml");
    std::fs::write(
        &path,
        r#"suite: bad-request
scenarios:
  - id: consent-without-identification
    name: A consent whose Initiation lacks the required identifications
    steps:
      - discovery: {}
      - client_credentials: { client: jwt, scope: payments }
      - consent:
          kind: obie_payment
          client: jwt
          url: "{{ target.api_base }}/open-banking/v3.1/pisp/domestic-payment-consents"
          json: { Data: { Initiation: { InstructedAmount: { Amount: "1.00", Currency: "GBP" } } }, Risk: {} }
"#,
    )
    .unwrap();
    let suite = probity::suite::load_suite(&path).unwrap();
    let bank = common::bank(&[]).await;
    let r = common::run_loaded(&target(&bank), &suite, "consent-without-identification").await;
    let warned = schema_results(&r)
        .into_iter()
        .find(|s| s.id == "schema.request_valid")
        .expect("the request body was checked");
    assert_eq!(warned.verdict, Verdict::Warning, "{warned:?}");
    let text = format!("{warned:?}");
    assert!(text.contains("InstructionIdentification"), "{text}");
}

#[tokio::test]
async fn a_dropped_required_response_header_fails_with_its_name() {
    let bank = common::bank(&[Fault::PaymentInteractionIdDropped]).await;
    let r = common::run(&target(&bank), "payments-obie.yaml", "domestic-payment").await;
    let clean = common::bank(&[]).await;
    let without = common::run(&target(&clean), "payments-obie.yaml", "domestic-payment").await;
    assert_eq!(
        common::newly_broken(&r, &without),
        ["schema.response_valid Failed"]
    );
    let failed: Vec<_> = schema_results(&r)
        .into_iter()
        .filter(|s| s.id == "schema.response_valid" && s.verdict == Verdict::Failed)
        .collect();
    assert!(!failed.is_empty(), "no header failure");
    let text = format!("{failed:?}");
    assert!(
        text.contains("header x-fapi-interaction-id: required, and missing"),
        "{text}"
    );
}

#[tokio::test]
async fn every_request_probity_sends_in_the_open_banking_suites_is_valid_headers_included() {
    let bank = common::bank(&[]).await;
    let t = target(&bank);
    for (suite, scenario) in [
        ("payments-obie.yaml", "domestic-payment"),
        ("accounts-obie.yaml", "accounts-balances-transactions"),
        ("accounts-obie.yaml", "permissions-limit-reads"),
    ] {
        let r = common::run(&t, suite, scenario).await;
        let requests: Vec<_> = schema_results(&r)
            .into_iter()
            .filter(|s| s.id == "schema.request_valid")
            .collect();
        assert!(
            !requests.is_empty(),
            "{suite}/{scenario}: no request was checked"
        );
        let bad: Vec<String> = requests
            .iter()
            .filter(|s| s.verdict != Verdict::Passed)
            .map(|s| format!("{:?}", s.actual))
            .collect();
        assert!(
            bad.is_empty(),
            "{suite}/{scenario}: probity's own requests: {bad:?}"
        );
    }
}

#[tokio::test]
async fn a_request_without_a_required_header_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("unsigned.yaml");
    std::fs::write(&path, common::UNSIGNED_CONSENT_SUITE).unwrap();
    let suite = probity::suite::load_suite(&path).unwrap();
    let bank = common::bank(&[]).await;
    let r = common::run_loaded(&target(&bank), &suite, "consent-without-signature").await;
    let warned = schema_results(&r)
        .into_iter()
        .find(|s| s.id == "schema.request_valid")
        .expect("the request was checked");
    assert_eq!(warned.verdict, Verdict::Warning, "{warned:?}");
    let text = format!("{warned:?}");
    assert!(
        text.contains("header x-jws-signature: required, and missing"),
        "{text}"
    );
}

/// Runs the shipped `obie` plan against the embedded bank under
/// `ob_version`, every exchange validated against the OBIE files in `dir`:
/// every scenario must pass outright, every request probity sends must be
/// valid, every answer of the bank too. Returns the payment statuses seen.
async fn the_obie_plan_holds(ob_version: &str, dir: &Path) -> String {
    use probity::runner::{plan_under, run_scenario};
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let suites = probity::suite::load_suites(&[root.join("suites")]).expect("suites");
    let plans = probity::plans::load_plans(&root.join("plans")).expect("plans");
    let obie = plans
        .iter()
        .find(|p| p.id == "obie")
        .expect("the obie plan");
    let bank = common::bank(&[]).await;
    let mut t = bank.target();
    t.openapi = Some(book_in(dir));
    t.values.ob_version = ob_version.to_string();
    let client = Arc::new(probity::http::HttpClient::new(&t.tls, t.http.clone()).expect("client"));
    let jobs = plan_under(&suites, &obie.selectors(), obie.conformance);
    assert!(
        jobs.len() >= 5,
        "the obie plan has {} scenarios",
        jobs.len()
    );
    let runs = jobs.iter().map(|job| {
        let (t, client) = (&t, client.clone());
        async move { (job.name(), run_scenario(job, t, client).await) }
    });
    let mut problems = Vec::new();
    let (mut requests, mut responses, mut statuses) = (0, 0, String::new());
    for (name, r) in futures::future::join_all(runs).await {
        if r.verdict() != Verdict::Passed {
            problems.push(format!(
                "{name} is {:?}: {:?} {:?}",
                r.verdict(),
                r.not_judged(),
                common::failures(&r)
            ));
        }
        for s in schema_results(&r) {
            match s.id.as_str() {
                "schema.request_valid" => requests += 1,
                _ => responses += 1,
            }
            if s.verdict != Verdict::Passed {
                problems.push(format!("{name}: {} {:?}", s.id, s.actual));
            }
        }
        if let Some(s) = r.spec("payment.terminal_status") {
            statuses.push_str(s.reason.as_deref().unwrap_or_default());
        }
    }
    assert!(
        problems.is_empty(),
        "{ob_version}:\n{}",
        problems.join("\n")
    );
    // Every consent, payment, status read and account read was validated.
    assert!(
        requests >= 15,
        "{ob_version}: only {requests} requests validated"
    );
    assert!(
        responses >= 15,
        "{ob_version}: only {responses} answers validated"
    );
    statuses
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_obie_plan_holds_under_v3_1_with_the_v3_1_11_files() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/openapi");
    let statuses = the_obie_plan_holds("v3.1", &dir).await;
    assert!(
        statuses.contains("AcceptedSettlementCompleted"),
        "{statuses}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_obie_plan_holds_under_v4_0_with_the_v4_0_files() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/openapi/v4.0");
    let statuses = the_obie_plan_holds("v4.0", &dir).await;
    // The ISO 20022 codes, not the v3.1 words.
    assert!(statuses.contains("ACSP → ACSC"), "{statuses}");
}

#[tokio::test]
async fn v3_1_answers_fail_the_v4_0_schemas() {
    // Proof that the v4.0 check discriminates: the v4.0 files re-based on
    // the v3.1 paths judge the bank's v3.1 answers, and its v3.1 words
    // (`AwaitingAuthorisation`, `AccountType`) are not v4.0's.
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/openapi/v4.0");
    let dir = tempfile::tempdir().unwrap();
    for file in [
        "payment-initiation-openapi.yaml",
        "account-info-openapi.yaml",
    ] {
        let text = std::fs::read_to_string(src.join(file)).unwrap();
        assert!(text.contains("url: /open-banking/v4.0/"), "{file}");
        let rebased = text.replace("url: /open-banking/v4.0/", "url: /open-banking/v3.1/");
        std::fs::write(dir.path().join(file), rebased).unwrap();
    }
    let bank = common::bank(&[]).await;
    let mut t = bank.target();
    t.openapi = Some(book_in(dir.path()));
    let r = common::run(&t, "accounts-obie.yaml", "accounts-balances-transactions").await;
    let failed: Vec<String> = schema_results(&r)
        .into_iter()
        .filter(|s| s.id == "schema.response_valid" && s.verdict == Verdict::Failed)
        .map(|s| format!("{:?}", s.actual))
        .collect();
    let text = failed.join("\n");
    assert!(text.contains("$.Data.Status"), "{text}");
    assert!(text.contains("AccountType"), "{text}");
}
