//! Conformance profiles: which specs apply under which profile, and at what
//! severity. A spec that cites a FAPI or Open Banking clause is not judged
//! against a plain OpenID provider; a profile that makes a SHOULD a MUST
//! raises it to a failure. Everything else keeps its catalogue severity.

use crate::specs::{Severity, SpecResult, Verdict};
use serde::{Deserialize, Serialize};

/// A conformance profile, as named by a plan (`conformance: oidc`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Conformance {
    /// Every spec at its catalogue severity: the embedded bank's profile and
    /// the default of a run without a plan.
    #[default]
    All,
    /// OpenID Connect Core and Discovery, no FAPI or Open Banking rules.
    Oidc,
    /// FAPI 1.0 Advanced Final.
    Fapi1Advanced,
    /// FAPI 2.0 Security Profile Final.
    Fapi2SecurityProfile,
    /// FAPI 2.0 Message Signing (the Security Profile plus signing).
    Fapi2MessageSigning,
    /// Open Banking UK Read/Write (on FAPI 1.0 Advanced).
    Obie,
    /// OP Financial Group PSD2 APIs (on FAPI 1.0 Advanced).
    OpPsd2,
    /// The Ozone model bank (Open Banking UK conventions).
    Ozone,
    /// Idura's headless flow (an OpenID provider).
    Idura,
}

/// What a profile does with one spec.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// Judged at this severity.
    Judge(Severity),
    /// Not judged under this profile: the clause does not apply.
    NotApplicable,
}

/// Specs that cite FAPI or Open Banking clauses: not judged under plain OIDC.
const FAPI_ONLY: &[&str] = &[
    "discovery.id_token_alg_fapi",
    "discovery.response_type_code",
    "discovery.token_auth_methods_fapi",
    "discovery.pkce_no_plain",
    "discovery.par_endpoint_present",
    "discovery.iss_parameter_supported",
    "callback.iss_present",
    "id_token.acr_present",
    "id_token.s_hash_valid",
    "accounts.interaction_id",
];

impl Conformance {
    /// Every profile, for listings.
    pub const ALL: &'static [Conformance] = &[
        Conformance::All,
        Conformance::Oidc,
        Conformance::Fapi1Advanced,
        Conformance::Fapi2SecurityProfile,
        Conformance::Fapi2MessageSigning,
        Conformance::Obie,
        Conformance::OpPsd2,
        Conformance::Ozone,
        Conformance::Idura,
    ];

    /// The name plans use.
    pub fn name(self) -> &'static str {
        match self {
            Conformance::All => "all",
            Conformance::Oidc => "oidc",
            Conformance::Fapi1Advanced => "fapi1-advanced",
            Conformance::Fapi2SecurityProfile => "fapi2-security-profile",
            Conformance::Fapi2MessageSigning => "fapi2-message-signing",
            Conformance::Obie => "obie",
            Conformance::OpPsd2 => "op-psd2",
            Conformance::Ozone => "ozone",
            Conformance::Idura => "idura",
        }
    }

    /// What this profile does with the spec `id` of catalogue severity `sev`.
    pub fn rule(self, id: &str, sev: Severity) -> Rule {
        use Conformance::*;
        use Severity::*;
        let fapi2 = matches!(self, Fapi2SecurityProfile | Fapi2MessageSigning);
        let fapi1 = matches!(self, Fapi1Advanced | Obie | OpPsd2 | Ozone);
        let open_banking = matches!(self, Obie | OpPsd2 | Ozone);
        match (self, id) {
            (All, _) => Rule::Judge(sev),
            (Oidc | Idura, id) if FAPI_ONLY.contains(&id) => Rule::NotApplicable,
            // RFC 7636 is optional in OpenID Connect; the OAuth security BCP
            // (RFC 9700 §2.1.1) recommends it.
            (Oidc | Idura, "discovery.pkce_s256") => Rule::Judge(Warning),
            // OIDC Discovery §3 asks for RS256; FAPI forbids it for ID tokens.
            (_, "discovery.id_token_alg_rs256") if fapi1 || fapi2 => Rule::NotApplicable,
            // FAPI 1 clauses do not bind a FAPI 2 server.
            (_, "discovery.response_type_code" | "id_token.s_hash_valid") if fapi2 => {
                Rule::NotApplicable
            }
            // FAPI 2 SP §5.3.2.1 and §5.3.2.2: PAR, iss (RFC 9207) and
            // private_key_jwt or mTLS client authentication are shall.
            (
                _,
                "discovery.par_endpoint_present"
                | "discovery.token_auth_methods_fapi"
                | "callback.iss_present",
            ) if fapi2 => Rule::Judge(Failure),
            // Open Banking ecosystems require `acr` in the ID token.
            (_, "id_token.acr_present") if open_banking => Rule::Judge(Failure),
            _ => Rule::Judge(sev),
        }
    }

    /// Applies the profile to a step's spec results: drops the specs that
    /// do not apply and re-grades the ones whose severity differs.
    pub fn apply(self, specs: &mut Vec<SpecResult>) {
        if self == Conformance::All {
            return;
        }
        specs.retain_mut(|s| match self.rule(&s.id, s.severity) {
            Rule::NotApplicable => false,
            Rule::Judge(sev) => {
                regrade(s, sev);
                true
            }
        });
    }
}

fn regrade(s: &mut SpecResult, sev: Severity) {
    if s.severity == sev {
        return;
    }
    s.severity = sev;
    if matches!(
        s.verdict,
        Verdict::Failed | Verdict::Warning | Verdict::Review
    ) {
        s.verdict = match sev {
            Severity::Failure => Verdict::Failed,
            Severity::Warning => Verdict::Warning,
            Severity::Info => Verdict::Review,
        };
    }
}

impl std::fmt::Display for Conformance {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn acr_is_not_judged_under_oidc_and_fails_under_open_banking() {
        let acr = "id_token.acr_present";
        assert_eq!(
            Conformance::Oidc.rule(acr, Severity::Warning),
            Rule::NotApplicable
        );
        assert_eq!(
            Conformance::Obie.rule(acr, Severity::Warning),
            Rule::Judge(Severity::Failure)
        );
        assert_eq!(
            Conformance::Fapi2SecurityProfile.rule(acr, Severity::Warning),
            Rule::Judge(Severity::Warning)
        );
    }

    #[test]
    fn rs256_is_expected_under_oidc_only() {
        let rs = "discovery.id_token_alg_rs256";
        assert_eq!(
            Conformance::Oidc.rule(rs, Severity::Warning),
            Rule::Judge(Severity::Warning)
        );
        assert_eq!(
            Conformance::Fapi2SecurityProfile.rule(rs, Severity::Warning),
            Rule::NotApplicable
        );
    }

    #[test]
    fn every_rule_names_a_catalogue_spec() {
        for id in FAPI_ONLY {
            assert!(crate::specs::find(id).is_some(), "{id}");
        }
    }
}
