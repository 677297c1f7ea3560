//! The checks that make a loaded suite a runnable plan: every value a step
//! uses is provided by the profile or an earlier step of the same scenario,
//! and every client role a step names exists in the target profile.
//!
//! Each mistake is an error with file, line and column, found by `validate`
//! before any request, never a skip at run time. What each step needs and
//! provides its kind says (`crate::steps::Facts`).

use super::scenario::Scenario;
use crate::expr::{Ref, Template};
use crate::steps::{ClientRole, Facts, Need, Provided};
use crate::yaml::invalid;
use crate::ConfigError;
use serde_saphyr::Location;
use std::collections::BTreeSet;
use std::path::Path;

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
        let facts = step.value.facts();
        for t in facts.templates() {
            check_template(path, t, at, &provided)?;
        }
        for url in facts.urls() {
            check_url(path, url, at)?;
        }
        for (need, what) in facts.needs() {
            if !provided.has(need) {
                let m = format!("{what} needs {} earlier in the scenario", need.provider());
                return Err(invalid(path, at, m));
            }
        }
        check_capture_names(path, facts, at)?;
        if let (Some(roles), Some(client)) = (roles, facts.client()) {
            check_role(path, client, roles)?;
        }
        facts.provide(&mut provided);
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
                Ref::Capture(name) if provided.captured(name) => None,
                Ref::Capture(name) => {
                    let known: Vec<&str> = provided.capture_names().collect();
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

/// Whether a step of the scenario acts as the profile's default client
/// (a client step without `client:`).
pub fn uses_default_client(scenario: &Scenario) -> bool {
    scenario.steps.iter().any(|s| {
        let facts = s.value.facts();
        facts.acts_as_client() && facts.client().is_none()
    })
}

/// The client role names a suite uses, for messages and role tables.
pub fn client_roles(scenario: &Scenario) -> BTreeSet<String> {
    scenario
        .steps
        .iter()
        .filter_map(|s| s.value.facts().client().map(|c| c.value.clone()))
        .collect()
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

fn check_capture_names(path: &Path, step: &dyn Facts, at: &Location) -> Result<(), ConfigError> {
    for name in step.capture_names() {
        let plain = !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        if !plain {
            let m = format!(
                "capture name `{name}` must be letters, digits, `_` and `-` \
                 (dotted names are probity's own: `token.access_token`, …)"
            );
            return Err(invalid(path, at, m));
        }
    }
    Ok(())
}
