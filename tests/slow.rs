//! Slow scenarios: left out of runs unless `--slow` or `--only` names them,
//! and proven on the embedded bank with their waits running concurrently.

mod common;

use probity::bank::{BankConfig, FaultSet, RunningBank};
use probity::plans::Conformance;
use probity::runner::{plan_under, plan_with};
use probity::specs::Verdict;
use probity::suite::load_suites;
use std::path::Path;

const SLOW: &[&str] = &[
    "fapi2/expired-auth-code",
    "fapi2/par-expired-request-uri",
    "oidcc/code-reuse-after-30-seconds",
];

#[test]
fn slow_scenarios_run_only_when_asked_for() {
    let suites = load_suites(&[Path::new(env!("CARGO_MANIFEST_DIR")).join("suites")]).unwrap();
    let names = |jobs: Vec<probity::runner::Job>| -> Vec<String> {
        jobs.iter().map(|j| j.name()).collect()
    };
    let default = names(plan_under(&suites, &[], Conformance::All));
    let by_suite = names(plan_under(&suites, &["fapi2".into()], Conformance::All));
    let with_slow = names(plan_with(&suites, &[], Conformance::All, true));
    for s in SLOW {
        assert!(!default.contains(&s.to_string()), "{s} runs by default");
        assert!(
            !by_suite.contains(&s.to_string()),
            "{s} runs with its suite"
        );
        assert!(
            with_slow.contains(&s.to_string()),
            "{s} missing under --slow"
        );
        let named = names(plan_under(&suites, &[s.to_string()], Conformance::All));
        assert_eq!(named, vec![s.to_string()], "--only {s}");
    }
    let all_slow: Vec<&String> = with_slow.iter().filter(|n| !default.contains(n)).collect();
    assert_eq!(all_slow.len(), SLOW.len(), "{all_slow:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_slow_scenarios_pass_on_the_bank_waiting_side_by_side() {
    // A request_uri that lives 3 s, so its expiry takes seconds, not 90.
    let bank = RunningBank::start(BankConfig {
        faults: FaultSet::none(),
        request_uri_lifetime_s: Some(3),
        ..BankConfig::default()
    })
    .await
    .unwrap();
    let target = bank.target();
    let start = std::time::Instant::now();
    let runs = SLOW.iter().map(|name| {
        let (suite, scenario) = name.split_once('/').unwrap();
        let target = target.clone();
        async move {
            (
                name,
                common::run(&target, &format!("{suite}.yaml"), scenario).await,
            )
        }
    });
    for (name, r) in futures::future::join_all(runs).await {
        assert!(
            matches!(r.verdict(), Verdict::Passed | Verdict::Review),
            "{name}: {:?} {:?}",
            r.verdict(),
            common::failures(&r)
        );
    }
    let took = start.elapsed().as_secs();
    // Side by side: the 62 s wait for the code to expire bounds the whole,
    // not 62 + 30 + 4.
    assert!((62..67).contains(&took), "took {took} s");
}
