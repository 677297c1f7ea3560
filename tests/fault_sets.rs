//! The exact set of specs each bank fault breaks. For every fault of the
//! discovery and flow matrices, its scenario runs on a clean bank and on one
//! with the fault; every spec whose verdict becomes FAILED, WARNING or
//! REVIEW is listed. The committed golden file declares those sets: a fault
//! that breaks more than it should, or less, changes the file and fails the
//! test. (The FAPI 2 faults have their sets in `common::FAPI2_MATRIX`.)

mod common;

use std::collections::{BTreeMap, BTreeSet};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_fault_breaks_exactly_the_specs_the_golden_file_declares() {
    let mut cases: Vec<(probity::bank::Fault, &str, &str, &str)> = common::DISCOVERY_MATRIX
        .iter()
        .map(|(f, id)| (*f, "discovery.yaml", "provider-metadata", *id))
        .collect();
    cases.extend(common::FLOW_MATRIX.iter().copied());
    let clean = common::bank(&[]).await;
    let scenarios: BTreeSet<(&str, &str)> = cases.iter().map(|(_, s, n, _)| (*s, *n)).collect();
    let mut baseline = BTreeMap::new();
    for (suite, scenario) in scenarios {
        let r = common::run(&clean.target(), suite, scenario).await;
        baseline.insert((suite, scenario), common::broken(&r));
    }
    let runs = cases.iter().map(|(fault, suite, scenario, id)| {
        let before = baseline
            .get(&(*suite, *scenario))
            .cloned()
            .unwrap_or_default();
        async move {
            let bank = common::bank(&[*fault]).await;
            let r = common::run(&bank.target(), suite, scenario).await;
            let changed: Vec<String> = common::broken(&r).difference(&before).cloned().collect();
            (fault.name(), *suite, *scenario, *id, changed)
        }
    });
    let mut lines = Vec::new();
    let mut missing = Vec::new();
    for (fault, suite, scenario, id, changed) in futures::future::join_all(runs).await {
        if !changed.iter().any(|c| c.split(' ').next() == Some(id)) {
            missing.push(format!(
                "{fault} does not break {id} in {suite}/{scenario}: {changed:?}"
            ));
        }
        lines.push(format!(
            "{fault} in {}/{scenario}: {}",
            suite.trim_end_matches(".yaml"),
            changed.join(", ")
        ));
    }
    assert!(missing.is_empty(), "{}", missing.join("\n"));
    insta::assert_snapshot!("fault_sets", lines.join("\n"));
}
