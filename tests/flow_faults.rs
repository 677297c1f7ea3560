//! Every authorization-flow spec fails (or warns) under a bank fault, with
//! a reason, in a shipped suite scenario that passes without the fault.

mod common;

use probity::specs::{Severity, Verdict};

/// Specs proven elsewhere: `request.answered` by tests/hostile.rs (a target
/// that times out, cuts or refuses the connection); the schema specs by
/// tests/schema.rs (they need a target that names OpenAPI files);
/// `runner.completed` by the runner's unit tests (it needs a bug in probity).
const PROVEN_ELSEWHERE: &[&str] = &[
    "request.answered",
    "runner.completed",
    "schema.response_valid",
    "schema.request_valid",
];

#[test]
fn every_catalogue_spec_has_a_fault_that_breaks_it() {
    for spec in probity::specs::catalogue() {
        let covered = common::DISCOVERY_MATRIX
            .iter()
            .any(|(_, id)| *id == spec.id)
            || common::FLOW_MATRIX
                .iter()
                .any(|(_, _, _, id)| *id == spec.id)
            || common::FAPI2_MATRIX
                .iter()
                .any(|(_, _, broken)| broken.iter().any(|(id, _)| *id == spec.id))
            || PROVEN_ELSEWHERE.contains(&spec.id);
        assert!(covered, "no fault breaks {}", spec.id);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_flow_fault_breaks_its_spec() {
    // Each fault gets its own bank; they run concurrently (the decoupled ones mostly wait).
    let checks = common::FLOW_MATRIX
        .iter()
        .map(|(fault, suite, scenario, id)| async move {
            let bank = common::bank(&[*fault]).await;
            let r = common::run(&bank.target(), suite, scenario).await;
            let spec = probity::specs::find(id).expect("catalogue spec");
            let want = match spec.severity {
                Severity::Failure => Verdict::Failed,
                Severity::Warning => Verdict::Warning,
                Severity::Info => Verdict::Review,
            };
            let found = r
                .specs()
                .find(|s| s.id == *id && s.verdict == want)
                .cloned();
            let problem = match found {
                Some(s) if s.explanation().is_some() => None,
                Some(_) => Some(format!("{} breaks {id} without a reason", fault.name())),
                None => Some(format!(
                    "{} should make {id} {want:?} in {suite}/{scenario}; got {:?}",
                    fault.name(),
                    common::failures(&r)
                )),
            };
            problem
        });
    let problems: Vec<String> = futures::future::join_all(checks)
        .await
        .into_iter()
        .flatten()
        .collect();
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The `aud` of the client assertion in the last request to `path`.
fn assertion_aud(r: &probity::runner::ScenarioResult, path: &str) -> String {
    let body = r
        .steps
        .iter()
        .flat_map(|s| &s.exchanges)
        .rfind(|e| e.request.url.ends_with(path))
        .and_then(|e| e.request.body.clone())
        .unwrap_or_else(|| panic!("no request to {path}"));
    let jwt = url::form_urlencoded::parse(body.as_bytes())
        .find(|(k, _)| k == "client_assertion")
        .map(|(_, v)| v.into_owned())
        .unwrap_or_else(|| panic!("no client_assertion in {body}"));
    let (_, claims) = probity::jose::decode_unverified(&jwt).unwrap();
    claims["aud"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn the_profile_chooses_the_client_assertion_audience_and_the_bank_accepts_rfc_7523s() {
    use probity::target::ClientAssertionAudience::*;
    let bank = common::bank(&[]).await;
    let with = |choice| {
        let mut t = bank.target();
        t.clients.get_mut("jwt").unwrap().assertion_audience = choice;
        t
    };
    // The default: the issuer (FAPI 2).
    let r = common::run(&bank.target(), "client-credentials.yaml", "private-key-jwt").await;
    assert_eq!(assertion_aud(&r, "/token"), bank.issuer);
    // The token endpoint URL, which RFC 7523 §3 allows: the bank accepts it.
    let r = common::run(
        &with(TokenEndpoint),
        "client-credentials.yaml",
        "private-key-jwt",
    )
    .await;
    assert!(
        common::failures(&r).is_empty(),
        "{:?}",
        common::failures(&r)
    );
    assert_eq!(
        assertion_aud(&r, "/token"),
        format!("{}/token", bank.issuer)
    );
    // The endpoint called: the PAR URL for PAR, the token endpoint for the token request.
    let r = common::run(&with(Endpoint), "auth-code.yaml", "par").await;
    assert!(
        common::failures(&r).is_empty(),
        "{:?}",
        common::failures(&r)
    );
    assert_eq!(assertion_aud(&r, "/par"), format!("{}/par", bank.issuer));
    assert_eq!(
        assertion_aud(&r, "/token"),
        format!("{}/token", bank.issuer)
    );
    // A step's own `assertion_audience:` still wins: another server's aud is refused.
    let r = common::run(
        &with(TokenEndpoint),
        "negative.yaml",
        "client-assertion-wrong-aud",
    )
    .await;
    assert_eq!(common::verdict(&r, "token.rejected"), Verdict::Passed);
    assert_eq!(
        assertion_aud(&r, "/token"),
        "https://another-server.example"
    );
}
