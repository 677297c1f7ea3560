//! Panics inside a scenario are bugs in probity, but the run must still say
//! what happened: the scenario shows as FAILED on `runner.completed` with the
//! panic's message, instead of vanishing as "unfinished".

use super::{Job, ScenarioResult};
use crate::http::Exchange;
use crate::specs::runner::COMPLETED;
use crate::steps::StepResult;
use futures::FutureExt;
use std::any::Any;
use std::future::Future;
use std::panic::AssertUnwindSafe;

/// Runs `fut`; a panic inside it comes back as its message.
///
/// Unwind safety is asserted because the caller discards or reports any
/// state the panic may have left half-updated.
pub(crate) async fn catching<T>(fut: impl Future<Output = T>) -> Result<T, String> {
    AssertUnwindSafe(fut)
        .catch_unwind()
        .await
        .map_err(|payload| panic_message(&*payload))
}

/// The text a panic carried (`panic!("…")` gives a `&str` or a `String`).
pub(crate) fn panic_message(payload: &(dyn Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(no message)".into())
}

/// The step a panic cut short, keeping the exchanges it had made.
pub(crate) fn panicked_step(
    kind: &'static str,
    stage: String,
    location: String,
    exchanges: Vec<Exchange>,
    message: &str,
) -> StepResult {
    StepResult {
        kind,
        stage,
        location,
        exchanges,
        specs: vec![COMPLETED.fail_because(format!(
            "probity panicked: {message} (a bug in probity, not in the target; please report it)"
        ))],
        artifacts: vec![],
        ok: false,
        secrets: Default::default(),
    }
}

/// A scenario whose task died outside any step: one failed step says so.
pub(crate) fn panicked_scenario(job: &Job, started_at: String, message: &str) -> ScenarioResult {
    let step = panicked_step(
        "runner",
        "Internal error".into(),
        job.name(),
        vec![],
        message,
    );
    super::scenario::result(job, started_at, 0.0, vec![step])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::specs::Verdict;

    #[test]
    fn both_kinds_of_panic_payload_keep_their_message() {
        let s = std::panic::catch_unwind(|| panic!("plain")).unwrap_err();
        assert_eq!(panic_message(&*s), "plain");
        let n = 7;
        let f = std::panic::catch_unwind(|| panic!("formatted {n}")).unwrap_err();
        assert_eq!(panic_message(&*f), "formatted 7");
    }

    #[tokio::test]
    async fn a_panicking_future_is_caught_with_its_message() {
        let ok = catching(async { 1 }).await;
        assert_eq!(ok, Ok(1));
        let caught: Result<(), String> = catching(async { panic!("hostile {}", "input") }).await;
        assert_eq!(caught, Err("hostile input".to_string()));
    }

    #[test]
    fn a_panicked_step_fails_runner_completed_with_the_message() {
        let step = panicked_step(
            "discovery",
            "Discovery".into(),
            "s.yaml:1:1".into(),
            vec![],
            "boom",
        );
        assert!(!step.ok);
        let spec = &step.specs[0];
        assert_eq!(
            (spec.id.as_str(), spec.verdict),
            ("runner.completed", Verdict::Failed)
        );
        assert!(spec
            .explanation()
            .unwrap()
            .contains("probity panicked: boom"));
    }
}
