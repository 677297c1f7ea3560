//! Conformance profiles: which specs apply under which profile, and at what
//! severity. A spec that cites a FAPI or Open Banking clause is not judged
//! against a plain OpenID provider; a profile that makes a SHOULD a MUST
//! raises it to a failure. Everything else keeps its catalogue severity.

use crate::specs::{Severity, SpecResult, Verdict};
use crate::target::{ClientAuthMethod, RequestStyle, SenderConstraint, Variant};
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

/// The variants a conformance profile certifies: a profile's declared
/// variant outside them is a configuration error, not a run of failures.
impl Conformance {
    /// Why `variant` (with the default client authenticating by `auth`)
    /// cannot be certified under this profile, if it cannot.
    pub fn check_variant(self, v: &Variant, auth: ClientAuthMethod) -> Result<(), String> {
        use Conformance::*;
        let fapi2 = matches!(self, Fapi2SecurityProfile | Fapi2MessageSigning);
        let fapi1 = matches!(self, Fapi1Advanced | Obie | OpPsd2);
        let pushed = matches!(
            v.request_style,
            RequestStyle::Par | RequestStyle::ParRequestObject
        );
        let why = if fapi2 && !pushed {
            "FAPI 2.0 SP §5.3.2.2 requires pushed authorization requests: `request_style: par` or `par_request_object`"
        } else if fapi2 && v.sender_constraint == SenderConstraint::None {
            "FAPI 2.0 SP §5.3.2.1 requires sender-constrained tokens: `sender_constraint: mtls` or `dpop`"
        } else if fapi2
            && !matches!(
                auth,
                ClientAuthMethod::PrivateKeyJwt | ClientAuthMethod::TlsClientAuth
            )
        {
            "FAPI 2.0 SP §5.3.2.1 requires `client_auth: private_key_jwt` or `tls_client_auth`"
        } else if self == Fapi2MessageSigning && v.request_style != RequestStyle::ParRequestObject {
            "FAPI 2.0 Message Signing §5.3 (signed authorization requests) requires signed request objects: `request_style: par_request_object`"
        } else if fapi1 && matches!(v.request_style, RequestStyle::Plain | RequestStyle::Par) {
            "FAPI 1.0 Advanced §5.2.2 item 1 requires a signed request object: `request_style: request_object` or `par_request_object`"
        } else if fapi1 && v.sender_constraint != SenderConstraint::Mtls {
            "FAPI 1.0 Advanced §5.2.2 item 5 requires certificate-bound tokens: `sender_constraint: mtls`"
        } else {
            return Ok(());
        };
        Err(why.to_string())
    }
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
            // FAPI 1 clauses do not bind a FAPI 2 server; FAPI 2.0 SP asks
            // nothing of `acr` (an ecosystem may: Open Banking below).
            (
                _,
                "discovery.response_type_code" | "id_token.s_hash_valid" | "id_token.acr_present",
            ) if fapi2 => Rule::NotApplicable,
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
    fn acr_is_not_judged_under_oidc_or_fapi2_and_fails_under_open_banking() {
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
            Rule::NotApplicable
        );
        assert_eq!(
            Conformance::Fapi1Advanced.rule(acr, Severity::Warning),
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
    fn a_declared_variant_must_be_one_the_profile_certifies() {
        use crate::target::ClientAuthMethod::{ClientSecretBasic, PrivateKeyJwt, TlsClientAuth};
        use crate::target::RequestStyle::{Par, Plain, RequestObject};
        use crate::target::SenderConstraint::{Dpop, Mtls};
        let v = |request_style, sender_constraint| Variant {
            client_auth: Option::None,
            sender_constraint,
            request_style,
            response_mode: Option::None,
            declared: true,
        };
        let fapi2 = Conformance::Fapi2SecurityProfile;
        assert!(fapi2.check_variant(&v(Par, Dpop), PrivateKeyJwt).is_ok());
        assert!(fapi2.check_variant(&v(Par, Mtls), TlsClientAuth).is_ok());
        let plain = fapi2.check_variant(&v(Plain, Dpop), PrivateKeyJwt);
        assert!(plain.unwrap_err().contains("§5.3.2.2"));
        let bearer = fapi2.check_variant(&v(Par, SenderConstraint::None), PrivateKeyJwt);
        assert!(bearer.unwrap_err().contains("sender-constrained"));
        let secret = fapi2.check_variant(&v(Par, Dpop), ClientSecretBasic);
        assert!(secret.unwrap_err().contains("private_key_jwt"));
        let ms = Conformance::Fapi2MessageSigning.check_variant(&v(Par, Dpop), PrivateKeyJwt);
        assert!(ms.unwrap_err().contains("par_request_object"));
        let fapi1 = Conformance::Fapi1Advanced;
        assert!(fapi1
            .check_variant(&v(RequestObject, Mtls), PrivateKeyJwt)
            .is_ok());
        assert!(fapi1
            .check_variant(&v(RequestObject, Dpop), PrivateKeyJwt)
            .is_err());
        assert!(fapi1.check_variant(&v(Par, Mtls), PrivateKeyJwt).is_err());
        assert!(Conformance::Oidc
            .check_variant(&v(Plain, SenderConstraint::None), ClientSecretBasic)
            .is_ok());
    }

    #[test]
    fn every_rule_names_a_catalogue_spec() {
        for id in FAPI_ONLY {
            assert!(crate::specs::find(id).is_some(), "{id}");
        }
    }
}
