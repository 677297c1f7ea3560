//! JUnit XML: a test suite per probity suite, a test case per scenario.

use super::ScenarioReport;
use crate::specs::Verdict;
use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};
use std::collections::BTreeMap;
use std::time::Duration;

/// Renders JUnit XML. A development target's `notice` goes first in every
/// test suite: a `development_target` property and the system-out text.
pub(super) fn render(reports: &[ScenarioReport], notice: Option<&str>) -> Result<String, String> {
    let mut report = Report::new("probity");
    let mut suites: BTreeMap<&str, TestSuite> = BTreeMap::new();
    for r in reports {
        let suite = suites
            .entry(&r.suite)
            .or_insert_with(|| new_suite(&r.suite, notice));
        let status = if r.verdict == Verdict::Failed {
            let failed: Vec<String> = r
                .specs
                .iter()
                .filter(|s| s.result.verdict == Verdict::Failed)
                .map(|s| {
                    format!(
                        "{} ({}, step at {}): {}",
                        s.result.should,
                        s.result.id,
                        s.at,
                        s.explanation.clone().unwrap_or_default()
                    )
                })
                .collect();
            let mut st = TestCaseStatus::non_success(NonSuccessKind::Failure);
            st.set_message(format!("{} spec(s) failed", failed.len()));
            st.set_description(failed.join("\n"));
            st
        } else if let Some(why) = &r.not_judged {
            // SKIPPED and INCOMPLETE scenarios proved nothing: CI tools show
            // them as skipped, with the reason.
            let mut st = TestCaseStatus::skipped();
            st.set_message(format!("{}: {why}", r.verdict.word()));
            st
        } else {
            TestCaseStatus::success()
        };
        let mut case = TestCase::new(r.id.clone(), status);
        case.set_classname(r.suite.clone());
        case.set_time(Duration::from_secs_f64(
            r.elapsed_ms.parse::<f64>().unwrap_or(0.0) / 1000.0,
        ));
        suite.add_test_case(case);
    }
    report.add_test_suites(suites.into_values());
    report.to_string().map_err(|e| e.to_string())
}

fn new_suite(name: &str, notice: Option<&str>) -> TestSuite {
    let mut suite = TestSuite::new(name.to_string());
    if let Some(text) = notice {
        suite.add_property(("development_target", "true"));
        suite.add_property(("development_notice", text));
        suite.set_system_out(text);
    }
    suite
}
