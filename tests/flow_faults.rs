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
            let want = if spec.severity == Severity::Failure {
                Verdict::Failed
            } else {
                Verdict::Warning
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
