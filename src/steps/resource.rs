//! `resource`: a call to a protected resource with the scenario's access
//! token, presented as the token is bound: a DPoP proof for a DPoP-bound
//! token (RFC 9449 §7.1), the client's TLS certificate under mTLS (the
//! session always offers it), `Bearer` otherwise. A deliberately wrong
//! proof (`dpop: wrong_url`, …) must be refused; otherwise the response is
//! judged by `expect:` and kept by `capture:`, as a `request` step's is.

use super::dpop::{resource_headers, send_resource, DpopProof};
use super::kind::{bearer, call_templates, DpopUse, Facts, Kind, Need, Provided};
use super::request::{judge, unanswered, Checks, Expect};
use super::{Outcome, StepContext};
use crate::expr::{Capture, HttpMethod, Template};
use crate::http::OutgoingRequest;
use crate::specs::dpop::{NONCE_CHECKED, RESOURCE_PROOF_REQUIRED};
use crate::target::Target;
use serde::Deserialize;
use std::collections::BTreeMap;

/// `resource:` — call a protected resource with the bound access token.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResourceStep {
    /// Stage name in reports (default "Resource Request").
    pub stage: Option<String>,
    /// HTTP method (default GET).
    #[serde(default = "HttpMethod::get")]
    pub method: HttpMethod,
    /// URL (placeholders filled).
    pub url: Template,
    /// The access token (default `{{ token.access_token }}`).
    pub token: Option<Template>,
    /// Extra headers (placeholders filled).
    #[serde(default)]
    pub headers: BTreeMap<String, Template>,
    /// The DPoP proof sent with a DPoP-bound token; unset, a valid one. A
    /// defect expects the request refused.
    pub dpop: Option<DpopProof>,
    /// What the response should look like (not judged for a defect).
    #[serde(default)]
    pub expect: Expect,
    /// Values to keep for later steps: name → source.
    #[serde(default)]
    pub capture: BTreeMap<String, Capture>,
}

impl ResourceStep {
    fn checks(&self) -> Checks<'_> {
        Checks {
            expect: &self.expect,
            capture: &self.capture,
        }
    }

    /// The refusal spec of a defective proof, if the proof is one.
    fn refusal(&self) -> Option<&'static crate::specs::Spec> {
        match self.dpop {
            Some(DpopProof::WrongNonce) => Some(&NONCE_CHECKED),
            Some(p) if p.is_defect() => Some(&RESOURCE_PROOF_REQUIRED),
            _ => None,
        }
    }
}

impl Facts for ResourceStep {
    fn stage(&self) -> Option<&str> {
        self.stage.as_deref()
    }

    fn templates(&self) -> Vec<&Template> {
        call_templates(&self.url, &self.token, &self.headers)
    }

    fn urls(&self) -> Vec<&Template> {
        vec![&self.url]
    }

    fn capture_names(&self) -> Vec<&str> {
        self.capture.keys().map(String::as_str).collect()
    }

    fn needs(&self) -> Vec<(Need, &'static str)> {
        bearer(&self.token).into_iter().collect()
    }

    fn provide(&self, provided: &mut Provided) {
        self.capture.keys().for_each(|n| provided.capture(n));
    }

    fn expects_refusal(&self) -> bool {
        self.refusal().is_some()
    }
}

impl Kind for ResourceStep {
    const STAGE: &'static str = "Resource Request";
    /// Nothing to settle: how the token is presented follows how the token
    /// endpoint bound it, which only the run tells.
    type Decided = ();

    fn decide(&self, _: &Target) -> Result<(), crate::target::UnknownClient> {
        Ok(())
    }

    fn dpop(&self, _: &()) -> DpopUse {
        DpopUse {
            tested: self.dpop.is_some(),
            own: self.dpop.is_some_and(|p| p != DpopProof::Omitted),
        }
    }

    async fn run(&self, _: &(), stage: &str, ctx: &mut StepContext<'_>) -> Outcome {
        let checks = self.checks();
        let unjudged = |e: String| match self.refusal() {
            Some(spec) => Outcome {
                specs: vec![spec.skip(e)],
                artifacts: vec![],
                ok: false,
            },
            None => unanswered(&checks, &e, None),
        };
        let built = (|| {
            let token = ctx.state.bearer(&self.token)?;
            let url = self.url.render(&*ctx.state)?;
            let mut headers = ctx.state.headers(&self.headers)?;
            let method = self.method.0.clone();
            headers.extend(resource_headers(
                ctx.state,
                (self.dpop, false),
                &token,
                method.as_str(),
                &url,
            )?);
            let request = OutgoingRequest {
                method,
                url,
                headers,
                body: None,
            };
            Ok::<_, String>((request, token))
        })();
        let (request, token) = match built {
            Ok(b) => b,
            Err(e) => return unjudged(format!("the request could not be built: {e}")),
        };
        let url = request.url.clone();
        let response = send_resource(ctx, stage, request, &token, self.dpop).await;
        if let Some(spec) = self.refusal() {
            let spec = match &response {
                Ok(r) => spec.check(
                    (400..500).contains(&r.status),
                    "a 4xx refusal",
                    format!("status {}", r.status),
                ),
                Err(e) => spec.fail_because(e.clone()),
            };
            return Outcome {
                specs: vec![spec],
                artifacts: vec![],
                ok: true,
            };
        }
        match response {
            Ok(r) => {
                let (specs, ok) = judge(&checks, &r, &url, &mut ctx.state.captures);
                Outcome {
                    specs,
                    artifacts: vec![],
                    ok,
                }
            }
            Err(e) => unanswered(&checks, "the request got no complete response", Some(e)),
        }
    }
}
