//! The checks that make a loaded suite a runnable plan: every value a step
//! uses is provided by the profile or an earlier step of the same scenario,
//! and every client role a step names exists in the target profile.
//!
//! Each mistake is an error with file, line and column, found by `validate`
//! before any request, never a skip at run time.

use super::model::{role, ClientRole, ConsentKind, Scenario, Step, TokenGrant};
use super::template::{JsonTemplate, Ref, Template};
use crate::yaml::invalid;
use crate::ConfigError;
use serde_saphyr::{Location, Spanned};
use std::collections::BTreeSet;
use std::path::Path;

/// What an earlier step of a scenario provides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Need {
    Discovery,
    Authorization,
    PushedRequest,
    Tokens,
    IdToken,
    ClientAssertion,
}

impl Need {
    fn provider(self) -> &'static str {
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

/// What the steps so far have provided.
#[derive(Default)]
struct Provided {
    needs: Vec<Need>,
    captures: BTreeSet<String>,
}

impl Provided {
    fn has(&self, need: Need) -> bool {
        self.needs.contains(&need)
    }

    fn add(&mut self, need: Need) {
        if !self.has(need) {
            self.needs.push(need);
        }
    }
}

/// Checks one scenario of the suite at `path`. `roles` are the client roles
/// of the target profile, when one is known.
pub(crate) fn check_scenario(
    path: &Path,
    scenario: &Scenario,
    roles: Option<&[String]>,
) -> Result<(), ConfigError> {
    let mut provided = Provided::default();
    for step in &scenario.steps {
        let at = &step.referenced;
        for t in templates(&step.value) {
            check_template(path, t, at, &provided)?;
        }
        for url in urls(&step.value) {
            check_url(path, url, at)?;
        }
        for (need, what) in needs(&step.value) {
            if !provided.has(need) {
                let m = format!("{what} needs {} earlier in the scenario", need.provider());
                return Err(invalid(path, at, m));
            }
        }
        check_capture_names(path, step)?;
        if let (Some(roles), Some(client)) = (roles, client(&step.value)) {
            check_role(path, client, roles)?;
        }
        provide(&step.value, &mut provided);
    }
    Ok(())
}

fn check_template(
    path: &Path,
    t: &Template,
    step_at: &Location,
    provided: &Provided,
) -> Result<(), ConfigError> {
    let at = if *t.at() == Location::UNKNOWN {
        step_at
    } else {
        t.at()
    };
    for r in t.refs() {
        let missing =
            match r {
                Ref::Target(_) => None,
                Ref::Discovery(_) => Some(Need::Discovery).filter(|n| !provided.has(*n)),
                Ref::Authorize(_) => Some(Need::Authorization).filter(|n| !provided.has(*n)),
                Ref::Token(_) => Some(Need::Tokens).filter(|n| !provided.has(*n)),
                Ref::IdTokenSub => Some(Need::IdToken).filter(|n| !provided.has(*n)),
                Ref::Capture(name) if provided.captures.contains(name) => None,
                Ref::Capture(name) => {
                    let known: Vec<&str> = provided.captures.iter().map(String::as_str).collect();
                    let m =
                        format!(
                    "`{{{{ {name} }}}}` is not captured by any earlier step of this scenario \
                     (captured so far: {})",
                    if known.is_empty() { "none".into() } else { known.join(", ") }
                );
                    return Err(invalid(path, at, m));
                }
            };
        if let Some(need) = missing {
            let m = format!(
                "`{{{{ {r} }}}}` needs {} earlier in the scenario",
                need.provider()
            );
            return Err(invalid(path, at, m));
        }
    }
    Ok(())
}

fn check_role(path: &Path, client: &ClientRole, roles: &[String]) -> Result<(), ConfigError> {
    let name = client.value.as_str();
    if name == "default" || roles.iter().any(|r| r == name) {
        return Ok(());
    }
    let m = format!(
        "the target profile has no client `{name}`; it has: default{}",
        roles.iter().map(|r| format!(", {r}")).collect::<String>()
    );
    Err(invalid(path, &client.referenced, m))
}

fn client(step: &Step) -> Option<&ClientRole> {
    match step {
        Step::ClientCredentials(s) => s.client.as_ref(),
        Step::Authorize(s) => s.client.as_ref(),
        Step::Token(s) => s.client.as_ref(),
        Step::IdToken(s) => s.client.as_ref(),
        Step::Decoupled(s) => s.client.as_ref(),
        Step::Payment(s) | Step::Submit(s) | Step::VerifyResponseSignature(s) => s.client.as_ref(),
        Step::Consent(s) => s.client.as_ref(),
        _ => None,
    }
}

/// Whether a step of the scenario acts as the profile's default client
/// (a client step without `client:`).
pub fn uses_default_client(scenario: &Scenario) -> bool {
    scenario.steps.iter().any(|s| {
        let acts_as_client = !matches!(
            s.value,
            Step::Discovery(_)
                | Step::Request(_)
                | Step::Userinfo(_)
                | Step::PollStatus(_)
                | Step::Accounts(_)
        );
        acts_as_client && client(&s.value).is_none()
    })
}

/// The client role names a suite uses, for messages and role tables.
pub fn client_roles(scenario: &Scenario) -> BTreeSet<String> {
    scenario
        .steps
        .iter()
        .filter_map(|s| role(&client(&s.value).cloned()).map(str::to_string))
        .collect()
}

fn json<'a>(out: &mut Vec<&'a Template>, j: &'a Option<JsonTemplate>) {
    out.extend(j.iter().flat_map(JsonTemplate::templates));
}

/// Every template a step fills.
pub fn templates(step: &Step) -> Vec<&Template> {
    let mut out: Vec<&Template> = Vec::new();
    match step {
        Step::Discovery(s) => out.extend(&s.url),
        Step::Request(s) => {
            out.push(&s.url);
            out.extend(s.headers.values());
            out.extend(s.form.iter().flat_map(|f| f.values()));
            json(&mut out, &s.json);
        }
        Step::ClientCredentials(s) => out.extend(&s.scope),
        Step::Authorize(s) => {
            out.push(&s.scope);
            out.extend(s.params.values());
            json(&mut out, &s.claims);
            json(&mut out, &s.authorization_details);
        }
        Step::Token(s) => {
            out.extend(&s.scope);
            out.extend(s.override_fields.values());
            json(&mut out, &s.assertion);
        }
        Step::IdToken(s) => out.extend(s.expect_claims.values().flat_map(|j| j.templates())),
        Step::Decoupled(s) => out.extend(
            [&s.endpoint, &s.login_hint, &s.acr_values, &s.scope]
                .into_iter()
                .flatten(),
        ),
        Step::Userinfo(_) => {}
        Step::Payment(s) | Step::Submit(s) | Step::VerifyResponseSignature(s) => {
            out.push(&s.url);
            out.extend(&s.token);
            out.extend(s.headers.values());
            out.extend(&s.bundle);
            json(&mut out, &s.json);
        }
        Step::PollStatus(s) => {
            out.push(&s.url);
            out.extend(&s.token);
            out.extend(s.headers.values());
        }
        Step::Accounts(s) => {
            out.push(&s.url);
            out.extend(&s.token);
            out.extend(s.headers.values());
        }
        Step::Consent(s) => {
            out.push(&s.url);
            out.extend(&s.token);
            out.extend(s.headers.values());
            out.extend(s.json.templates());
        }
    }
    out
}

/// The templates of a step that are URLs.
fn urls(step: &Step) -> Vec<&Template> {
    match step {
        Step::Discovery(s) => s.url.iter().collect(),
        Step::Request(s) => vec![&s.url],
        Step::Decoupled(s) => s.endpoint.iter().collect(),
        Step::Payment(s) | Step::Submit(s) | Step::VerifyResponseSignature(s) => vec![&s.url],
        Step::PollStatus(s) => vec![&s.url],
        Step::Accounts(s) => vec![&s.url],
        Step::Consent(s) => vec![&s.url],
        _ => vec![],
    }
}

/// A URL written out in full must be an absolute http(s) URL; one that
/// starts with a placeholder is checked when it is filled.
fn check_url(path: &Path, url: &Template, step_at: &Location) -> Result<(), ConfigError> {
    let Some(head) = url.leading_text() else {
        return Ok(());
    };
    let at = if *url.at() == Location::UNKNOWN {
        step_at
    } else {
        url.at()
    };
    let full = url.literal().is_some();
    let ok = match url::Url::parse(head) {
        Ok(u) => matches!(u.scheme(), "http" | "https") && u.has_host(),
        // `https://{{ host }}/x` has a leading text that is not a URL yet.
        Err(_) => !full && (head.starts_with("https://") || head.starts_with("http://")),
    };
    if ok {
        return Ok(());
    }
    let m = format!(
        "`{head}` is not an absolute http(s) URL; write `https://host/path`, or start with a value such as `{{{{ target.api_base }}}}`"
    );
    Err(invalid(path, at, m))
}

/// What a step reads from earlier steps besides its templates, and why.
fn needs(step: &Step) -> Vec<(Need, &'static str)> {
    use Need::*;
    let bearer = |token: &Option<Template>| {
        token
            .is_none()
            .then_some((Tokens, "a call with the default `{{ token.access_token }}`"))
    };
    match step {
        Step::ClientCredentials(s) => {
            let mut n = vec![(Discovery, "a token request")];
            if s.replay_assertion {
                n.push((ClientAssertion, "`replay_assertion`"));
            }
            n
        }
        Step::Authorize(s) if s.reuse_request_uri => vec![
            (Discovery, "an authorization request"),
            (PushedRequest, "`reuse_request_uri`"),
        ],
        Step::Authorize(_) => vec![(Discovery, "an authorization request")],
        Step::Token(s) => {
            let grant = match s.grant {
                TokenGrant::AuthorizationCode => (Authorization, "`grant: authorization_code`"),
                TokenGrant::RefreshToken => (Tokens, "`grant: refresh_token`"),
                TokenGrant::JwtBearer => (Discovery, "`grant: jwt_bearer`"),
            };
            vec![(Discovery, "a token request"), grant]
        }
        Step::IdToken(s) => {
            let source = match s.from {
                super::IdTokenSource::Token => (Tokens, "an `id_token` step (`from: token`)"),
                super::IdTokenSource::Authorize => {
                    (Authorization, "an `id_token` step (`from: authorize`)")
                }
            };
            vec![(Discovery, "validating an ID token's signature"), source]
        }
        Step::Decoupled(_) => vec![(Discovery, "a decoupled authorization")],
        Step::Userinfo(_) => vec![
            (Discovery, "a UserInfo request"),
            (Tokens, "a UserInfo request"),
        ],
        Step::Payment(s) | Step::Submit(s) | Step::VerifyResponseSignature(s) => {
            let mut n: Vec<_> = bearer(&s.token).into_iter().collect();
            if s.verify_signature {
                n.push((Discovery, "verifying a response signature against the JWKS"));
            }
            n
        }
        Step::PollStatus(s) => bearer(&s.token).into_iter().collect(),
        Step::Accounts(s) => bearer(&s.token).into_iter().collect(),
        Step::Consent(s) => {
            let mut n: Vec<_> = bearer(&s.token).into_iter().collect();
            if s.kind != ConsentKind::ObieAccounts {
                n.push((Discovery, "verifying a response signature against the JWKS"));
            }
            n
        }
        Step::Discovery(_) | Step::Request(_) => vec![],
    }
}

/// Records what a step provides to later steps.
fn provide(step: &Step, p: &mut Provided) {
    let capture_names = |p: &mut Provided, names: &mut dyn Iterator<Item = &String>| {
        p.captures.extend(names.cloned());
    };
    match step {
        Step::Discovery(_) => p.add(Need::Discovery),
        Step::Request(s) => capture_names(p, &mut s.capture.keys()),
        Step::Authorize(s) => {
            p.add(Need::Authorization);
            // Unset, the variant decides, and a PAR variant pushes.
            if s.par != Some(false) {
                p.add(Need::PushedRequest);
            }
        }
        Step::ClientCredentials(_) | Step::Token(_) | Step::Decoupled(_) => {
            p.add(Need::Tokens);
            p.add(Need::ClientAssertion);
        }
        Step::IdToken(_) => p.add(Need::IdToken),
        Step::Payment(s) | Step::Submit(s) | Step::VerifyResponseSignature(s) => {
            capture_names(p, &mut s.capture.keys())
        }
        Step::Consent(s) => {
            capture_names(p, &mut s.capture.keys());
            p.captures
                .extend(s.kind.captures().iter().map(|(n, _)| n.to_string()));
        }
        Step::Userinfo(_) | Step::PollStatus(_) | Step::Accounts(_) => {}
    }
}

fn check_capture_names(path: &Path, step: &Spanned<Step>) -> Result<(), ConfigError> {
    let names = match &step.value {
        Step::Request(s) => s.capture.keys(),
        Step::Payment(s) | Step::Submit(s) | Step::VerifyResponseSignature(s) => s.capture.keys(),
        Step::Consent(s) => s.capture.keys(),
        _ => return Ok(()),
    };
    for name in names {
        let plain = !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        if !plain {
            let m = format!(
                "capture name `{name}` must be letters, digits, `_` and `-` \
                 (dotted names are probity's own: `token.access_token`, …)"
            );
            return Err(invalid(path, &step.referenced, m));
        }
    }
    Ok(())
}
