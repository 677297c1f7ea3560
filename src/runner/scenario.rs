//! Running one scenario: its steps in order over one session.

use super::guard::{catching, panicked_step};
use super::{Job, ScenarioResult};
use crate::http::{HttpClient, Session};
use crate::steps::{
    missing_roles, run_step, Browsers, Decided, Requirements, ScenarioState, StepContext,
    StepResult,
};
use crate::target::Target;
use std::sync::Arc;
use std::time::Instant;

/// Runs every step of a scenario, in order, even after a failure: steps that
/// depend on missing values report their specs as SKIPPED. A step that
/// panics (a bug in probity) fails `runner.completed` with the message and
/// keeps its exchanges; the steps after it still run.
///
/// A scenario the target cannot serve (a client role the profile lacks, a
/// capability the metadata does not advertise) stops there and is SKIPPED
/// with the reason: never FAILED, never PASSED.
pub async fn run_scenario(job: &Job, target: &Target, client: Arc<HttpClient>) -> ScenarioResult {
    let browsers = Arc::new(Browsers::default());
    let r = run_scenario_in(job, target, client, browsers.clone()).await;
    browsers.shut_down().await;
    r
}

/// Runs a scenario as [`run_scenario`] does, opening its browser context
/// (if it has browser steps) in the run's `browsers`, which the caller
/// shuts down.
pub async fn run_scenario_in(
    job: &Job,
    target: &Target,
    client: Arc<HttpClient>,
    browsers: Arc<Browsers>,
) -> ScenarioResult {
    crate::jose::warm_up();
    let started_at = now_rfc3339();
    let start = Instant::now();
    let varied;
    let target = match under_suite_variant(job, target) {
        Ok(Some(t)) => {
            varied = t;
            &varied
        }
        Ok(None) => target,
        Err(why) => {
            let mut r = result(job, started_at, 0.0, vec![]);
            r.skipped = Some(why);
            return r;
        }
    };
    let scenario = job.scenario();
    let decided = match decide(scenario, target) {
        Ok(d) => d,
        Err(why) => {
            let mut r = result(job, started_at, 0.0, vec![]);
            r.skipped = Some(why);
            return r;
        }
    };
    let needs = Requirements::of(&decided, &scenario.requires.metadata, target);
    if let Some(why) =
        unmet_variant(scenario, &decided, target).or_else(|| needs.unmet_by_profile(target))
    {
        let mut r = result(job, started_at, 0.0, vec![]);
        r.skipped = Some(why);
        return r;
    }
    let mut session = Session::new(client);
    let mut state = ScenarioState::new(target);
    state.browsers = browsers;
    let mut steps = Vec::with_capacity(job.scenario().steps.len());
    let mut skipped = None;
    let mut metadata_checked = false;
    let mut earlier_failed = false;
    for (step, written) in decided.iter().zip(&scenario.steps) {
        if !metadata_checked {
            if let Some(d) = &state.discovery {
                metadata_checked = true;
                skipped = needs.unmet(&d.metadata);
                if skipped.is_some() {
                    break;
                }
            }
        }
        let mut ctx = StepContext {
            session: &mut session,
            state: &mut state,
            target,
        };
        let at = &written.referenced;
        let location = format!(
            "{}:{}:{}",
            job.suite().path.display(),
            at.line(),
            at.column()
        );
        let mut result = guarded_step(step, location, &mut ctx).await;
        job.conformance.apply(&mut result.specs);
        if earlier_failed {
            vacuous_refusal(step, &mut result);
        }
        earlier_failed |= !result.ok;
        steps.push(result);
        if let Some(why) = state.not_applicable.take() {
            skipped = Some(why);
            break;
        }
        if state.ended.is_some() {
            break;
        }
    }
    state.close_browser().await;
    let elapsed_ms = start.elapsed().as_secs_f64() * 1000.0;
    let mut r = result(job, started_at, elapsed_ms, steps);
    r.skipped = skipped;
    r
}

/// Each step decided against `target`, once: requirements and execution
/// read these values. A client role the profile lacks makes the scenario
/// SKIPPED, naming every missing role.
fn decide<'s>(
    scenario: &'s crate::suite::Scenario,
    target: &Target,
) -> Result<Vec<Decided<'s>>, String> {
    let facts = scenario.steps.iter().map(|s| s.value.facts());
    if let Some(why) = missing_roles(facts, target) {
        return Err(why);
    }
    scenario
        .steps
        .iter()
        .map(|s| s.value.decide(target).map_err(|e| e.to_string()))
        .collect()
}

/// What `scenario` requires of `target`, its steps decided against it; an
/// error says why it cannot be decided (a client role the profile lacks).
pub fn requirements_of(
    scenario: &crate::suite::Scenario,
    target: &Target,
) -> Result<Requirements, String> {
    let decided = decide(scenario, target)?;
    Ok(Requirements::of(
        &decided,
        &scenario.requires.metadata,
        target,
    ))
}

/// The target a suite written for a conformance profile runs against: the
/// profile's own when its declared variant satisfies the profile (`None`),
/// else, when it declares none, a copy whose default client is the suite's
/// stand-in role under the suite's variant. A declared variant that cannot
/// serve the profile makes the scenario SKIPPED, citing the clause.
fn under_suite_variant(job: &Job, target: &Target) -> Result<Option<Target>, String> {
    let Some(sv) = &job.suite().variant else {
        return Ok(None);
    };
    let written_for = |why: &dyn std::fmt::Display| {
        format!(
            "written for {} (suite `{}`): {why}",
            crate::target::snake(&sv.conformance),
            job.suite().name
        )
    };
    if target.variant.declared {
        return sv
            .conformance
            .check_variant(&target.variant, target.client.auth_method)
            .map(|()| None)
            .map_err(|e| written_for(&e));
    }
    let client = target
        .client_named(Some(&sv.client.value))
        .map_err(|e| written_for(&format!("the profile declares no `variant:`, and {e}")))?
        .clone();
    let variant = crate::target::Variant {
        sender_constraint: sv.sender_constraint,
        request_style: sv.request_style,
        ..crate::target::Variant::default()
    };
    sv.conformance
        .check_variant(&variant, client.auth_method)
        .map_err(|e| written_for(&e))?;
    let mut t = target.clone();
    t.client = client;
    t.variant = variant;
    Ok(Some(t))
}

/// A scenario's `requires:` of the run's variant: a DPoP module means
/// nothing under mTLS, a client assertion module nothing under
/// `tls_client_auth`; nor does a scenario that sends DPoP proofs of its own
/// under mTLS.
fn unmet_variant(
    scenario: &crate::suite::Scenario,
    decided: &[Decided<'_>],
    target: &Target,
) -> Option<String> {
    use crate::target::{snake, SenderConstraint};
    let requires = &scenario.requires;
    if let Some(sc) = requires
        .sender_constraint
        .filter(|s| *s != target.variant.sender_constraint)
    {
        return Some(format!(
            "applies only under `sender_constraint: {}`; this run uses `{}`",
            snake(&sc),
            snake(&target.variant.sender_constraint)
        ));
    }
    // A client whose tokens are bound to its certificate uses no second
    // proof of possession (oidc-provider refuses both at once).
    if target.variant.sender_constraint == SenderConstraint::Mtls
        && decided.iter().any(|s| s.dpop().own)
    {
        return Some(
            "sends DPoP proofs of its own, and this run binds tokens to the TLS certificate (`sender_constraint: mtls`): a client uses one sender constraint"
                .into(),
        );
    }
    requires
        .client_auth
        .filter(|m| *m != target.client.auth_method)
        .map(|m| {
            format!(
                "applies only to a client using `{}`; this run's client uses `{}`",
                snake(&m),
                snake(&target.client.auth_method)
            )
        })
}

/// A refusal after a failed step proves nothing: a server that refuses the
/// valid request too would refuse this one whatever it checks. The refusal
/// spec is SKIPPED with that reason, so the scenario cannot pass on it.
fn vacuous_refusal(step: &Decided<'_>, result: &mut StepResult) {
    if !step.facts().expects_refusal() {
        return;
    }
    for spec in &mut result.specs {
        let is_refusal = crate::specs::find(&spec.id).is_some_and(|s| s.refusal);
        if is_refusal && spec.verdict == crate::specs::Verdict::Passed {
            spec.verdict = crate::specs::Verdict::Skipped;
            spec.reason = Some(
                "an earlier step of this scenario failed, so this refusal proves nothing".into(),
            );
        }
    }
}

/// Runs one step; a panic becomes a failed `runner.completed` step.
async fn guarded_step(
    step: &Decided<'_>,
    location: String,
    ctx: &mut StepContext<'_>,
) -> StepResult {
    match catching(run_step(step, location.clone(), ctx)).await {
        Ok(r) => r,
        Err(message) => {
            let mut s = panicked_step(
                step.kind(),
                step.stage(),
                location,
                ctx.session.take_exchanges(),
                &message,
            );
            // A page's password learned before the panic is still masked.
            s.secrets = ctx.session.take_learned();
            s
        }
    }
}

/// The client roles a scenario acts as, `default` first.
fn roles_of(scenario: &crate::suite::Scenario) -> Vec<String> {
    let mut roles: Vec<String> = Vec::new();
    if crate::suite::uses_default_client(scenario) {
        roles.push("default".into());
    }
    roles.extend(crate::suite::client_roles(scenario));
    roles
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
        suite: job.suite().name.clone(),
        feature: job.suite().feature.clone(),
        id: job.scenario().id.value.clone(),
        name: job.scenario().name.clone(),
        description: job.scenario().description.clone(),
        started_at,
        elapsed_ms,
        steps,
        skipped: None,
        roles: roles_of(job.scenario()),
    }
}
