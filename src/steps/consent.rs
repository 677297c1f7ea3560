//! `consent`: create the intent an authorization will name (OBIE account
//! access or domestic payment consent, OP payment), capture its id, and
//! judge that it awaits the PSU's authorisation.

use super::request::extract;
use super::{Outcome, StepContext};
use crate::http::RecordedResponse;
use crate::specs::authorize::CONSENT_CREATED;
use crate::specs::SpecResult;
use crate::suite::{CaptureSource, ConsentKind, ConsentStep, PaymentStep, Signing};
use std::collections::BTreeMap;

/// Runs a consent step: the intent is POSTed as a payment step would, its
/// id captured under the kind's names, and `consent.created` judged.
pub(crate) async fn run(step: &ConsentStep, stage: &str, ctx: &mut StepContext<'_>) -> Outcome {
    let (sign, signed_response) = match step.kind {
        ConsentKind::ObieAccounts => (Signing::None, false),
        ConsentKind::ObiePayment => (Signing::Obie, true),
        ConsentKind::OpPayment => (Signing::Plain, true),
    };
    let as_payment = PaymentStep {
        stage: None,
        method: Some(crate::suite::HttpMethod(reqwest::Method::POST)),
        url: step.url.clone(),
        token: step.token.clone(),
        client: step.client.clone(),
        json: Some(step.json.clone()),
        sign: step.sign.unwrap_or(sign),
        headers: step.headers.clone(),
        expect_status: Some(201),
        verify_signature: signed_response,
        idempotency_check: None,
        capture: step.capture.clone(),
        bundle: None,
        expect_consent_refusal: false,
    };
    let (mut outcome, response) = super::payment::call(&as_payment, stage, false, ctx).await;
    let Some(r) = response else {
        outcome
            .specs
            .push(CONSENT_CREATED.skip("the intent could not be created"));
        return outcome;
    };
    let (spec, ids) = created(step.kind, ctx.state.ob_version(), &r);
    if spec.verdict == crate::specs::Verdict::Failed {
        outcome.ok = false;
    }
    ctx.state.captures.extend(ids);
    outcome.specs.push(spec);
    outcome
}

/// The first value at a JSONPath of the response, or why there is none.
fn at(path: &str, r: &RecordedResponse) -> Result<String, String> {
    let source = CaptureSource::parse(path)?;
    extract(&source, r, "")
}

/// Judges the created intent; returns the spec and the captured ids.
fn created(
    kind: ConsentKind,
    ob_version: &str,
    r: &RecordedResponse,
) -> (SpecResult, BTreeMap<String, String>) {
    let mut ids = BTreeMap::new();
    for (name, path) in kind.captures() {
        if let Ok(v) = at(path, r) {
            ids.insert(name.to_string(), v);
        }
    }
    let (id_name, id_path) = kind.id();
    let (status_path, awaiting) = kind.awaiting(ob_version);
    let Some(id) = ids.get(id_name).filter(|id| !id.is_empty()) else {
        return (
            CONSENT_CREATED.fail(format!("an id at {id_path}"), "none"),
            ids,
        );
    };
    let status = at(status_path, r).unwrap_or_else(|_| "(no status)".into());
    let spec = CONSENT_CREATED.check(
        status == awaiting,
        format!("status {awaiting}"),
        format!("{id_name} {id} is {status}"),
    );
    (spec, ids)
}
