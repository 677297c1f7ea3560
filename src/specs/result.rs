//! The outcome of one check.

use super::{Severity, Spec};
use serde::{Deserialize, Serialize};

/// What happened to a spec. Its word ([`Verdict::word`]) is how every
/// output writes it, `report.json` included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The target met the spec.
    Passed,
    /// The target broke a MUST.
    Failed,
    /// The target broke a SHOULD.
    Warning,
    /// A suggestion for a human to review.
    Review,
    /// Not judged: something it depends on failed. For a scenario: it
    /// could not apply to this target (a capability or role is missing).
    Skipped,
    /// For a scenario only: it ran, but some spec it exists to judge did
    /// not, so it proves nothing either way.
    Incomplete,
}

impl Verdict {
    /// Every verdict.
    pub const ALL: [Verdict; 6] = [
        Verdict::Passed,
        Verdict::Failed,
        Verdict::Warning,
        Verdict::Review,
        Verdict::Skipped,
        Verdict::Incomplete,
    ];

    /// Whether a reader must look at it: a failure, a warning, or a finding
    /// for a person to review. Every report lists these, failures first.
    pub fn is_problem(self) -> bool {
        matches!(self, Verdict::Failed | Verdict::Warning | Verdict::Review)
    }

    /// The verdict in words, as reports print it.
    pub fn word(self) -> &'static str {
        match self {
            Verdict::Passed => "PASSED",
            Verdict::Failed => "FAILED",
            Verdict::Warning => "WARNING",
            Verdict::Review => "REVIEW",
            Verdict::Skipped => "SKIPPED",
            Verdict::Incomplete => "INCOMPLETE",
        }
    }

    /// The report glyph.
    pub fn icon(self) -> &'static str {
        match self {
            Verdict::Passed => "✅",
            Verdict::Failed => "❌",
            Verdict::Warning => "⚠️",
            Verdict::Review => "🔎",
            Verdict::Skipped => "⏭️",
            Verdict::Incomplete => "🚧",
        }
    }
}

impl Serialize for Verdict {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.word())
    }
}

impl<'de> Deserialize<'de> for Verdict {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let word = String::deserialize(d)?;
        Verdict::ALL
            .into_iter()
            .find(|v| v.word() == word)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown verdict `{word}`")))
    }
}

/// The result of one check: the spec's identity plus what was seen.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SpecResult {
    /// Stable id of the spec.
    pub id: String,
    /// The "should …" sentence.
    pub should: String,
    /// Severity of the spec.
    pub severity: Severity,
    /// Requirement tag, e.g. `OIDC-DISC-4.3`.
    pub clause_tag: Option<String>,
    /// Link to the clause.
    pub clause_url: Option<String>,
    /// The outcome.
    pub verdict: Verdict,
    /// Why it failed or was skipped, or a note on what passed.
    pub reason: Option<String>,
    /// What the spec expected, when it failed on a value.
    pub expected: Option<String>,
    /// What the target gave, when it failed on a value.
    pub actual: Option<String>,
}

impl SpecResult {
    pub(super) fn from_spec(spec: &'static Spec, verdict: Verdict, reason: Option<String>) -> Self {
        SpecResult {
            id: spec.id.to_string(),
            should: spec.should.to_string(),
            severity: spec.severity,
            clause_tag: Some(spec.clause.tag.to_string()),
            clause_url: Some(spec.clause.url.to_string()),
            verdict,
            reason,
            expected: None,
            actual: None,
        }
    }

    /// A user-defined check from a suite file (e.g. a `request` step's
    /// `expect:`): its sentence is built from the YAML.
    pub fn user(id: String, should: String, ok: bool, expected: String, actual: String) -> Self {
        let (verdict, expected, actual) = if ok {
            (Verdict::Passed, None, None)
        } else {
            (Verdict::Failed, Some(expected), Some(actual))
        };
        SpecResult {
            id,
            should,
            severity: Severity::Failure,
            clause_tag: None,
            clause_url: None,
            verdict,
            reason: None,
            expected,
            actual,
        }
    }

    /// A user-defined check that could not be judged.
    pub fn user_skipped(id: String, should: String, reason: String) -> Self {
        SpecResult {
            id,
            should,
            severity: Severity::Failure,
            clause_tag: None,
            clause_url: None,
            verdict: Verdict::Skipped,
            reason: Some(reason),
            expected: None,
            actual: None,
        }
    }

    /// One line saying why the spec did not pass, for reports and JUnit.
    pub fn explanation(&self) -> Option<String> {
        let mut parts = Vec::new();
        if let Some(r) = &self.reason {
            parts.push(r.clone());
        }
        if let Some(e) = &self.expected {
            parts.push(format!("expected {e}"));
        }
        if let Some(a) = &self.actual {
            parts.push(format!("actual {a}"));
        }
        (!parts.is_empty()).then(|| parts.join("; "))
    }
}
