//! The runner: scenarios concurrently, steps in order, events out.
//!
//! Nothing here formats output: reporters consume [`RunEvent`]s.

mod events;
mod guard;
mod scenario;

pub use events::{Counts, RunEvent, ScenarioCounts, ScenarioResult};
pub use scenario::{requirements_of, run_scenario, run_scenario_in};

use crate::http::HttpClient;
use crate::plans::Conformance;
use crate::suite::{Scenario, Suite};
use crate::target::Target;
use std::sync::Arc;

/// One scenario to run, with its suite and the profile it is judged under.
#[derive(Clone)]
pub struct Job {
    /// The suite it belongs to; private, so `index` always points into it.
    suite: Arc<Suite>,
    /// Which of the suite's scenarios: jobs share the loaded suite instead
    /// of each holding a copy, so a 10,000-scenario plan stays small.
    index: usize,
    /// The conformance profile of the plan that selected it.
    pub conformance: Conformance,
}

impl Job {
    /// `suite/scenario`, the name `--only` and the tests use.
    pub fn name(&self) -> String {
        format!("{}/{}", self.suite.name, self.scenario().id.value)
    }

    /// The suite it belongs to.
    pub fn suite(&self) -> &Suite {
        &self.suite
    }

    /// The scenario.
    // Jobs are made only by `plan_under`, with `index` from
    // `0..suite.scenarios.len()`, and the suite behind the `Arc` never changes.
    #[allow(clippy::indexing_slicing)]
    pub fn scenario(&self) -> &Scenario {
        &self.suite.scenarios[self.index]
    }
}

/// Every scenario of the suites, filtered by `only` (`suite` or `suite/scenario`).
pub fn plan(suites: &[Suite], only: &[String]) -> Vec<Job> {
    plan_under(suites, only, Conformance::All)
}

/// The scenarios `only` selects (all when empty), judged under `conformance`;
/// slow ones only when `only` names them exactly.
pub fn plan_under(suites: &[Suite], only: &[String], conformance: Conformance) -> Vec<Job> {
    plan_with(suites, only, conformance, false)
}

/// As [`plan_under`], with the slow scenarios too when `slow`.
pub fn plan_with(
    suites: &[Suite],
    only: &[String],
    conformance: Conformance,
    slow: bool,
) -> Vec<Job> {
    let mut jobs = Vec::new();
    for suite in suites {
        let suite_arc = Arc::new(suite.clone());
        for index in 0..suite.scenarios.len() {
            let job = Job {
                suite: suite_arc.clone(),
                index,
                conformance,
            };
            let name = job.name();
            let named = only.iter().any(|o| o == &name);
            let selected = only.is_empty() || named || only.iter().any(|o| o == &suite.name);
            let waits = job.scenario().slow && !slow && !named;
            if selected && !waits {
                jobs.push(job);
            }
        }
    }
    jobs
}

/// How long scenarios already running may go on after a stop request
/// before they are cancelled.
pub const STOP_GRACE: std::time::Duration = std::time::Duration::from_secs(2);

/// Runs the jobs, at most `jobs` at a time, sending events as they happen;
/// results go to the reporters only. A scenario is spawned only when a slot
/// is free, so memory stays bounded by the scenarios in flight, not by the
/// size of the run. When `stop` turns true (Ctrl-C), no scenario starts any
/// more, the running ones get [`STOP_GRACE`] to end, and the rest are
/// cancelled: they never report, so the reports list them as unfinished.
/// Scenarios with browser steps share one Chromium, started at the first
/// and shut down here when the run ends, interrupted or not.
/// Returns how many scenarios ended.
pub async fn run(
    plan: Vec<Job>,
    target: Arc<Target>,
    client: Arc<HttpClient>,
    jobs: usize,
    mut stop: tokio::sync::watch::Receiver<bool>,
    events: impl Fn(RunEvent) + Send + Sync + 'static,
) -> usize {
    crate::jose::warm_up();
    let events = Arc::new(events);
    events(RunEvent::RunStarted { total: plan.len() });
    let jobs = jobs.max(1);
    let mut running = tokio::task::JoinSet::new();
    let mut finished = 0;
    let unreachable: Arc<std::sync::OnceLock<String>> = Arc::default();
    let browsers: Arc<crate::steps::Browsers> = Arc::default();
    'plan: for job in plan {
        while running.len() >= jobs {
            tokio::select! {
                done = running.join_next() => finished += usize::from(done.is_some()),
                _ = stop.wait_for(|s| *s) => break 'plan,
            }
        }
        if *stop.borrow() {
            break;
        }
        if let Some(why) = unreachable.get() {
            // Said once, in the scenario that found it; the others are not
            // run instead of each waiting out the same failure.
            let mut r = scenario::result(&job, scenario::now_rfc3339(), 0.0, vec![]);
            r.skipped = Some(format!("not run: the target is unreachable ({why})"));
            events(RunEvent::ScenarioStarted { name: job.name() });
            events(RunEvent::ScenarioFinished(Arc::new(r)));
            finished += 1;
            continue;
        }
        let (target, client, events, down, browsers) = (
            target.clone(),
            client.clone(),
            events.clone(),
            unreachable.clone(),
            browsers.clone(),
        );
        running.spawn(async move {
            events(RunEvent::ScenarioStarted { name: job.name() });
            let started_at = scenario::now_rfc3339();
            // A panic outside the steps is a bug in probity: the scenario is
            // reported FAILED with the message, and the others still count.
            let scenario = run_scenario_in(&job, &target, client, browsers);
            let result = match guard::catching(scenario).await {
                Ok(r) => r,
                Err(message) => guard::panicked_scenario(&job, started_at, &message),
            };
            if let Some(why) = unreachable_reason(&result) {
                let _ = down.set(format!("{why}, first seen in {}", job.name()));
            }
            events(RunEvent::ScenarioFinished(Arc::new(result)));
        });
    }
    loop {
        tokio::select! {
            done = running.join_next() => match done {
                Some(_) => finished += 1,
                None => break,
            },
            _ = stop.wait_for(|s| *s) => {
                finished += drain_within(&mut running, STOP_GRACE).await;
                break;
            }
        }
    }
    browsers.shut_down().await;
    events(RunEvent::RunFinished);
    finished
}

/// Why a scenario shows the target cannot be reached at all: not one
/// response, and a connection or name-resolution failure.
fn unreachable_reason(r: &ScenarioResult) -> Option<String> {
    let exchanges: Vec<&crate::http::Exchange> =
        r.steps.iter().flat_map(|s| s.exchanges.iter()).collect();
    if exchanges.is_empty() || exchanges.iter().any(|e| e.response.is_some()) {
        return None;
    }
    let error = exchanges.first()?.error.as_deref()?;
    let cause = ["tcp connect error", "dns error", "failed to lookup address"]
        .iter()
        .any(|c| error.contains(c));
    cause.then(|| {
        error
            .rsplit(": ")
            .next()
            .unwrap_or(error)
            .chars()
            .take(200)
            .collect()
    })
}

/// Lets the running scenarios end within `grace`, then cancels the others.
async fn drain_within(running: &mut tokio::task::JoinSet<()>, grace: std::time::Duration) -> usize {
    let mut finished = 0;
    let deadline = tokio::time::sleep(grace);
    tokio::pin!(deadline);
    loop {
        tokio::select! {
            done = running.join_next() => match done {
                Some(_) => finished += 1,
                None => return finished,
            },
            _ = &mut deadline => {
                running.abort_all();
                while running.join_next().await.is_some() {}
                return finished;
            }
        }
    }
}
