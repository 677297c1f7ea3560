//! `userinfo`: call the UserInfo endpoint with the access token: GET or
//! POST (OIDC Core §5.3), the token in the `Authorization` header or in the
//! form body (RFC 6750 §2.1, §2.2).

use super::dpop::DpopProof;
use super::kind::{DpopUse, Facts, Kind, Need};
use super::requirements::Requirements;
use super::state::ScenarioState;
use super::{Artifact, Outcome, StepContext};
use crate::http::{OutgoingRequest, RequestBody};
use crate::specs::dpop::{NONCE_CHECKED, RESOURCE_PROOF_REQUIRED};
use crate::specs::userinfo::*;
use crate::target::Target;
use crate::ConfigError;
use serde::Deserialize;
use serde_json::Value;
use serde_saphyr::Location;
use std::path::Path;

/// `userinfo:` — the UserInfo request.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserinfoStep {
    /// Stage name in reports.
    pub stage: Option<String>,
    /// `get` (default) or `post` (OIDC Core §5.3: the endpoint must support both).
    #[serde(default)]
    pub method: UserinfoMethod,
    /// Where the access token travels: the `Authorization` header (default,
    /// RFC 6750 §2.1) or the form body of a POST (RFC 6750 §2.2).
    #[serde(default)]
    pub token_in: TokenPlacement,
    /// The DPoP proof sent with a DPoP-bound token; a defect expects the
    /// request refused (RFC 9449 §7.1).
    pub dpop: Option<DpopProof>,
    /// The access token's code was replayed since: the token should be
    /// revoked, and a 4xx is expected (a 200 is a warning).
    #[serde(default)]
    pub expect_revoked: bool,
    /// Write the `Authorization` scheme in lower case (`bearer`, `dpop`):
    /// RFC 9110 §11.1 makes it case-insensitive.
    #[serde(default)]
    pub lowercase_scheme: bool,
}

/// The HTTP method of a UserInfo request.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UserinfoMethod {
    /// GET.
    #[default]
    Get,
    /// POST.
    Post,
}

/// Where a Bearer token is sent.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenPlacement {
    /// `Authorization: Bearer …` (RFC 6750 §2.1).
    #[default]
    Header,
    /// `access_token` in an `application/x-www-form-urlencoded` body (RFC 6750 §2.2).
    Body,
}

impl Facts for UserinfoStep {
    fn stage(&self) -> Option<&str> {
        self.stage.as_deref()
    }

    fn needs(&self) -> Vec<(Need, &'static str)> {
        vec![
            (Need::Discovery, "a UserInfo request"),
            (Need::Tokens, "a UserInfo request"),
        ]
    }

    fn expects_refusal(&self) -> bool {
        self.dpop.is_some_and(DpopProof::is_defect) || self.expect_revoked
    }

    fn check(&mut self, path: &Path, at: &Location) -> Result<(), ConfigError> {
        if self.token_in == TokenPlacement::Body && self.method != UserinfoMethod::Post {
            let m = "`token_in: body` needs `method: post` (RFC 6750 §2.2: a form body is never sent with GET)".to_string();
            return Err(crate::yaml::invalid(path, at, m));
        }
        Ok(())
    }
}

impl Kind for UserinfoStep {
    const STAGE: &'static str = "UserInfo Request";
    /// Nothing to settle: a proof goes with the token when the token
    /// endpoint bound it to a DPoP key, which only the run tells.
    type Decided = ();

    fn decide(&self, _: &Target) -> Result<(), crate::target::UnknownClient> {
        Ok(())
    }

    fn require(&self, _: &(), _: &Target, needs: &mut Requirements) {
        needs.present("userinfo_endpoint", "a UserInfo request");
    }

    fn dpop(&self, _: &()) -> DpopUse {
        DpopUse {
            // `omitted` tests a DPoP-bound token sent without its proof.
            tested: self.dpop.is_some(),
            own: self.dpop.is_some_and(|p| p != DpopProof::Omitted),
        }
    }

    async fn run(&self, _: &(), stage: &str, ctx: &mut StepContext<'_>) -> Outcome {
        run(self, stage, ctx).await
    }
}

/// The request as the step asks for it; a DPoP-bound token goes with a
/// proof (RFC 9449 §7.1).
fn request(
    step: &UserinfoStep,
    url: String,
    token: &str,
    state: &mut ScenarioState,
) -> Result<OutgoingRequest, String> {
    let method = match step.method {
        UserinfoMethod::Get => "GET",
        UserinfoMethod::Post => "POST",
    };
    let mut req = OutgoingRequest::get(&url).header("accept", "application/json");
    if step.method == UserinfoMethod::Post {
        req.method = reqwest::Method::POST;
    }
    Ok(match step.token_in {
        TokenPlacement::Header => {
            req.headers.extend(super::dpop::resource_headers(
                state,
                (step.dpop, step.lowercase_scheme),
                token,
                method,
                &url,
            )?);
            req
        }
        TokenPlacement::Body => {
            req.body = Some(RequestBody::Form(vec![(
                "access_token".into(),
                token.to_string(),
            )]));
            req
        }
    })
}

/// Runs a userinfo step.
async fn run(step: &UserinfoStep, stage: &str, ctx: &mut StepContext<'_>) -> Outcome {
    let prepared = ctx
        .state
        .endpoint("userinfo_endpoint")
        .and_then(|u| Ok((u, ctx.state.access_token()?)));
    let refusal = step.dpop.filter(|p| p.is_defect()).is_some();
    let unjudged = |e: String| Outcome {
        specs: vec![match (refusal, step.token_in) {
            (true, _) if step.dpop == Some(DpopProof::WrongNonce) => NONCE_CHECKED.skip(e),
            (true, _) => RESOURCE_PROOF_REQUIRED.skip(e),
            (false, _) if step.expect_revoked => REVOKED.skip(e),
            (false, TokenPlacement::Header) => STATUS_OK.skip(e),
            (false, TokenPlacement::Body) => BODY_TOKEN.skip(e),
        }],
        artifacts: vec![],
        ok: false,
    };
    let req = prepared.and_then(|(url, token)| Ok((request(step, url, &token, ctx.state)?, token)));
    let (req, token) = match req {
        Ok(r) => r,
        Err(e) => return unjudged(e),
    };
    let response = super::dpop::send_resource(ctx, stage, req, &token, step.dpop).await;
    let response = response.as_ref().map_err(String::clone);
    if refusal {
        let spec = match step.dpop {
            Some(DpopProof::WrongNonce) => &NONCE_CHECKED,
            _ => &RESOURCE_PROOF_REQUIRED,
        };
        return judge_refusal(spec, response);
    }
    if step.expect_revoked {
        return judge_revoked(response);
    }
    // A token in the body is optional for the server (RFC 6750 §2.2 "MAY"):
    // a refusal is judged by its own warning-level spec.
    let status_spec = match step.token_in {
        TokenPlacement::Header => &STATUS_OK,
        TokenPlacement::Body => &BODY_TOKEN,
    };
    let body = response.and_then(|r| match (r.status, r.json()) {
        (200, Ok(Value::Object(m))) => Ok(m),
        (status, _) => Err(format!(
            "status {status}: {}",
            r.body.chars().take(200).collect::<String>()
        )),
    });
    let body = match body {
        Ok(b) => b,
        Err(e) => {
            return Outcome {
                specs: vec![status_spec.fail_because(e)],
                artifacts: vec![],
                ok: false,
            }
        }
    };
    let mut specs = vec![status_spec.pass()];
    let sub = body
        .get("sub")
        .and_then(Value::as_str)
        .unwrap_or("(absent)");
    if let Some(id_sub) = ctx.state.id_token_sub.as_deref() {
        specs.push(SUB_MATCHES.check(sub == id_sub, id_sub, sub));
    }
    let granted = ctx
        .state
        .tokens
        .scope
        .clone()
        .or_else(|| ctx.state.authorization.as_ref().map(|a| a.scope.clone()))
        .unwrap_or_default();
    specs.extend(scope_claims(&granted, &body));
    let asked = ctx
        .state
        .authorization
        .as_ref()
        .and_then(|a| a.claims.as_ref());
    specs.extend(requested_claims(
        asked,
        "userinfo",
        &body,
        &REQUESTED_CLAIMS,
    ));
    specs.extend(claim_types(&body));
    let artifacts = vec![Artifact::Claims {
        label: "UserInfo claims".into(),
        claims: Value::Object(body),
    }];
    Outcome {
        specs,
        artifacts,
        ok: true,
    }
}

/// A DPoP-bound token with a wrong or missing proof must be refused
/// (RFC 9449 §7.1): any 4xx passes, an answer with claims fails.
fn judge_refusal(
    spec: &'static crate::specs::Spec,
    response: Result<&crate::http::RecordedResponse, String>,
) -> Outcome {
    let spec = match response {
        Ok(r) => spec.check(
            (400..500).contains(&r.status),
            "a 4xx refusal",
            format!("status {}", r.status),
        ),
        Err(e) => spec.fail_because(e),
    };
    Outcome {
        specs: vec![spec],
        artifacts: vec![],
        ok: true,
    }
}

/// The claims of each standard scope (OIDC Core §5.4); the OP returns those
/// it has, so one of each granted scope is asked for, as a warning.
const SCOPE_CLAIMS_OF: &[(&str, &[&str])] = &[
    (
        "profile",
        &[
            "name",
            "family_name",
            "given_name",
            "middle_name",
            "nickname",
            "preferred_username",
            "profile",
            "picture",
            "website",
            "gender",
            "birthdate",
            "zoneinfo",
            "locale",
            "updated_at",
        ],
    ),
    ("email", &["email", "email_verified"]),
    ("address", &["address"]),
    ("phone", &["phone_number", "phone_number_verified"]),
];

fn scope_claims(
    granted: &str,
    body: &serde_json::Map<String, Value>,
) -> Option<crate::specs::SpecResult> {
    let asked: Vec<&(&str, &[&str])> = SCOPE_CLAIMS_OF
        .iter()
        .filter(|(scope, _)| granted.split_whitespace().any(|s| s == *scope))
        .collect();
    if asked.is_empty() {
        return None;
    }
    let missing: Vec<&str> = asked
        .iter()
        .filter(|(_, claims)| !claims.iter().any(|c| body.contains_key(*c)))
        .map(|(scope, _)| *scope)
        .collect();
    let scopes: Vec<&str> = asked.iter().map(|(s, _)| *s).collect();
    Some(SCOPE_CLAIMS.check(
        missing.is_empty(),
        format!("claims of {}", scopes.join(", ")),
        if missing.is_empty() {
            "present".to_string()
        } else {
            format!("none of the claims of {}", missing.join(", "))
        },
    ))
}

/// The claims the `claims` parameter asked of `member` (`userinfo`,
/// `id_token`) that `got` lacks, judged by `spec` (OIDC Core §5.5: an OP
/// may withhold them, so a warning).
pub(super) fn requested_claims(
    asked: Option<&Value>,
    member: &str,
    got: &serde_json::Map<String, Value>,
    spec: &'static crate::specs::Spec,
) -> Option<crate::specs::SpecResult> {
    let names: Vec<&String> = asked?.get(member)?.as_object()?.keys().collect();
    if names.is_empty() {
        return None;
    }
    let missing: Vec<&str> = names
        .iter()
        .filter(|n| !got.contains_key(n.as_str()))
        .map(|n| n.as_str())
        .collect();
    let wanted: Vec<&str> = names.iter().map(|n| n.as_str()).collect();
    Some(spec.check(
        missing.is_empty(),
        wanted.join(", "),
        format!("missing: {}", missing.join(", ")),
    ))
}

/// The JSON type each standard claim has (OIDC Core §5.1).
const STANDARD_CLAIM_TYPES: &[(&str, &str)] = &[
    ("name", "string"),
    ("given_name", "string"),
    ("family_name", "string"),
    ("middle_name", "string"),
    ("nickname", "string"),
    ("preferred_username", "string"),
    ("profile", "string"),
    ("picture", "string"),
    ("website", "string"),
    ("email", "string"),
    ("email_verified", "boolean"),
    ("gender", "string"),
    ("birthdate", "string"),
    ("zoneinfo", "string"),
    ("locale", "string"),
    ("phone_number", "string"),
    ("phone_number_verified", "boolean"),
    ("address", "object"),
    ("updated_at", "number"),
];

/// The standard claims returned with another JSON type than OIDC Core
/// §5.1 gives them; judged only when the response holds one.
fn claim_types(body: &serde_json::Map<String, Value>) -> Option<crate::specs::SpecResult> {
    let present: Vec<(&str, &str, &Value)> = STANDARD_CLAIM_TYPES
        .iter()
        .filter_map(|(name, ty)| body.get(*name).map(|v| (*name, *ty, v)))
        .collect();
    if present.is_empty() {
        return None;
    }
    let wrong: Vec<String> = present
        .iter()
        .filter(|(_, ty, v)| !match *ty {
            "string" => v.is_string(),
            "boolean" => v.is_boolean(),
            "number" => v.is_number(),
            _ => v.is_object(),
        })
        .map(|(name, ty, v)| {
            format!(
                "`{name}` is {} where a {ty} belongs",
                super::shown(&v.to_string())
            )
        })
        .collect();
    Some(CLAIM_TYPES.check(
        wrong.is_empty(),
        "each standard claim with its OIDC Core §5.1 type",
        wrong.join("; "),
    ))
}

/// After its code was replayed, the access token should no longer work
/// (RFC 6749 §4.1.2 SHOULD): any 4xx passes, a 200 warns.
fn judge_revoked(response: Result<&crate::http::RecordedResponse, String>) -> Outcome {
    let spec = match response {
        Ok(r) => REVOKED.check(
            (400..500).contains(&r.status),
            "a 4xx refusal",
            format!("status {}: the token still works", r.status),
        ),
        Err(e) => REVOKED.fail_because(e),
    };
    Outcome {
        specs: vec![spec],
        artifacts: vec![],
        ok: true,
    }
}
