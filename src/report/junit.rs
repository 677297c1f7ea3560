//! JUnit XML: a test suite per probity suite, a test case per scenario,
//! built from the summary rows. FAILED scenarios carry each failed spec with
//! its id, clause and step; SKIPPED and INCOMPLETE ones are `<skipped>`.

use super::model::{RunSummary, SummaryRow};
use crate::specs::Verdict;
use quick_junit::{NonSuccessKind, Property, Report, TestCase, TestCaseStatus, TestSuite};
use std::collections::BTreeMap;
use std::time::Duration;

/// Renders JUnit XML. Banners (a development target, `--no-redact`) go first
/// in every test suite, as properties and system-out.
pub(super) fn render(
    summary: &RunSummary,
    banners: &[String],
) -> Result<String, super::ReportError> {
    let mut report = Report::new("probity");
    let mut suites: BTreeMap<&str, TestSuite> = BTreeMap::new();
    for row in &summary.scenarios {
        let suite = suites
            .entry(&row.suite)
            .or_insert_with(|| new_suite(&row.suite, summary, banners));
        let mut case = TestCase::new(row.id.clone(), status(row));
        case.set_classname(row.suite.clone());
        case.set_time(Duration::from_secs_f64(row.elapsed_ms.max(0.0) / 1000.0));
        suite.add_test_case(case);
    }
    report.add_test_suites(suites.into_values());
    report
        .to_string()
        .map_err(|e| super::ReportError::Template(format!("JUnit: {e}")))
}

fn status(row: &SummaryRow) -> TestCaseStatus {
    match row.verdict {
        Verdict::Failed => {
            let failed: Vec<String> = row
                .problems
                .iter()
                .filter(|p| p.verdict == Verdict::Failed)
                .map(|p| {
                    format!(
                        "{} [{}{}] at {}: {}",
                        p.id,
                        p.clause_tag.as_deref().unwrap_or("suite expectation"),
                        "",
                        p.at,
                        p.explanation.clone().unwrap_or_else(|| p.should.clone())
                    )
                })
                .collect();
            let mut st = TestCaseStatus::non_success(NonSuccessKind::Failure);
            st.set_message(format!("{} spec(s) failed", failed.len().max(1)));
            st.set_description(failed.join("\n"));
            st
        }
        Verdict::Skipped | Verdict::Incomplete => {
            // SKIPPED and INCOMPLETE scenarios proved nothing: CI tools show
            // them as skipped, with the reason.
            let mut st = TestCaseStatus::skipped();
            let why = row.not_judged.clone().unwrap_or_default();
            st.set_message(format!("{}: {why}", row.verdict.word()));
            st
        }
        _ => TestCaseStatus::success(),
    }
}

fn new_suite(name: &str, summary: &RunSummary, banners: &[String]) -> TestSuite {
    let mut suite = TestSuite::new(name.to_string());
    suite.add_property(Property::new(
        "probity_version",
        &summary.run.probity_version,
    ));
    suite.add_property(Property::new("run_id", &summary.run.run_id));
    if summary.run.development_notice.is_some() {
        suite.add_property(Property::new("development_target", "true"));
    }
    if summary.interrupted {
        suite.add_property(Property::new("interrupted", "true"));
    }
    if summary.run.unredacted {
        suite.add_property(Property::new("unredacted", "true"));
    }
    if !banners.is_empty() {
        suite.set_system_out(banners.join("\n"));
    }
    suite
}
