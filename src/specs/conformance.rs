//! Conformance profiles and the variants each certifies. Which specs apply
//! under which profile, and at what severity, each spec declares where it is
//! defined (`under:` in its area's `specs!`); this file applies those rules.

use super::{Severity, SpecResult, Verdict};
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
    pub fn check_variant(self, v: &Variant, auth: ClientAuthMethod) -> Result<(), NotCertifiable> {
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
        Err(NotCertifiable(why))
    }
}

/// Why a variant cannot be certified under a conformance profile: the
/// clause it breaks, in words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct NotCertifiable(pub &'static str);

/// What a profile does with one spec.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// Judged at this severity.
    Judge(Severity),
    /// Not judged under this profile: the clause does not apply.
    NotApplicable,
}

/// Plain OpenID Connect profiles: FAPI and Open Banking clauses bind them not.
pub const PLAIN_OIDC: &[Conformance] = &[Conformance::Oidc, Conformance::Idura];
/// Profiles on FAPI 1.0 Advanced.
pub const FAPI1: &[Conformance] = &[
    Conformance::Fapi1Advanced,
    Conformance::Obie,
    Conformance::OpPsd2,
    Conformance::Ozone,
];
/// The FAPI 2.0 profiles.
pub const FAPI2: &[Conformance] = &[
    Conformance::Fapi2SecurityProfile,
    Conformance::Fapi2MessageSigning,
];
/// Open Banking ecosystems (on FAPI 1.0 Advanced).
pub const OPEN_BANKING: &[Conformance] =
    &[Conformance::Obie, Conformance::OpPsd2, Conformance::Ozone];

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

    /// Applies the profile to a step's spec results: drops the specs that
    /// do not apply and re-grades the ones whose severity differs, by the
    /// rules each catalogue spec declares (a suite's own checks keep theirs).
    pub fn apply(self, specs: &mut Vec<SpecResult>) {
        if self == Conformance::All {
            return;
        }
        specs.retain_mut(|s| {
            let rule = super::find(&s.id).map_or(Rule::Judge(s.severity), |spec| spec.rule(self));
            match rule {
                Rule::NotApplicable => false,
                Rule::Judge(sev) => {
                    regrade(s, sev);
                    true
                }
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
    use crate::specs::{discovery, id_token};

    #[test]
    fn acr_is_not_judged_under_oidc_or_fapi2_and_fails_under_open_banking() {
        let acr = &id_token::ACR;
        assert_eq!(acr.rule(Conformance::Oidc), Rule::NotApplicable);
        assert_eq!(acr.rule(Conformance::Obie), Rule::Judge(Severity::Failure));
        assert_eq!(
            acr.rule(Conformance::Fapi2SecurityProfile),
            Rule::NotApplicable
        );
        assert_eq!(
            acr.rule(Conformance::Fapi1Advanced),
            Rule::Judge(Severity::Warning)
        );
        assert_eq!(acr.rule(Conformance::All), Rule::Judge(Severity::Warning));
    }

    #[test]
    fn oidc_allow_lists_no_id_token_alg_but_fapi_does() {
        let alg = &id_token::ALG_ALLOWED;
        assert_eq!(alg.rule(Conformance::Oidc), Rule::NotApplicable);
        assert_eq!(
            alg.rule(Conformance::Fapi1Advanced),
            Rule::Judge(Severity::Failure)
        );
    }

    #[test]
    fn rs256_is_expected_under_oidc_only() {
        let rs = &discovery::ID_TOKEN_ALG_RS256;
        assert_eq!(rs.rule(Conformance::Oidc), Rule::Judge(Severity::Warning));
        assert_eq!(
            rs.rule(Conformance::Fapi2SecurityProfile),
            Rule::NotApplicable
        );
    }

    #[test]
    fn applying_a_profile_drops_and_regrades_by_the_specs_own_rules() {
        let mut specs = vec![
            id_token::ACR.fail_because("no acr"),
            discovery::PAR_ENDPOINT.fail_because("no PAR"),
            discovery::ISSUER_MATCHES.pass(),
        ];
        let mut oidc = specs.clone();
        Conformance::Oidc.apply(&mut oidc);
        let ids: Vec<&str> = oidc.iter().map(|s| s.id.as_str()).collect();
        assert_eq!(ids, [discovery::ISSUER_MATCHES.id]);
        Conformance::Fapi2SecurityProfile.apply(&mut specs);
        let par = specs.iter().find(|s| s.id == discovery::PAR_ENDPOINT.id);
        assert_eq!(par.map(|s| s.verdict), Some(Verdict::Failed));
        assert!(!specs.iter().any(|s| s.id == id_token::ACR.id));
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
        assert!(plain.unwrap_err().0.contains("§5.3.2.2"));
        let bearer = fapi2.check_variant(&v(Par, SenderConstraint::None), PrivateKeyJwt);
        assert!(bearer.unwrap_err().0.contains("sender-constrained"));
        let secret = fapi2.check_variant(&v(Par, Dpop), ClientSecretBasic);
        assert!(secret.unwrap_err().0.contains("private_key_jwt"));
        let ms = Conformance::Fapi2MessageSigning.check_variant(&v(Par, Dpop), PrivateKeyJwt);
        assert!(ms.unwrap_err().0.contains("par_request_object"));
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
}
