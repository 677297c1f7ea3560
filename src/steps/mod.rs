//! Step kinds: each turns a YAML step into exchanges and spec results.
//!
//! A step never fails with an error: what it could not do becomes a failed
//! or skipped spec with its reason, and `ok: false` tells the runner that
//! later values it should have captured are missing.

pub mod accounts;
pub mod authorize;
pub mod client_auth;
pub mod consent;
pub mod decoupled;
pub mod discovery;
pub mod dpop;
pub mod id_token;
mod kind;
pub mod payment;
pub mod poll_status;
pub mod request;
mod requirements;
pub mod resource;
mod schema;
mod shapes;
mod signature;
pub mod state;
pub mod token;
pub mod userinfo;
mod wait;

pub use authorize::{kill_browsers_now, BrowserContext, Browsers};
pub use dpop::DpopProof;
pub use kind::{role, ClientRole, DpopUse, Facts, Kind, Need, Provided};
pub use requirements::{missing_roles, Requirements};
pub use shapes::{ExpectedError, Signing};
pub use state::ScenarioState;

use crate::http::{Exchange, Session};
use crate::specs::SpecResult;
use crate::target::Target;
use serde::{Deserialize, Serialize};

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
pub struct Outcome {
    /// Its spec results.
    pub specs: Vec<SpecResult>,
    /// Extra evidence.
    pub artifacts: Vec<Artifact>,
    /// Whether it reached its end.
    pub ok: bool,
}

/// The table of step kinds: each line is the kind's enum variant, its YAML
/// key and its shape, whose module implements [`Kind`]. The `Step` enum,
/// the decided [`Decided`] and every dispatch are made from it, so adding a
/// kind is one module and one line here.
macro_rules! step_kinds {
    ($($(#[$doc:meta])* $variant:ident = $yaml:literal => $shape:ty,)+) => {
        /// One step, as written: its kind and its shape.
        #[derive(Debug, Clone, Deserialize)]
        #[serde(deny_unknown_fields)]
        pub enum Step {
            $($(#[$doc])* #[serde(rename = $yaml)] $variant(Box<$shape>),)+
        }

        /// A step decided against a target: the step as written and what
        /// its kind settled (client, carriage, proofs).
        pub enum Decided<'s> {
            $($(#[$doc])* $variant(&'s $shape, <$shape as Kind>::Decided),)+
        }

        impl Step {
            /// The step kind as written in YAML.
            pub fn kind(&self) -> &'static str {
                match self {
                    $(Step::$variant(_) => $yaml,)+
                }
            }

            /// What the plan checks and reports read of it.
            pub fn facts(&self) -> &dyn Facts {
                match self {
                    $(Step::$variant(s) => &**s,)+
                }
            }

            /// The same, to check it at load.
            pub fn facts_mut(&mut self) -> &mut dyn Facts {
                match self {
                    $(Step::$variant(s) => &mut **s,)+
                }
            }

            /// The stage name shown in reports.
            pub fn stage(&self) -> String {
                match self {
                    $(Step::$variant(s) => s
                        .stage()
                        .unwrap_or(<$shape as Kind>::STAGE)
                        .to_string(),)+
                }
            }

            /// Settles the step's defaults under `target`.
            pub fn decide(
                &self,
                target: &Target,
            ) -> Result<Decided<'_>, crate::target::UnknownClient> {
                Ok(match self {
                    $(Step::$variant(s) => Decided::$variant(s, s.decide(target)?),)+
                })
            }
        }

        impl Decided<'_> {
            /// The step kind as written in YAML.
            pub fn kind(&self) -> &'static str {
                match self {
                    $(Decided::$variant(..) => $yaml,)+
                }
            }

            /// The stage name shown in reports.
            pub fn stage(&self) -> String {
                match self {
                    $(Decided::$variant(s, _) => s
                        .stage()
                        .unwrap_or(<$shape as Kind>::STAGE)
                        .to_string(),)+
                }
            }

            /// What the step requires of `target`.
            pub fn require(&self, target: &Target, needs: &mut Requirements) {
                match self {
                    $(Decided::$variant(s, d) => s.require(d, target, needs),)+
                }
            }

            /// Whether it uses DPoP.
            pub fn dpop(&self) -> DpopUse {
                match self {
                    $(Decided::$variant(s, d) => s.dpop(d),)+
                }
            }

            /// The step as written.
            pub fn facts(&self) -> &dyn Facts {
                match self {
                    $(Decided::$variant(s, _) => *s,)+
                }
            }

            async fn run(&self, stage: &str, ctx: &mut StepContext<'_>) -> Outcome {
                match self {
                    $(Decided::$variant(s, d) => s.run(d, stage, ctx).await,)+
                }
            }
        }
    };
}

step_kinds! {
    /// Fetch and judge the provider metadata and its JWKS.
    Discovery = "discovery" => discovery::DiscoveryStep,
    /// A generic HTTP call with expectations and captures.
    Request = "request" => request::RequestStep,
    /// A client credentials grant.
    ClientCredentials = "client_credentials" => token::ClientCredentialsStep,
    /// An authorization request answered through a consent driver.
    Authorize = "authorize" => authorize::AuthorizeStep,
    /// A token request: authorization code, refresh token or JWT bearer.
    Token = "token" => token::TokenStep,
    /// Validate an ID token.
    IdToken = "id_token" => id_token::IdTokenStep,
    /// Decoupled authorization: CIBA poll mode or the Idura headless flow.
    Decoupled = "decoupled" => decoupled::DecoupledStep,
    /// Call the UserInfo endpoint with `token.access_token`.
    Userinfo = "userinfo" => userinfo::UserinfoStep,
    /// A signed resource API call (payment consents, payments, submissions).
    Payment = "payment" => payment::PaymentCall,
    /// Submit an authorised payment: OP `PUT …/submissions/{id}` or OBIE
    /// `POST domestic-payments` (a payment step whose method defaults to PUT).
    Submit = "submit" => payment::SubmitCall,
    /// GET a resource (default method) and verify its `x-jws-signature`
    /// against the ASPSP's JWKS, reporting key and alg.
    VerifyResponseSignature = "verify_response_signature" => payment::VerifyCall,
    /// Poll a resource until its status is terminal.
    PollStatus = "poll_status" => poll_status::PollStatusStep,
    /// Read the PSU's accounts, balances and transactions.
    Accounts = "accounts" => accounts::AccountsStep,
    /// Create the intent an authorization will name, and capture its id.
    Consent = "consent" => consent::ConsentStep,
    /// Call a protected resource with the access token, bound as it is.
    Resource = "resource" => resource::ResourceStep,
}

/// Runs one decided step, written at `location`, and gathers the exchanges
/// it made.
pub async fn run_step(
    step: &Decided<'_>,
    location: String,
    ctx: &mut StepContext<'_>,
) -> StepResult {
    ctx.session.take_exchanges();
    ctx.session.take_learned();
    let stage = step.stage();
    let outcome = step.run(&stage, ctx).await;
    let exchanges = ctx.session.take_exchanges();
    let mut specs = outcome.specs;
    specs.extend(dpop::judge_nonces(&exchanges));
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
