//! The runner: scenarios concurrently, steps in order, events out.
//!
//! Nothing here formats output: reporters consume [`RunEvent`]s.

mod events;
mod guard;
mod requirements;
mod scenario;

pub use events::{Counts, RunEvent, ScenarioCounts, ScenarioResult};
pub use requirements::Requirements;
pub use scenario::run_scenario;

use crate::http::HttpClient;
use crate::plans::Conformance;
use crate::suite::{Scenario, Suite};
use crate::target::Target;
use std::sync::Arc;
use tokio::sync::Semaphore;

/// One scenario to run, with its suite and the profile it is judged under.
#[derive(Clone)]
pub struct Job {
    /// The suite it belongs to.
    pub suite: Arc<Suite>,
    /// The scenario.
    pub scenario: Scenario,
    /// The conformance profile of the plan that selected it.
    pub conformance: Conformance,
}

impl Job {
    /// `suite/scenario`, the name `--only` and the tests use.
    pub fn name(&self) -> String {
        format!("{}/{}", self.suite.name, self.scenario.id.value)
    }
}

/// Every scenario of the suites, filtered by `only` (`suite` or `suite/scenario`).
pub fn plan(suites: &[Suite], only: &[String]) -> Vec<Job> {
    plan_under(suites, only, Conformance::All)
}

/// The scenarios `only` selects (all when empty), judged under `conformance`.
pub fn plan_under(suites: &[Suite], only: &[String], conformance: Conformance) -> Vec<Job> {
    let mut jobs = Vec::new();
    for suite in suites {
        let suite_arc = Arc::new(suite.clone());
        for scenario in &suite.scenarios {
            let job = Job {
                suite: suite_arc.clone(),
                scenario: scenario.clone(),
                conformance,
            };
            let name = job.name();
            if only.is_empty() || only.iter().any(|o| o == &suite.name || o == &name) {
                jobs.push(job);
            }
        }
    }
    jobs
}

/// Runs the jobs, at most `jobs` at a time, sending events as they happen.
/// Returns the results in plan order.
pub async fn run(
    plan: Vec<Job>,
    target: Arc<Target>,
    client: Arc<HttpClient>,
    jobs: usize,
    events: impl Fn(RunEvent) + Send + Sync + 'static,
) -> Vec<Arc<ScenarioResult>> {
    let events = Arc::new(events);
    events(RunEvent::RunStarted { total: plan.len() });
    let permits = Arc::new(Semaphore::new(jobs.max(1)));
    let mut handles = Vec::with_capacity(plan.len());
    for job in plan {
        let (target, client, permits, events) = (
            target.clone(),
            client.clone(),
            permits.clone(),
            events.clone(),
        );
        let task_job = job.clone();
        let handle = tokio::spawn(async move {
            // The semaphore is never closed, so acquiring cannot fail.
            let _permit = permits.acquire_owned().await.ok();
            events(RunEvent::ScenarioStarted {
                name: task_job.name(),
            });
            let result = Arc::new(run_scenario(&task_job, &target, client).await);
            events(RunEvent::ScenarioFinished(result.clone()));
            result
        });
        handles.push((job, handle));
    }
    let mut results = Vec::with_capacity(handles.len());
    for (job, h) in handles {
        match h.await {
            Ok(r) => results.push(r),
            // A panic outside the steps is a bug in probity: the scenario is
            // reported FAILED with the message, and the others still count.
            Err(e) => {
                let message = guard::join_failure(e);
                let started_at = scenario::now_rfc3339();
                let result = Arc::new(guard::panicked_scenario(&job, started_at, &message));
                events(RunEvent::ScenarioFinished(result.clone()));
                results.push(result);
            }
        }
    }
    events(RunEvent::RunFinished);
    results
}
