//! What the runner tells reporters, and what a scenario produced.

use crate::specs::Verdict;
use crate::steps::StepResult;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// A runner event.
#[derive(Debug, Clone)]
pub enum RunEvent {
    /// The run begins with this many scenarios.
    RunStarted {
        /// Number of scenarios.
        total: usize,
    },
    /// A scenario began.
    ScenarioStarted {
        /// `suite/scenario`.
        name: String,
    },
    /// A scenario ended.
    ScenarioFinished(Arc<ScenarioResult>),
    /// Every scenario ended.
    RunFinished,
}

/// Everything one scenario produced.
#[derive(Debug, Clone, Serialize)]
pub struct ScenarioResult {
    /// Suite name.
    pub suite: String,
    /// The suite's feature line.
    pub feature: Option<String>,
    /// Scenario id.
    pub id: String,
    /// Test name.
    pub name: String,
    /// Scenario description.
    pub description: Option<String>,
    /// When it started (RFC 3339).
    pub started_at: String,
    /// Wall time in milliseconds.
    pub elapsed_ms: f64,
    /// Step results, in order.
    pub steps: Vec<StepResult>,
    /// Why the scenario could not apply to this target (a missing role or
    /// capability); its steps stopped there.
    pub skipped: Option<String>,
    /// The client roles its steps act as (`default` for the profile's client).
    pub roles: Vec<String>,
}

/// Counts of scenario verdicts.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct ScenarioCounts {
    /// PASSED (WARNING included: it ran and held every MUST).
    pub passed: usize,
    /// FAILED.
    pub failed: usize,
    /// SKIPPED: could not apply to the target.
    pub skipped: usize,
    /// INCOMPLETE: some spec it exists to judge did not run.
    pub incomplete: usize,
}

impl ScenarioCounts {
    /// Adds one scenario verdict.
    pub fn add(&mut self, v: Verdict) {
        match v {
            Verdict::Passed | Verdict::Warning | Verdict::Review => self.passed += 1,
            Verdict::Failed => self.failed += 1,
            Verdict::Skipped => self.skipped += 1,
            Verdict::Incomplete => self.incomplete += 1,
        }
    }
}

/// Counts of spec verdicts.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Counts {
    /// PASSED.
    pub passed: usize,
    /// FAILED.
    pub failed: usize,
    /// WARNING.
    pub warnings: usize,
    /// REVIEW (suggestions).
    pub review: usize,
    /// SKIPPED.
    pub skipped: usize,
}

impl Counts {
    /// Adds one verdict.
    pub fn add(&mut self, v: Verdict) {
        match v {
            Verdict::Passed => self.passed += 1,
            Verdict::Failed => self.failed += 1,
            Verdict::Warning => self.warnings += 1,
            Verdict::Review => self.review += 1,
            Verdict::Skipped | Verdict::Incomplete => self.skipped += 1,
        }
    }

    /// Sums two counts.
    pub fn merge(&mut self, o: Counts) {
        self.passed += o.passed;
        self.failed += o.failed;
        self.warnings += o.warnings;
        self.review += o.review;
        self.skipped += o.skipped;
    }
}

impl ScenarioResult {
    /// Verdict counts over all steps.
    pub fn counts(&self) -> Counts {
        let mut c = Counts::default();
        self.specs().for_each(|s| c.add(s.verdict));
        c
    }

    /// Every spec result, in step order.
    pub fn specs(&self) -> impl Iterator<Item = &crate::specs::SpecResult> {
        self.steps.iter().flat_map(|s| s.specs.iter())
    }

    /// The overall verdict: FAILED if any spec failed (a failure before the
    /// scenario found it could not apply is still a failure), SKIPPED when
    /// it could not apply, INCOMPLETE if any spec it set out to judge did not
    /// run (a scenario whose point never ran proves nothing), WARNING if any
    /// warned, REVIEW if a person must confirm an outcome, else PASSED.
    pub fn verdict(&self) -> Verdict {
        let c = self.counts();
        if c.failed > 0 {
            Verdict::Failed
        } else if self.skipped.is_some() {
            Verdict::Skipped
        } else if c.skipped > 0 {
            Verdict::Incomplete
        } else if c.warnings > 0 {
            Verdict::Warning
        } else if c.review > 0 {
            // An outcome a person must confirm (an error page) is never a
            // silent pass.
            Verdict::Review
        } else {
            Verdict::Passed
        }
    }

    /// Why it is not PASSED when no spec failed: the skip reason, or the
    /// specs that did not run.
    pub fn not_judged(&self) -> Option<String> {
        if let Some(why) = &self.skipped {
            return Some(why.clone());
        }
        let missing: Vec<String> = self
            .specs()
            .filter(|s| s.verdict == Verdict::Skipped)
            .map(|s| match &s.reason {
                Some(r) => format!("`{}` ({r})", s.id),
                None => format!("`{}`", s.id),
            })
            .collect();
        (!missing.is_empty()).then(|| format!("did not run: {}", missing.join("; ")))
    }

    /// The spec with this id (first occurrence), for tests and tooling.
    pub fn spec(&self, id: &str) -> Option<&crate::specs::SpecResult> {
        self.specs().find(|s| s.id == id)
    }
}
