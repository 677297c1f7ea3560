//! What a scenario needs of the target, and the check that makes a scenario
//! SKIPPED (with the missing capability named) instead of FAILED when the
//! target does not offer it.
//!
//! Most needs follow from the steps: a client role, a response type, PAR,
//! RAR types, CIBA, a grant type, a client authentication method. A scenario
//! adds others with `requires: { metadata: … }`. Roles are checked before the
//! first request; metadata once a discovery step has fetched it.

use crate::steps::state::target_has;
use crate::suite::{
    role, templates, DecoupledMode, Ref, RequestObjectMode, Scenario, Step, TokenGrant,
};
use crate::target::{ClientAuthMethod, ClientProfile, Target};
use serde_json::{Map, Value};

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
    roles: Vec<String>,
    /// Client roles whose assertion is signed with another alg by the same
    /// key (`client_assertion: {alg: RS256}`): their key must be RSA, PS256.
    rsa_signers: Vec<String>,
    values: Vec<Ref>,
    metadata: Vec<MetadataNeed>,
}

impl Requirements {
    /// The needs of `scenario` against `target` (whose clients decide the
    /// authentication methods needed).
    pub fn of(scenario: &Scenario, target: &Target) -> Self {
        let mut r = Requirements::default();
        for step in &scenario.steps {
            r.step(&step.value, target);
            for t in templates(&step.value) {
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
        for (member, value) in &scenario.requires.metadata {
            r.need(member, explicit(value), "the scenario's `requires:`".into());
        }
        r
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

    fn contains(&mut self, member: &str, value: &str, default: &'static [&'static str], why: &str) {
        let want = Want::Contains {
            value: value.to_string(),
            default,
        };
        self.need(member, want, why.to_string());
    }

    fn step(&mut self, step: &Step, target: &Target) {
        if let Some(name) = client_role(step) {
            if name != "default" && !self.roles.iter().any(|r| r == name) {
                self.roles.push(name.to_string());
            }
        }
        if assertion_alg(step).is_some() {
            self.rsa_signers
                .push(client_role(step).unwrap_or("default").to_string());
        }
        // DPoP, valid or deliberately wrong, means something only to a
        // server that supports it (RFC 9449 §5.1: others ignore the header).
        if self.sends_dpop(step, target) {
            self.contains(
                "dpop_signing_alg_values_supported",
                "ES256",
                &[],
                "a DPoP proof (RFC 9449), signed with ES256",
            );
        }
        // A step that expects a refusal tests what the server must refuse,
        // whatever it advertises.
        if step.expects_refusal() {
            return;
        }
        let client = target.client_named(client_role(step)).ok();
        match step {
            Step::Authorize(s) => {
                let (par, request_object) = s.carriage(target.variant.request_style);
                self.scopes(Some(&s.scope), target, "the authorization request");
                let listed_only = s.claims_supported_only;
                for claim in s
                    .claims
                    .iter()
                    .filter(|_| !listed_only)
                    .flat_map(|c| c.member_names("id_token"))
                {
                    let why = format!("the `claims` parameter asking for `{claim}`");
                    self.need("claims_supported", Want::ListedIfAny(claim.into()), why);
                }
                if let Some(mode) = s.response_mode.or(target.variant.response_mode) {
                    let why = format!("`response_mode: {}`", mode.name());
                    // RFC 8414 §2: an absent list means query and fragment.
                    let defaults: &'static [&'static str] = &["query", "fragment"];
                    self.contains("response_modes_supported", mode.name(), defaults, &why);
                }
                // A response type the server must refuse needs no support.
                if s.expect_error.is_none() {
                    let why = format!("`response_type: {}`", s.response_type);
                    self.contains("response_types_supported", &s.response_type, &[], &why);
                }
                if par || s.reuse_request_uri {
                    self.need(
                        "pushed_authorization_request_endpoint",
                        Want::Present,
                        "`par: true` (RFC 9126)".into(),
                    );
                }
                if request_object != RequestObjectMode::None {
                    self.need(
                        "request_parameter_supported",
                        Want::Equals {
                            value: Value::Bool(true),
                            default: Some(Value::Bool(false)),
                        },
                        "a request object (OIDC Core §6.1)".into(),
                    );
                }
                if request_object == RequestObjectMode::Unsigned {
                    let why = "an unsigned request object (`alg: none`)";
                    self.contains(
                        "request_object_signing_alg_values_supported",
                        "none",
                        &[],
                        why,
                    );
                }
                if s.claims.is_some() {
                    self.need(
                        "claims_parameter_supported",
                        Want::Equals {
                            value: Value::Bool(true),
                            default: Some(Value::Bool(false)),
                        },
                        "the `claims` parameter (OIDC Core §5.5)".into(),
                    );
                }
                for t in detail_types(s.authorization_details.as_ref()) {
                    let why = "`authorization_details` (RFC 9396)";
                    self.contains("authorization_details_types_supported", &t, &[], why);
                }
                if par {
                    self.token_auth(client, "the pushed authorization request");
                }
            }
            Step::Token(s) => {
                let grant = match s.grant {
                    TokenGrant::AuthorizationCode => "authorization_code",
                    TokenGrant::RefreshToken => "refresh_token",
                    TokenGrant::JwtBearer => "urn:ietf:params:oauth:grant-type:jwt-bearer",
                };
                let why = format!("the `{grant}` grant");
                self.contains("grant_types_supported", grant, GRANT_DEFAULTS, &why);
                self.token_auth(client, "the token request");
            }
            Step::ClientCredentials(s) => {
                self.scopes(s.scope.as_ref(), target, "the client credentials grant");
                let why = "the `client_credentials` grant";
                self.contains(
                    "grant_types_supported",
                    "client_credentials",
                    GRANT_DEFAULTS,
                    why,
                );
                self.token_auth(client, "the token request");
            }
            Step::Decoupled(s) if s.mode == DecoupledMode::Ciba && s.endpoint.is_none() => {
                let why = "CIBA (OpenID CIBA Core §4)";
                self.need(
                    "backchannel_authentication_endpoint",
                    Want::Present,
                    why.into(),
                );
                self.contains(
                    "backchannel_token_delivery_modes_supported",
                    "poll",
                    &[],
                    why,
                );
                self.contains("grant_types_supported", CIBA_GRANT, GRANT_DEFAULTS, why);
            }
            Step::Userinfo(_) => {
                self.need(
                    "userinfo_endpoint",
                    Want::Present,
                    "a UserInfo request".into(),
                );
            }
            _ => {}
        }
    }

    /// The client's authentication method must be offered.
    fn token_auth(&mut self, client: Option<&ClientProfile>, what: &str) {
        let Some(method) = client.and_then(|c| auth_method_name(c.auth_method)) else {
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

    /// What the profile lacks before any request: a client role or a value
    /// the suites take from it.
    pub fn unmet_by_profile(&self, target: &Target) -> Option<String> {
        if let Some(why) = self.missing_role(target) {
            return Some(why);
        }
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

    /// The first client role the target lacks, as a skip reason.
    fn missing_role(&self, target: &Target) -> Option<String> {
        let have = target.roles();
        let missing: Vec<&String> = self.roles.iter().filter(|r| !have.contains(r)).collect();
        (!missing.is_empty()).then(|| {
            let names: Vec<String> = missing.iter().map(|r| format!("`{r}`")).collect();
            format!(
                "the target profile has no client role {} (see `probity plans --roles`)",
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

const CIBA_GRANT: &str = "urn:openid:params:grant-type:ciba";

/// RFC 8414 §2: an absent `grant_types_supported` means these.
const GRANT_DEFAULTS: &[&str] = &["authorization_code", "implicit"];

/// The alg a step's client assertion is deliberately signed with.
fn assertion_alg(step: &Step) -> Option<&str> {
    let overrides = match step {
        Step::ClientCredentials(s) => s.client_assertion.as_ref(),
        Step::Authorize(s) => s.client_assertion.as_ref(),
        Step::Token(s) => s.client_assertion.as_ref(),
        _ => None,
    };
    overrides.and_then(|o| o.alg.as_deref())
}

fn client_role(step: &Step) -> Option<&str> {
    match step {
        Step::ClientCredentials(s) => role(&s.client),
        Step::Authorize(s) => role(&s.client),
        Step::Token(s) => role(&s.client),
        Step::IdToken(s) => role(&s.client),
        Step::Decoupled(s) => role(&s.client),
        Step::Payment(s) | Step::Submit(s) | Step::VerifyResponseSignature(s) => role(&s.client),
        Step::Consent(s) => role(&s.client),
        _ => None,
    }
}

impl Requirements {
    /// Each scope value of `scope` (filled from the profile) must be in
    /// `scopes_supported` when the server lists scopes (OIDC Discovery §3:
    /// RECOMMENDED, so an absent list is no refusal).
    fn scopes(&mut self, scope: Option<&crate::suite::Template>, target: &Target, why: &str) {
        let state = crate::steps::state::ScenarioState::new(target);
        let Some(Ok(scope)) = scope.map(|t| t.render(&state)) else {
            return;
        };
        for value in scope.split_whitespace() {
            let why = format!("{why} (scope `{value}`)");
            self.need("scopes_supported", Want::ListedIfAny(value.into()), why);
        }
    }

    /// Whether `step` sends a DPoP proof under `target`'s variant, or
    /// tests a DPoP refusal.
    fn sends_dpop(&self, step: &Step, target: &Target) -> bool {
        use crate::suite::DpopProof;
        let dpop = target.variant.sender_constraint == crate::target::SenderConstraint::Dpop;
        let sends = |p: Option<DpopProof>| match p {
            Some(p) => p != DpopProof::Omitted,
            None => dpop,
        };
        match step {
            Step::Token(s) => sends(s.dpop),
            Step::ClientCredentials(s) => sends(s.dpop),
            Step::Userinfo(s) => s.dpop.is_some(),
            _ => false,
        }
    }
}

/// Whether a step sends DPoP proofs of its own (`dpop:` other than
/// `omitted`), whatever the run's variant.
pub(crate) fn pins_dpop(step: &Step) -> bool {
    use crate::suite::DpopProof;
    let own = |p: Option<DpopProof>| p.is_some_and(|p| p != DpopProof::Omitted);
    match step {
        Step::Token(s) => own(s.dpop),
        Step::ClientCredentials(s) => own(s.dpop),
        Step::Authorize(s) => own(s.dpop),
        Step::Userinfo(s) => own(s.dpop),
        _ => false,
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
fn detail_types(details: Option<&crate::suite::JsonTemplate>) -> Vec<String> {
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

fn explicit(value: &Value) -> Want {
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
