//! Helpers shared by the integration tests.
#![allow(dead_code)]

use probity::bank::{BankConfig, Fault, FaultSet, RunningBank};
use probity::http::HttpClient;
use probity::runner::{plan, run_scenario, ScenarioResult};
use probity::suite::load_suite;
use probity::target::Target;
use std::path::Path;
use std::sync::Arc;

/// Starts a bank with the given faults.
pub async fn bank(faults: &[Fault]) -> RunningBank {
    RunningBank::start(BankConfig {
        faults: FaultSet::of(faults.iter().copied()),
        ..BankConfig::default()
    })
    .await
    .expect("the bank starts")
}

/// Runs one scenario of a suite file in `suites/` against a target.
pub async fn run(target: &Target, suite_file: &str, scenario: &str) -> ScenarioResult {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("suites")
        .join(suite_file);
    let suite = load_suite(&path).expect("the shipped suite loads");
    run_loaded(target, &suite, scenario).await
}

/// Runs one scenario of a loaded suite against a target.
pub async fn run_loaded(
    target: &Target,
    suite: &probity::suite::Suite,
    scenario: &str,
) -> ScenarioResult {
    let job = plan(
        std::slice::from_ref(suite),
        &[format!("{}/{scenario}", suite.name)],
    )
    .pop()
    .unwrap_or_else(|| panic!("scenario {scenario} exists"));
    let client =
        Arc::new(HttpClient::new(&target.tls, target.http.clone()).expect("client builds"));
    run_scenario(&job, target, client).await
}

/// The verdict of a spec, with a readable panic when it is missing.
pub fn verdict(r: &ScenarioResult, id: &str) -> probity::specs::Verdict {
    r.spec(id)
        .unwrap_or_else(|| {
            panic!(
                "spec {id} was not judged; specs: {:?}",
                r.specs().map(|s| &s.id).collect::<Vec<_>>()
            )
        })
        .verdict
}

/// Failed specs with their explanations, for assertion messages.
pub fn failures(r: &ScenarioResult) -> Vec<String> {
    r.specs()
        .filter(|s| s.verdict != probity::specs::Verdict::Passed)
        .map(|s| {
            format!(
                "{:?} {}: {}",
                s.verdict,
                s.id,
                s.explanation().unwrap_or_default()
            )
        })
        .collect()
}
