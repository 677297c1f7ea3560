//! Specs: every check probity makes.
//!
//! A [`Spec`] has a stable id, a sentence in the "should …" form, a
//! [`Severity`] and the [`Clause`] it enforces. Checks produce a
//! [`SpecResult`]; a failed spec keeps what was expected and what was seen.
//! The id string of a catalogue spec appears exactly once in the source, in
//! the area file that defines it (`discovery.rs`, …).

/// Defines a catalogue spec as a `static`.
macro_rules! spec {
    ($name:ident, $id:literal, $sev:expr, $tag:literal, $url:expr, $should:literal) => {
        #[doc = $should]
        pub static $name: $crate::specs::Spec = $crate::specs::Spec {
            id: $id,
            should: $should,
            severity: $sev,
            clause: $crate::specs::Clause {
                tag: $tag,
                url: $url,
            },
        };
    };
}

pub mod accounts;
pub mod authorize;
pub mod decoupled;
pub mod discovery;
pub mod id_token;
pub mod payment;
pub mod request;
mod result;
pub mod runner;
pub mod schema;
pub mod token;
pub mod userinfo;

pub use accounts::ACCOUNT_INFO;
pub use authorize::AUTHORIZE;
pub use decoupled::DECOUPLED;
pub use discovery::DISCOVERY;
pub use id_token::ID_TOKEN;
pub use payment::PAYMENT;
pub use request::REQUEST;
pub use result::{SpecResult, Verdict};
pub use runner::RUNNER;
pub use schema::SCHEMA;
pub use token::TOKEN;
pub use userinfo::USERINFO;

use serde::Serialize;

/// How much a failing spec matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// A MUST/SHALL of the clause: failing makes the run fail.
    Failure,
    /// A SHOULD or a profile recommendation: reported, does not fail the run.
    Warning,
    /// A suggestion that needs a human to review.
    Info,
}

/// The requirement a spec enforces: a short tag and the URL of the clause.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Clause {
    /// Short requirement tag, e.g. `OIDC-DISC-4.3`.
    pub tag: &'static str,
    /// Link to the clause.
    pub url: &'static str,
}

/// A check with a stable identity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Spec {
    /// Stable id, e.g. `discovery.issuer_matches`.
    pub id: &'static str,
    /// The sentence shown in reports, in the "should …" form.
    pub should: &'static str,
    /// How much a failure matters.
    pub severity: Severity,
    /// The clause enforced.
    pub clause: Clause,
}

impl Spec {
    /// The spec held.
    pub fn pass(&'static self) -> SpecResult {
        SpecResult::from_spec(self, Verdict::Passed, None)
    }

    /// The spec held; `note` says what was seen (shown in reports).
    pub fn pass_with(&'static self, note: impl Into<String>) -> SpecResult {
        SpecResult::from_spec(self, Verdict::Passed, Some(note.into()))
    }

    /// The spec did not hold, with expected and actual values.
    pub fn fail(
        &'static self,
        expected: impl Into<String>,
        actual: impl Into<String>,
    ) -> SpecResult {
        let mut r = SpecResult::from_spec(self, self.failing_verdict(), None);
        r.expected = Some(expected.into());
        r.actual = Some(actual.into());
        r
    }

    /// The spec did not hold, for the reason given.
    pub fn fail_because(&'static self, reason: impl Into<String>) -> SpecResult {
        SpecResult::from_spec(self, self.failing_verdict(), Some(reason.into()))
    }

    /// Passes when `ok`, else fails with expected and actual.
    pub fn check(
        &'static self,
        ok: bool,
        expected: impl Into<String>,
        actual: impl Into<String>,
    ) -> SpecResult {
        if ok {
            self.pass()
        } else {
            self.fail(expected, actual)
        }
    }

    /// The spec could not be judged (a step it depends on failed).
    pub fn skip(&'static self, reason: impl Into<String>) -> SpecResult {
        SpecResult::from_spec(self, Verdict::Skipped, Some(reason.into()))
    }

    fn failing_verdict(&self) -> Verdict {
        match self.severity {
            Severity::Failure => Verdict::Failed,
            Severity::Warning => Verdict::Warning,
            Severity::Info => Verdict::Review,
        }
    }
}

/// Every catalogue spec, by area, for `probity specs` and for the fault matrix.
pub fn catalogue() -> impl Iterator<Item = &'static Spec> {
    [
        DISCOVERY,
        REQUEST,
        TOKEN,
        AUTHORIZE,
        ID_TOKEN,
        DECOUPLED,
        USERINFO,
        PAYMENT,
        ACCOUNT_INFO,
        SCHEMA,
        RUNNER,
    ]
    .into_iter()
    .flat_map(|a| a.iter().copied())
}

/// Looks a catalogue spec up by id.
pub fn find(id: &str) -> Option<&'static Spec> {
    catalogue().find(|s| s.id == id)
}
