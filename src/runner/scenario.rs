//! Running one scenario: its steps in order over one session.

use super::guard::{catching, panicked_step};
use super::{Job, ScenarioResult};
use crate::http::{HttpClient, Session};
use crate::steps::{run_step, ScenarioState, StepContext, StepResult};
use crate::suite::Step;
use crate::target::Target;
use std::sync::Arc;
use std::time::Instant;

/// Runs every step of a scenario, in order, even after a failure: steps that
/// depend on missing values report their specs as SKIPPED. A step that
/// panics (a bug in probity) fails `runner.completed` with the message and
/// keeps its exchanges; the steps after it still run.
pub async fn run_scenario(job: &Job, target: &Target, client: Arc<HttpClient>) -> ScenarioResult {
    let started_at = now_rfc3339();
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
        steps.push(guarded_step(&step.value, location, &mut ctx).await);
    }
    let elapsed_ms = start.elapsed().as_secs_f64() * 1000.0;
    result(job, started_at, elapsed_ms, steps)
}

/// Runs one step; a panic becomes a failed `runner.completed` step.
async fn guarded_step(step: &Step, location: String, ctx: &mut StepContext<'_>) -> StepResult {
    match catching(run_step(step, location.clone(), ctx)).await {
        Ok(r) => r,
        Err(message) => panicked_step(
            step.kind(),
            step.stage(),
            location,
            ctx.session.take_exchanges(),
            &message,
        ),
    }
}

/// Now, as reports show it.
pub(crate) fn now_rfc3339() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// The scenario's result from its steps.
pub(crate) fn result(
    job: &Job,
    started_at: String,
    elapsed_ms: f64,
    steps: Vec<StepResult>,
) -> ScenarioResult {
    ScenarioResult {
        suite: job.suite.name.clone(),
        feature: job.suite.feature.clone(),
        id: job.scenario.id.value.clone(),
        name: job.scenario.name.clone(),
        description: job.scenario.description.clone(),
        started_at,
        elapsed_ms,
        steps,
    }
}
