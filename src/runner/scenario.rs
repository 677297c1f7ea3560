//! Running one scenario: its steps in order over one session.

use super::{Job, ScenarioResult};
use crate::http::{HttpClient, Session};
use crate::steps::ScenarioState;
use crate::steps::{run_step, StepContext};
use crate::target::Target;
use std::sync::Arc;
use std::time::Instant;

/// Runs every step of a scenario, in order, even after a failure: steps that
/// depend on missing values report their specs as SKIPPED.
pub async fn run_scenario(job: &Job, target: &Target, client: Arc<HttpClient>) -> ScenarioResult {
    let started_at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let start = Instant::now();
    let mut session = Session::new(client);
    let mut state = ScenarioState::new(target);
    let mut steps = Vec::with_capacity(job.scenario.steps.len());
    for step in &job.scenario.steps {
        let mut ctx = StepContext {
            session: &mut session,
            state: &mut state,
            target,
        };
        let at = &step.referenced;
        let location = format!("{}:{}:{}", job.suite.path.display(), at.line(), at.column());
        steps.push(run_step(&step.value, location, &mut ctx).await);
    }
    ScenarioResult {
        suite: job.suite.name.clone(),
        feature: job.suite.feature.clone(),
        id: job.scenario.id.value.clone(),
        name: job.scenario.name.clone(),
        description: job.scenario.description.clone(),
        started_at,
        elapsed_ms: start.elapsed().as_secs_f64() * 1000.0,
        steps,
    }
}
