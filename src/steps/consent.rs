//! `consent`: create the intent an authorization will name (OBIE account
//! access or domestic payment consent, OP payment), capture its id, and
//! judge that it awaits the PSU's authorisation.

use super::kind::{bearer, call_templates, client_of, ClientRole, Facts, Kind, Need, Provided};
use super::payment::PaymentStep;
use super::request::extract;
use super::shapes::Signing;
use super::{Outcome, StepContext};
use crate::expr::{Capture, CaptureSource, HttpMethod, JsonTemplate, Template};
use crate::http::RecordedResponse;
use crate::specs::authorize::CONSENT_CREATED;
use crate::specs::SpecResult;
use crate::target::{ClientProfile, Target};
use serde::Deserialize;
use std::collections::BTreeMap;

/// The kind of intent a `consent:` step creates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConsentKind {
    /// OBIE `account-access-consents`: unsigned; captures `consent_id`.
    ObieAccounts,
    /// OBIE `domestic-payment-consents`: OBIE-signed; captures `consent_id`.
    ObiePayment,
    /// OP `sepa-payments`: plain-signed; captures `authorization_id` and `payment_id`.
    OpPayment,
}

impl ConsentKind {
    /// What a consent step of this kind captures: (name, JSONPath), the
    /// intent's id first.
    pub fn captures(self) -> &'static [(&'static str, &'static str)] {
        match self {
            ConsentKind::ObieAccounts | ConsentKind::ObiePayment => {
                &[("consent_id", "$.Data.ConsentId")]
            }
            ConsentKind::OpPayment => &[
                ("authorization_id", "$.authorizationId"),
                ("payment_id", "$.paymentId"),
            ],
        }
    }

    /// The name and JSONPath of the intent's id.
    pub fn id(self) -> (&'static str, &'static str) {
        match self {
            ConsentKind::OpPayment => ("authorization_id", "$.authorizationId"),
            _ => ("consent_id", "$.Data.ConsentId"),
        }
    }

    /// Where the intent's status is, and the status of an intent that
    /// awaits the PSU's authorisation. OBIE v4.0 names it by its ISO 20022
    /// style code (`AWAU`); `ob_version` is the profile's (`v3.1`, `v4.0`).
    pub fn awaiting(self, ob_version: &str) -> (&'static str, &'static str) {
        match self {
            ConsentKind::OpPayment => ("$.status", "Unauthorized"),
            _ if ob_major(ob_version).is_some_and(|m| m >= 4) => ("$.Data.Status", "AWAU"),
            _ => ("$.Data.Status", "AwaitingAuthorisation"),
        }
    }
}

/// The major version of an Open Banking UK version segment (`v4.0` → 4).
fn ob_major(ob_version: &str) -> Option<u32> {
    ob_version
        .strip_prefix('v')
        .and_then(|v| v.split('.').next())
        .and_then(|m| m.parse().ok())
}

/// `consent:` — POST the intent with the client's token, judge that it
/// awaits authorisation, and capture its id for the authorization's claims.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsentStep {
    /// Stage name in reports.
    pub stage: Option<String>,
    /// Which intent.
    pub kind: ConsentKind,
    /// Where to POST it (placeholders filled).
    pub url: Template,
    /// The client whose key signs the body (default: the target's client).
    pub client: Option<ClientRole>,
    /// Bearer token (default `{{ token.access_token }}`).
    pub token: Option<Template>,
    /// The intent (placeholders filled).
    pub json: JsonTemplate,
    /// Signing (default by kind).
    pub sign: Option<Signing>,
    /// Extra headers (placeholders filled).
    #[serde(default)]
    pub headers: BTreeMap<String, Template>,
    /// Further values to keep: name → source.
    #[serde(default)]
    pub capture: BTreeMap<String, Capture>,
}

impl Facts for ConsentStep {
    fn stage(&self) -> Option<&str> {
        self.stage.as_deref()
    }

    fn client(&self) -> Option<&ClientRole> {
        self.client.as_ref()
    }

    fn acts_as_client(&self) -> bool {
        true
    }

    fn templates(&self) -> Vec<&Template> {
        let mut out = call_templates(&self.url, &self.token, &self.headers);
        out.extend(self.json.templates());
        out
    }

    fn urls(&self) -> Vec<&Template> {
        vec![&self.url]
    }

    fn capture_names(&self) -> Vec<&str> {
        self.capture.keys().map(String::as_str).collect()
    }

    fn needs(&self) -> Vec<(Need, &'static str)> {
        let mut n: Vec<_> = bearer(&self.token).into_iter().collect();
        if self.kind != ConsentKind::ObieAccounts {
            n.push((
                Need::Discovery,
                "verifying a response signature against the JWKS",
            ));
        }
        n
    }

    fn provide(&self, provided: &mut Provided) {
        self.capture.keys().for_each(|n| provided.capture(n));
        self.kind
            .captures()
            .iter()
            .for_each(|(n, _)| provided.capture(n));
    }
}

impl Kind for ConsentStep {
    const STAGE: &'static str = "Create Consent";
    /// The client whose key signs the intent.
    type Decided = ClientProfile;

    fn decide(&self, target: &Target) -> Result<ClientProfile, crate::target::UnknownClient> {
        client_of(target, &self.client)
    }

    async fn run(&self, client: &ClientProfile, stage: &str, ctx: &mut StepContext<'_>) -> Outcome {
        run(self, client, stage, ctx).await
    }
}

/// Runs a consent step: the intent is POSTed as a payment step would, its
/// id captured under the kind's names, and `consent.created` judged.
async fn run(
    step: &ConsentStep,
    client: &ClientProfile,
    stage: &str,
    ctx: &mut StepContext<'_>,
) -> Outcome {
    let (sign, signed_response) = match step.kind {
        ConsentKind::ObieAccounts => (Signing::None, false),
        ConsentKind::ObiePayment => (Signing::Obie, true),
        ConsentKind::OpPayment => (Signing::Plain, true),
    };
    let as_payment = PaymentStep {
        stage: None,
        method: Some(HttpMethod(reqwest::Method::POST)),
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
    let (mut outcome, response) =
        super::payment::call(&as_payment, client, stage, false, ctx).await;
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

#[cfg(test)]
mod tests {
    use super::ConsentKind;

    #[test]
    fn a_new_obie_consent_awaits_authorisation_in_its_versions_words() {
        let kind = ConsentKind::ObiePayment;
        assert_eq!(kind.awaiting("v3.1").1, "AwaitingAuthorisation");
        assert_eq!(kind.awaiting("v4.0").1, "AWAU");
        assert_eq!(kind.awaiting("v4.1").1, "AWAU");
        assert_eq!(kind.awaiting("3.1").1, "AwaitingAuthorisation");
        assert_eq!(ConsentKind::OpPayment.awaiting("v4.0").1, "Unauthorized");
    }
}
