//! Step kinds: each turns a YAML step into exchanges and spec results.
//!
//! A step never fails with an error: what it could not do becomes a failed
//! or skipped spec with its reason, and `ok: false` tells the runner that
//! later values it should have captured are missing.

pub mod accounts;
pub mod authorize;
mod client_auth;
pub mod consent;
pub mod decoupled;
pub mod discovery;
mod dpop;
pub mod id_token;
pub mod payment;
pub mod poll_status;
pub mod request;
mod schema;
mod signature;
pub mod state;
pub mod token;
pub mod userinfo;
mod wait;

pub use authorize::{kill_browsers_now, BrowserContext, Browsers};
pub use dpop::demands_nonce as demands_dpop_nonce;
pub use state::ScenarioState;

use crate::http::{Exchange, Session};
use crate::specs::SpecResult;
use crate::suite::Step;
use crate::target::Target;
use serde::Serialize;

/// What a step works with: the scenario's session and state, the target.
pub struct StepContext<'a> {
    /// The scenario's HTTP session.
    pub session: &'a mut Session,
    /// What earlier steps provided.
    pub state: &'a mut ScenarioState,
    /// The target under test.
    pub target: &'a Target,
}

/// Extra evidence a step shows in reports besides its exchanges.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Artifact {
    /// Decoded token claims ("Claims Result").
    Claims {
        /// e.g. "`id_token` claims".
        label: String,
        /// The claims.
        claims: serde_json::Value,
    },
    /// A login or consent page the form driver saw.
    Page {
        /// "Login page" or "Consent page".
        label: String,
        /// Where it was.
        url: String,
        /// Its title.
        title: String,
        /// The form fields submitted, in order.
        fields: Vec<FormField>,
        /// A text snapshot of the page.
        text: String,
        /// The step's exchange (from 1) whose response was this page: the
        /// report shows the page right after it.
        exchange: usize,
    },
    /// A page the browser driver acted on, or where it stopped, as a PNG.
    Screenshot {
        /// e.g. "Browser page `login`".
        label: String,
        /// The page URL.
        url: String,
        /// Its title.
        title: String,
        /// Why it was taken, when not simply acted on (the failure).
        note: String,
        /// The PNG, written beside the report (not into report.json).
        #[serde(skip)]
        png: std::sync::Arc<Vec<u8>>,
    },
    /// A short remark.
    Note {
        /// The remark.
        text: String,
    },
}

/// A form field the form driver submitted.
#[derive(Debug, Clone, Serialize)]
pub struct FormField {
    /// Its name.
    pub name: String,
    /// The value submitted (redacted in reports when `secret`).
    pub value: String,
    /// A secret: `type="password"` on the page, or secret by its name.
    pub secret: bool,
}

/// What one step produced.
#[derive(Debug, Clone, Serialize)]
pub struct StepResult {
    /// The step kind (`discovery`, `request`, …).
    pub kind: &'static str,
    /// The stage name shown in reports.
    pub stage: String,
    /// Where the step is written: `file:line:col`.
    pub location: String,
    /// The exchanges it made, in order.
    pub exchanges: Vec<Exchange>,
    /// Its spec results.
    pub specs: Vec<SpecResult>,
    /// Extra evidence.
    pub artifacts: Vec<Artifact>,
    /// Whether it reached its end (later steps may depend on it).
    pub ok: bool,
    /// Secrets it met on the way, which reports must mask too.
    #[serde(skip)]
    pub secrets: crate::http::redact::Learned,
}

/// What a step kind returns; exchanges are collected by [`run_step`].
pub(crate) struct Outcome {
    pub specs: Vec<SpecResult>,
    pub artifacts: Vec<Artifact>,
    pub ok: bool,
}

/// Runs one step, written at `location`, and gathers the exchanges it made.
pub async fn run_step(step: &Step, location: String, ctx: &mut StepContext<'_>) -> StepResult {
    ctx.session.take_exchanges();
    ctx.session.take_learned();
    let stage = step.stage();
    let outcome = match step {
        Step::Discovery(s) => discovery::run(s, &stage, ctx).await,
        Step::Request(s) => request::run(s, &stage, ctx).await,
        Step::ClientCredentials(s) => token::client_credentials(s, &stage, ctx).await,
        Step::Authorize(s) => authorize::run(s, &stage, ctx).await,
        Step::Token(s) => token::token(s, &stage, ctx).await,
        Step::IdToken(s) => id_token::run(s, &stage, ctx).await,
        Step::Decoupled(s) => decoupled::run(s, &stage, ctx).await,
        Step::Userinfo(s) => userinfo::run(s, &stage, ctx).await,
        Step::Payment(s) => payment::run(s, &stage, false, ctx).await,
        Step::Submit(s) => payment::run(s, &stage, true, ctx).await,
        Step::VerifyResponseSignature(s) => payment::run(s, &stage, false, ctx).await,
        Step::Accounts(s) => accounts::run(s, &stage, ctx).await,
        Step::Consent(s) => consent::run(s, &stage, ctx).await,
        Step::PollStatus(s) => poll_status::run(s, &stage, ctx).await,
    };
    let exchanges = ctx.session.take_exchanges();
    let mut specs = outcome.specs;
    specs.extend(crate::specs::dpop::judge_nonces(&exchanges));
    if let Some(book) = &ctx.target.openapi {
        specs.extend(schema::judge(book, &exchanges));
    }
    StepResult {
        kind: step.kind(),
        stage,
        location,
        exchanges,
        specs,
        artifacts: outcome.artifacts,
        ok: outcome.ok,
        secrets: ctx.session.take_learned(),
    }
}

/// At most 200 characters of target-controlled text, for a reason: a
/// hostile target may send a megabyte where a short name belongs, and a
/// reason is read by a person. Cut on a character boundary.
pub(crate) fn shown(text: &str) -> String {
    match text.char_indices().nth(200) {
        Some((end, _)) => format!("{}…", text.get(..end).unwrap_or(text)),
        None => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn shown_cuts_on_a_character_boundary() {
        assert_eq!(super::shown("kid"), "kid");
        let cut = super::shown(&"é".repeat(64 * 1024));
        assert_eq!(cut.chars().count(), 201);
        assert!(cut.ends_with('…'));
    }
}
