//! What every step kind says of itself. Each kind's module implements
//! [`Facts`] (what the plan checks read: its client, templates, what it
//! needs from earlier steps and provides to later ones) and [`Kind`] (how it
//! is decided against a target, what it requires of the target, and how it
//! runs). The table in `steps/mod.rs` lists the kinds once; the `Step` enum
//! and every dispatch come from it, so no other file matches on step kinds.

use super::client_auth::AssertionOverrides;
use super::requirements::Requirements;
use super::{Outcome, StepContext};
use crate::expr::Template;
use crate::target::{ClientProfile, Target, UnknownClient};
use crate::ConfigError;
use serde_saphyr::{Location, Spanned};
use std::collections::BTreeSet;
use std::future::Future;
use std::path::Path;

/// A client role of the target profile named by a step (`client: jwt`),
/// with where it was written; checked against the profile before a run.
pub type ClientRole = Spanned<String>;

/// The role's name, or `None` for the profile's default client.
pub fn role(client: &Option<ClientRole>) -> Option<&str> {
    client.as_ref().map(|c| c.value.as_str())
}

/// What an earlier step of a scenario provides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// The provider metadata and JWKS.
    Discovery,
    /// An authorization (code, callback, PKCE verifier).
    Authorization,
    /// A pushed authorization request (`request_uri`).
    PushedRequest,
    /// Tokens from a token endpoint.
    Tokens,
    /// A validated ID token.
    IdToken,
    /// A client assertion sent earlier.
    ClientAssertion,
}

impl Need {
    /// The kind of step that provides it, for messages.
    pub fn provider(self) -> &'static str {
        match self {
            Need::Discovery => "a `discovery` step",
            Need::Authorization => "an `authorize` step",
            Need::PushedRequest => {
                "an `authorize` step that pushes (`par: true`, or unset under a PAR variant)"
            }
            Need::Tokens => "a `token`, `client_credentials` or `decoupled` step",
            Need::IdToken => "an `id_token` step",
            Need::ClientAssertion => "a token request with a `private_key_jwt` client",
        }
    }
}

/// What the steps of a scenario so far have provided.
#[derive(Debug, Default)]
pub struct Provided {
    needs: Vec<Need>,
    captures: BTreeSet<String>,
}

impl Provided {
    /// Whether an earlier step provided `need`.
    pub fn has(&self, need: Need) -> bool {
        self.needs.contains(&need)
    }

    /// Records that what an earlier step provided is gone (a new
    /// authorization ends the earlier grant's tokens).
    pub fn remove(&mut self, need: Need) {
        self.needs.retain(|n| *n != need);
    }

    /// Records that a step provides `need`.
    pub fn add(&mut self, need: Need) {
        if !self.has(need) {
            self.needs.push(need);
        }
    }

    /// Records a value captured under `name`.
    pub fn capture(&mut self, name: &str) {
        self.captures.insert(name.to_string());
    }

    /// Whether an earlier step captured `name`.
    pub fn captured(&self, name: &str) -> bool {
        self.captures.contains(name)
    }

    /// The names captured so far, in order.
    pub fn capture_names(&self) -> impl Iterator<Item = &str> {
        self.captures.iter().map(String::as_str)
    }
}

/// Whether, and how, a decided step uses DPoP (RFC 9449).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DpopUse {
    /// It sends a proof, or tests a DPoP refusal: it means something only
    /// to a server that supports DPoP (RFC 9449 §5.1: others ignore the
    /// header), so the server must advertise it.
    pub tested: bool,
    /// It sends proofs of its own choosing, whatever the run's variant.
    pub own: bool,
}

/// What the plan checks and reports read of a step, as written.
pub trait Facts {
    /// The stage name the suite gave, if any.
    fn stage(&self) -> Option<&str>;

    /// The client role it names.
    fn client(&self) -> Option<&ClientRole> {
        None
    }

    /// Whether it acts as a client of the target: without `client:` it is
    /// then the profile's default client.
    fn acts_as_client(&self) -> bool {
        false
    }

    /// Every template it fills.
    fn templates(&self) -> Vec<&Template> {
        vec![]
    }

    /// The templates that are URLs.
    fn urls(&self) -> Vec<&Template> {
        vec![]
    }

    /// The names it captures values under, as the suite wrote them.
    fn capture_names(&self) -> Vec<&str> {
        vec![]
    }

    /// What it reads from earlier steps besides its templates, and why.
    fn needs(&self) -> Vec<(Need, &'static str)> {
        vec![]
    }

    /// Records what it provides to later steps.
    fn provide(&self, _provided: &mut Provided) {}

    /// The deliberate defects of its client assertion, if it sends one.
    fn client_assertion(&self) -> Option<&AssertionOverrides> {
        None
    }

    /// Whether it tests what the server must refuse: an expected error, or
    /// a deliberately wrong proof.
    fn expects_refusal(&self) -> bool {
        false
    }

    /// What loading checks beyond serde: combinations of keys, files the
    /// step names (relative to the suite file at `path`). `at` is where the
    /// step is written.
    fn check(&mut self, _path: &Path, _at: &Location) -> Result<(), ConfigError> {
        Ok(())
    }
}

/// A step kind: how it is decided against a target and how it runs.
pub trait Kind: Facts {
    /// The stage name shown when the suite gives none.
    const STAGE: &'static str;

    /// The step decided against a target: every default the variant or
    /// the profile settles (client, carriage, response mode, proofs), so
    /// that requirements and execution read one value.
    type Decided: Send + Sync;

    /// Settles the step's defaults under `target`; an error (a client role
    /// the profile lacks) makes the scenario SKIPPED with it.
    fn decide(&self, target: &Target) -> Result<Self::Decided, UnknownClient>;

    /// What it requires of the target beyond its client role and DPoP:
    /// metadata members, client methods. Not asked of a step that expects a
    /// refusal, which tests what the server must refuse whatever it
    /// advertises.
    fn require(&self, _decided: &Self::Decided, _target: &Target, _needs: &mut Requirements) {}

    /// Whether it uses DPoP, as decided.
    fn dpop(&self, _decided: &Self::Decided) -> DpopUse {
        DpopUse::default()
    }

    /// Runs it; exchanges are collected by the caller.
    fn run(
        &self,
        decided: &Self::Decided,
        stage: &str,
        ctx: &mut StepContext<'_>,
    ) -> impl Future<Output = Outcome> + Send;
}

/// The default client or the named one, as a decided value.
pub fn client_of(
    target: &Target,
    client: &Option<ClientRole>,
) -> Result<ClientProfile, UnknownClient> {
    target.client_named(role(client)).cloned()
}

/// A call with the default `{{ token.access_token }}` needs tokens from an
/// earlier step.
pub(crate) fn bearer(token: &Option<Template>) -> Option<(Need, &'static str)> {
    token.is_none().then_some((
        Need::Tokens,
        "a call with the default `{{ token.access_token }}`",
    ))
}

/// The templates of a call to `url` with `token` (default the access token)
/// and extra `headers`: what the resource-calling kinds fill.
pub(crate) fn call_templates<'a>(
    url: &'a Template,
    token: &'a Option<Template>,
    headers: &'a std::collections::BTreeMap<String, Template>,
) -> Vec<&'a Template> {
    let mut out = vec![url];
    out.extend(token);
    out.extend(headers.values());
    out
}
