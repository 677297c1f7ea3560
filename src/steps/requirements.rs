//! What a scenario needs of the target, and the check that makes a scenario
//! SKIPPED (with the missing capability named) instead of FAILED when the
//! target does not offer it.
//!
//! Most needs follow from the decided steps: each kind says what it
//! requires (a response type, PAR, RAR types, CIBA, a grant type, a client
//! authentication method); this module collects them with the client roles,
//! the profile values templates read and a scenario's explicit
//! `requires: { metadata: … }`. Roles are checked before the first request;
//! metadata once a discovery step has fetched it.

use super::state::target_has;
use super::{Decided, Facts};
use crate::expr::{JsonTemplate, Ref, Template};
use crate::target::{ClientAuthMethod, ClientProfile, Target};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// One thing the provider metadata must say.
#[derive(Debug, Clone, PartialEq)]
struct MetadataNeed {
    /// The member.
    member: String,
    /// What it must hold.
    want: Want,
    /// Which step or setting needs it, for the skip reason.
    why: String,
}

#[derive(Debug, Clone, PartialEq)]
enum Want {
    /// Any value.
    Present,
    /// A list holding this value (an absent list uses `default`).
    Contains {
        value: String,
        default: &'static [&'static str],
    },
    /// A list holding this value, when the server lists any: the member is
    /// RECOMMENDED, and an absent list says nothing.
    ListedIfAny(String),
    /// This exact value (an absent member counts as `default`).
    Equals {
        value: Value,
        default: Option<Value>,
    },
}

/// Everything a scenario needs of a target.
#[derive(Debug, Clone, Default)]
pub struct Requirements {
    /// Client roles whose assertion is signed with another alg by the same
    /// key (`client_assertion: {alg: RS256}`): their key must be RSA, PS256.
    rsa_signers: Vec<String>,
    values: Vec<Ref>,
    metadata: Vec<MetadataNeed>,
}

impl Requirements {
    /// The needs of a scenario's decided `steps` against `target`, with
    /// the metadata its `requires:` names.
    pub fn of(steps: &[Decided<'_>], explicit: &BTreeMap<String, Value>, target: &Target) -> Self {
        let mut r = Requirements::default();
        for step in steps {
            r.step(step, target);
            for t in step.facts().templates() {
                let unset = t.refs().filter(|r| match r {
                    Ref::Target(f) => !target_has(target, *f),
                    _ => false,
                });
                for v in unset {
                    if !r.values.contains(v) {
                        r.values.push(v.clone());
                    }
                }
                // A metadata member a template names must be advertised.
                for m in t.refs().filter_map(|r| match r {
                    Ref::Discovery(m) => Some(m.clone()),
                    _ => None,
                }) {
                    let why = format!("`{{{{ discovery.{m} }}}}`");
                    r.need(&m, Want::Present, why);
                }
            }
        }
        for (member, value) in explicit {
            r.need(
                member,
                explicit_want(value),
                "the scenario's `requires:`".into(),
            );
        }
        r
    }

    /// The member must be present (not null).
    pub fn present(&mut self, member: &str, why: &str) {
        self.need(member, Want::Present, why.to_string());
    }

    /// The member must be `true`; absent counts as `false`.
    pub fn flag(&mut self, member: &str, why: &str) {
        let want = Want::Equals {
            value: Value::Bool(true),
            default: Some(Value::Bool(false)),
        };
        self.need(member, want, why.to_string());
    }

    /// The list must hold `value` when the server lists any: the member is
    /// RECOMMENDED, and an absent list says nothing.
    pub fn listed_if_any(&mut self, member: &str, value: &str, why: String) {
        self.need(member, Want::ListedIfAny(value.to_string()), why);
    }

    fn need(&mut self, member: &str, want: Want, why: String) {
        let need = MetadataNeed {
            member: member.to_string(),
            want,
            why,
        };
        if !self.metadata.contains(&need) {
            self.metadata.push(need);
        }
    }

    /// The list must hold `value`; an absent list counts as `default`.
    pub fn contains(
        &mut self,
        member: &str,
        value: &str,
        default: &'static [&'static str],
        why: &str,
    ) {
        let want = Want::Contains {
            value: value.to_string(),
            default,
        };
        self.need(member, want, why.to_string());
    }

    fn step(&mut self, step: &Decided<'_>, target: &Target) {
        let facts = step.facts();
        if facts
            .client_assertion()
            .and_then(|o| o.alg.as_deref())
            .is_some()
        {
            let role = facts.client().map_or("default", |c| c.value.as_str());
            self.rsa_signers.push(role.to_string());
        }
        // DPoP, valid or deliberately wrong, means something only to a
        // server that supports it (RFC 9449 §5.1: others ignore the header).
        if step.dpop().tested {
            self.contains(
                "dpop_signing_alg_values_supported",
                "ES256",
                &[],
                "a DPoP proof (RFC 9449), signed with ES256",
            );
        }
        // A step that expects a refusal tests what the server must refuse,
        // whatever it advertises.
        if facts.expects_refusal() {
            return;
        }
        step.require(target, self);
    }

    /// The client's authentication method must be offered.
    pub fn token_auth(&mut self, client: &ClientProfile, what: &str) {
        let Some(method) = auth_method_name(client.auth_method) else {
            return;
        };
        let why = format!("{what} with `{method}`");
        self.contains(
            "token_endpoint_auth_methods_supported",
            method,
            &["client_secret_basic"],
            &why,
        );
    }

    /// What the profile lacks before any request: an RSA key a client must
    /// sign with, or a value the suites take from it.
    pub fn unmet_by_profile(&self, target: &Target) -> Option<String> {
        if let Some(why) = self.no_rsa_key(target) {
            return Some(why);
        }
        let names: Vec<String> = self
            .values
            .iter()
            .map(|r| format!("`values.{}`", r.to_string().trim_start_matches("target.")))
            .collect();
        (!names.is_empty()).then(|| {
            format!(
                "the target profile sets no {} (the scenario needs it)",
                names.join(", ")
            )
        })
    }

    /// A client that must sign with its RSA key under another alg but has
    /// no PS256 key (the OIDF RS256 modules skip such a client too).
    fn no_rsa_key(&self, target: &Target) -> Option<String> {
        self.rsa_signers.iter().find_map(|role| {
            let client = target.client_named(Some(role)).ok()?;
            let alg = client.key.as_ref().map_or("(no key)", |k| k.alg.as_str());
            (alg != "PS256").then(|| {
                format!(
                    "the client `{}` signs with {alg}: an assertion by its own key under another RSA alg needs an RSA key used with PS256",
                    client.id
                )
            })
        })
    }

    /// What the metadata lacks, as a skip reason.
    pub fn unmet(&self, metadata: &Map<String, Value>) -> Option<String> {
        let unmet: Vec<String> = self
            .metadata
            .iter()
            .filter(|n| !met(n, metadata))
            .map(describe)
            .collect();
        (!unmet.is_empty()).then(|| format!("the ASPSP does not advertise {}", unmet.join("; ")))
    }
}

/// The client roles of `steps` the target lacks, as a skip reason: checked
/// before the steps are decided, since each decides its client.
pub fn missing_roles<'a>(
    steps: impl Iterator<Item = &'a dyn Facts>,
    target: &Target,
) -> Option<String> {
    let have = target.roles();
    let mut missing: Vec<String> = Vec::new();
    for name in steps.filter_map(|s| s.client()).map(|c| c.value.as_str()) {
        if name != "default"
            && !have.iter().any(|r| r == name)
            && !missing.iter().any(|m| m == name)
        {
            missing.push(name.to_string());
        }
    }
    (!missing.is_empty()).then(|| {
        let names: Vec<String> = missing.iter().map(|r| format!("`{r}`")).collect();
        format!(
            "the target profile has no client role {} (see `probity plans --roles`)",
            names.join(", ")
        )
    })
}

pub(crate) const CIBA_GRANT: &str = "urn:openid:params:grant-type:ciba";

/// RFC 8414 §2: an absent `grant_types_supported` means these.
pub(crate) const GRANT_DEFAULTS: &[&str] = &["authorization_code", "implicit"];

impl Requirements {
    /// Each scope value of `scope` (filled from the profile) must be in
    /// `scopes_supported` when the server lists scopes (OIDC Discovery §3:
    /// RECOMMENDED, so an absent list is no refusal).
    pub fn scopes(&mut self, scope: Option<&Template>, target: &Target, why: &str) {
        let state = super::state::ScenarioState::new(target);
        let Some(Ok(scope)) = scope.map(|t| t.render(&state)) else {
            return;
        };
        for value in scope.split_whitespace() {
            let why = format!("{why} (scope `{value}`)");
            self.need("scopes_supported", Want::ListedIfAny(value.into()), why);
        }
    }
}

fn auth_method_name(m: ClientAuthMethod) -> Option<&'static str> {
    Some(match m {
        ClientAuthMethod::ClientSecretBasic => "client_secret_basic",
        ClientAuthMethod::ClientSecretPost => "client_secret_post",
        ClientAuthMethod::PrivateKeyJwt => "private_key_jwt",
        ClientAuthMethod::TlsClientAuth => "tls_client_auth",
        ClientAuthMethod::None => return None,
    })
}

/// The literal `type`s of an `authorization_details` template.
pub(crate) fn detail_types(details: Option<&JsonTemplate>) -> Vec<String> {
    let Some(details) = details else {
        return vec![];
    };
    match details.literal_value() {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|i| i.get("type").and_then(Value::as_str).map(str::to_string))
            .collect(),
        _ => vec![],
    }
}

fn explicit_want(value: &Value) -> Want {
    match value {
        Value::String(s) => Want::Contains {
            value: s.clone(),
            default: &[],
        },
        other => Want::Equals {
            value: other.clone(),
            default: None,
        },
    }
}

fn met(need: &MetadataNeed, metadata: &Map<String, Value>) -> bool {
    let got = metadata.get(&need.member);
    match &need.want {
        Want::Present => got.is_some_and(|v| !v.is_null()),
        Want::Contains { value, default } => match got {
            Some(Value::Array(items)) => items.iter().any(|i| same_token_set(i, value)),
            Some(Value::String(s)) => s == value,
            Some(_) => false,
            None => default.contains(&value.as_str()),
        },
        Want::ListedIfAny(value) => match got {
            Some(Value::Array(items)) => items.iter().any(|i| i.as_str() == Some(value)),
            _ => true,
        },
        Want::Equals { value, default } => match got {
            Some(v) => v == value,
            None => default.as_ref() == Some(value),
        },
    }
}

/// `code id_token` and `id_token code` are the same response type.
fn same_token_set(item: &Value, want: &str) -> bool {
    let Some(s) = item.as_str() else {
        return false;
    };
    let mut a: Vec<&str> = s.split_whitespace().collect();
    let mut b: Vec<&str> = want.split_whitespace().collect();
    a.sort_unstable();
    b.sort_unstable();
    a == b
}

fn describe(n: &MetadataNeed) -> String {
    match &n.want {
        Want::Present => format!("`{}` (needed by {})", n.member, n.why),
        Want::Contains { value, .. } | Want::ListedIfAny(value) => {
            format!("`{value}` in `{}` (needed by {})", n.member, n.why)
        }
        Want::Equals { value, .. } => format!("`{}: {value}` (needed by {})", n.member, n.why),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn need(member: &str, want: Want) -> MetadataNeed {
        MetadataNeed {
            member: member.into(),
            want,
            why: "a test".into(),
        }
    }

    #[test]
    fn a_listed_if_any_need_is_met_by_an_absent_list() {
        let want = || need("scopes_supported", Want::ListedIfAny("profile".into()));
        let m = |v: serde_json::Value| v.as_object().cloned().unwrap_or_default();
        assert!(met(&want(), &m(json!({}))));
        assert!(met(
            &want(),
            &m(json!({"scopes_supported": ["openid", "profile"]}))
        ));
        assert!(!met(&want(), &m(json!({"scopes_supported": ["openid"]}))));
    }

    #[test]
    fn lists_are_searched_and_absent_members_take_their_default() {
        let m = json!({ "response_types_supported": ["code", "id_token code"] });
        let m = m.as_object().cloned().unwrap_or_default();
        let contains = |v: &str, default| Want::Contains {
            value: v.into(),
            default,
        };
        assert!(met(
            &need("response_types_supported", contains("code id_token", &[])),
            &m
        ));
        assert!(!met(
            &need("response_types_supported", contains("token", &[])),
            &m
        ));
        let grant = need(
            "grant_types_supported",
            contains("refresh_token", GRANT_DEFAULTS),
        );
        assert!(!met(&grant, &m));
        let code = need(
            "grant_types_supported",
            contains("authorization_code", GRANT_DEFAULTS),
        );
        assert!(met(&code, &m));
        let request = Want::Equals {
            value: Value::Bool(true),
            default: Some(Value::Bool(false)),
        };
        assert!(!met(&need("request_parameter_supported", request), &m));
    }
}
