//! The YAML shapes of `client_credentials` and `token`, and what each
//! needs, provides, requires and decides.

use super::super::client_auth::AssertionOverrides;
use super::super::dpop::{token_choice, DpopProof};
use super::super::kind::{client_of, ClientRole, DpopUse, Facts, Kind, Need, Provided};
use super::super::requirements::{Requirements, GRANT_DEFAULTS};
use super::super::shapes::{yes, ExpectedError};
use super::super::{Outcome, StepContext};
use crate::expr::{JsonTemplate, Template};
use crate::target::{ClientAuthMethod, ClientProfile, SenderConstraint, Target};
use crate::ConfigError;
use serde::Deserialize;
use serde_saphyr::Location;
use std::collections::BTreeMap;
use std::path::Path;

/// `client_credentials:` — a client credentials grant.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientCredentialsStep {
    /// Stage name in reports.
    pub stage: Option<String>,
    /// The DPoP proof sent (RFC 9449); unset: the target's variant.
    pub dpop: Option<DpopProof>,
    /// A named client of the target (default: the target's client).
    pub client: Option<ClientRole>,
    /// Requested scope.
    pub scope: Option<Template>,
    /// Expect this OAuth error (or any of these) instead of tokens.
    pub expect_error: Option<ExpectedError>,
    /// Address the client assertion to this audience instead of the issuer.
    pub assertion_audience: Option<String>,
    /// Send the previous step's client assertion again (a replayed `jti`).
    #[serde(default)]
    pub replay_assertion: bool,
    /// Deliberate defects of the client assertion.
    pub client_assertion: Option<AssertionOverrides>,
}

/// The grant of a `token:` step.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenGrant {
    /// Exchange `authorize.code`.
    #[default]
    AuthorizationCode,
    /// Use `token.refresh_token`.
    RefreshToken,
    /// RFC 7523 `urn:ietf:params:oauth:grant-type:jwt-bearer` with a JWT
    /// signed by the client from the step's `assertion` claims (the OP
    /// exemption flow).
    JwtBearer,
}

/// `token:` — the token request after authorization, or a refresh.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenStep {
    /// Stage name in reports.
    pub stage: Option<String>,
    /// The DPoP proof sent (RFC 9449); unset: the target's variant.
    pub dpop: Option<DpopProof>,
    /// A named client of the target.
    pub client: Option<ClientRole>,
    /// The grant (default authorization_code).
    #[serde(default)]
    pub grant: TokenGrant,
    /// Override the form fields sent (placeholders filled), e.g. a wrong
    /// `code_verifier` or `redirect_uri` in negative scenarios.
    #[serde(default)]
    pub override_fields: BTreeMap<String, Template>,
    /// Leave these fields out (e.g. `code_verifier`).
    #[serde(default)]
    pub omit_fields: Vec<String>,
    /// Expect a refresh token in the response.
    #[serde(default)]
    pub expect_refresh_token: bool,
    /// No refresh token in the response makes the scenario SKIPPED: refresh
    /// tokens are the server's choice, and the OIDF refresh module skips
    /// then ("Refresh tokens cannot be tested").
    #[serde(default)]
    pub skip_without_refresh_token: bool,
    /// Expect this OAuth error (or any of these) instead of tokens.
    pub expect_error: Option<ExpectedError>,
    /// Seconds to wait before the request (at most 120): a code replayed
    /// after a while, an expired code.
    pub after_s: Option<u64>,
    /// Deliberate defects of the client assertion.
    pub client_assertion: Option<AssertionOverrides>,
    /// `scope` to send (refresh may narrow it; jwt_bearer needs it); the
    /// response is judged against it. Default: the authorization's scope.
    pub scope: Option<Template>,
    /// For `grant: jwt_bearer`: the claims of the assertion (placeholders
    /// filled); `iss` and `client_id` (the client), `aud` (the issuer),
    /// `iat`, `exp` and `jti` are added unless given.
    pub assertion: Option<JsonTemplate>,
    /// `false`: leave out the variant's holder-of-key, which the server
    /// must then refuse, since it may issue only sender-constrained tokens
    /// (FAPI 2.0 SP §5.3.2.1): under DPoP no proof, and no TLS client
    /// certificate unless the client authenticates with it; under mTLS no
    /// certificate.
    #[serde(default = "yes")]
    pub holder_of_key: bool,
}

/// A token request decided against the target.
#[derive(Debug, Clone)]
pub struct TokenDecided {
    /// The client it authenticates as.
    pub client: ClientProfile,
    /// The DPoP proof it sends: the step's choice, else a valid one under
    /// a DPoP variant.
    pub dpop: Option<DpopProof>,
    /// `holder_of_key: false`: what the request leaves out, or why the
    /// run's variant has nothing to leave out.
    pub left_out: Option<Result<LeftOut, String>>,
}

/// What a token request without the variant's holder-of-key leaves out,
/// and the errors the OIDF module accepts for it.
#[derive(Debug, Clone, Copy)]
pub struct LeftOut {
    /// No DPoP proof.
    pub proof: bool,
    /// No TLS client certificate.
    pub certificate: bool,
    /// The errors a refusal may carry.
    pub codes: &'static [&'static str],
}

impl LeftOut {
    /// Under the run's sender constraint, for `client`: under DPoP no proof,
    /// and no certificate unless it authenticates the client; under mTLS no
    /// certificate.
    fn under(sc: SenderConstraint, client: &ClientProfile) -> Result<Self, String> {
        let by_certificate = client.auth_method == ClientAuthMethod::TlsClientAuth;
        match sc {
            SenderConstraint::None => Err(
                "the run's variant has no sender constraint, so there is no holder-of-key to leave out"
                    .into(),
            ),
            SenderConstraint::Dpop => Ok(LeftOut {
                proof: true,
                certificate: !by_certificate,
                codes: &["invalid_request", "invalid_grant", "invalid_dpop_proof"],
            }),
            SenderConstraint::Mtls => Ok(LeftOut {
                proof: false,
                certificate: true,
                codes: if by_certificate {
                    &["invalid_client", "invalid_request"]
                } else {
                    &["invalid_client", "invalid_grant", "invalid_request"]
                },
            }),
        }
    }
}

fn dpop_use(step: Option<DpopProof>, decided: &TokenDecided) -> DpopUse {
    let sends = |p: Option<DpopProof>| p.is_some_and(|p| p != DpopProof::Omitted);
    DpopUse {
        tested: sends(decided.dpop),
        own: sends(step),
    }
}

fn defect(p: Option<DpopProof>) -> bool {
    p.is_some_and(DpopProof::is_defect)
}

impl Facts for ClientCredentialsStep {
    fn stage(&self) -> Option<&str> {
        self.stage.as_deref()
    }

    fn client(&self) -> Option<&ClientRole> {
        self.client.as_ref()
    }

    fn acts_as_client(&self) -> bool {
        true
    }

    fn templates(&self) -> Vec<&Template> {
        self.scope.iter().collect()
    }

    fn needs(&self) -> Vec<(Need, &'static str)> {
        let mut n = vec![(Need::Discovery, "a token request")];
        if self.replay_assertion {
            n.push((Need::ClientAssertion, "`replay_assertion`"));
        }
        n
    }

    fn provide(&self, provided: &mut Provided) {
        provided.add(Need::Tokens);
        provided.add(Need::ClientAssertion);
    }

    fn client_assertion(&self) -> Option<&AssertionOverrides> {
        self.client_assertion.as_ref()
    }

    fn expects_refusal(&self) -> bool {
        self.expect_error.is_some() || defect(self.dpop)
    }
}

impl Kind for ClientCredentialsStep {
    const STAGE: &'static str = "Client Credentials Grant";
    type Decided = TokenDecided;

    fn decide(&self, target: &Target) -> Result<TokenDecided, crate::target::UnknownClient> {
        Ok(TokenDecided {
            client: client_of(target, &self.client)?,
            dpop: token_choice(self.dpop, target),
            left_out: None,
        })
    }

    fn require(&self, d: &TokenDecided, target: &Target, needs: &mut Requirements) {
        needs.scopes(self.scope.as_ref(), target, "the client credentials grant");
        let why = "the `client_credentials` grant";
        needs.contains(
            "grant_types_supported",
            "client_credentials",
            GRANT_DEFAULTS,
            why,
        );
        needs.token_auth(&d.client, "the token request");
    }

    fn dpop(&self, d: &TokenDecided) -> DpopUse {
        dpop_use(self.dpop, d)
    }

    async fn run(&self, d: &TokenDecided, stage: &str, ctx: &mut StepContext<'_>) -> Outcome {
        super::client_credentials(self, d, stage, ctx).await
    }
}

impl Facts for TokenStep {
    fn stage(&self) -> Option<&str> {
        self.stage.as_deref()
    }

    fn client(&self) -> Option<&ClientRole> {
        self.client.as_ref()
    }

    fn acts_as_client(&self) -> bool {
        true
    }

    fn templates(&self) -> Vec<&Template> {
        let mut out: Vec<&Template> = self.scope.iter().collect();
        out.extend(self.override_fields.values());
        out.extend(self.assertion.iter().flat_map(JsonTemplate::templates));
        out
    }

    fn needs(&self) -> Vec<(Need, &'static str)> {
        let grant = match self.grant {
            TokenGrant::AuthorizationCode => (Need::Authorization, "`grant: authorization_code`"),
            TokenGrant::RefreshToken => (Need::Tokens, "`grant: refresh_token`"),
            TokenGrant::JwtBearer => (Need::Discovery, "`grant: jwt_bearer`"),
        };
        vec![(Need::Discovery, "a token request"), grant]
    }

    fn provide(&self, provided: &mut Provided) {
        provided.add(Need::Tokens);
        provided.add(Need::ClientAssertion);
    }

    fn client_assertion(&self) -> Option<&AssertionOverrides> {
        self.client_assertion.as_ref()
    }

    fn expects_refusal(&self) -> bool {
        self.expect_error.is_some() || defect(self.dpop) || !self.holder_of_key
    }

    fn check(&mut self, path: &Path, at: &Location) -> Result<(), ConfigError> {
        let jwt_bearer = self.grant == TokenGrant::JwtBearer;
        let message = match (jwt_bearer, &self.assertion) {
            (true, None) => "`grant: jwt_bearer` needs `assertion:` claims",
            (true, Some(claims)) if claims.is_object() => return Ok(()),
            (false, None) => return Ok(()),
            (true, Some(_)) => "`assertion:` must be a map of claims",
            (false, Some(_)) => "`assertion:` is only used with `grant: jwt_bearer`",
        };
        Err(crate::yaml::invalid(path, at, message.to_string()))
    }
}

impl Kind for TokenStep {
    const STAGE: &'static str = "Token Request";
    type Decided = TokenDecided;

    fn decide(&self, target: &Target) -> Result<TokenDecided, crate::target::UnknownClient> {
        let client = client_of(target, &self.client)?;
        let left_out = (!self.holder_of_key)
            .then(|| LeftOut::under(target.variant.sender_constraint, &client));
        Ok(TokenDecided {
            client,
            dpop: token_choice(self.dpop, target),
            left_out,
        })
    }

    fn require(&self, d: &TokenDecided, _: &Target, needs: &mut Requirements) {
        let grant = self.grant.name();
        let why = format!("the `{grant}` grant");
        needs.contains("grant_types_supported", grant, GRANT_DEFAULTS, &why);
        needs.token_auth(&d.client, "the token request");
    }

    fn dpop(&self, d: &TokenDecided) -> DpopUse {
        dpop_use(self.dpop, d)
    }

    async fn run(&self, d: &TokenDecided, stage: &str, ctx: &mut StepContext<'_>) -> Outcome {
        super::token(self, d, stage, ctx).await
    }
}

impl TokenGrant {
    /// The `grant_type` it sends.
    pub fn name(self) -> &'static str {
        match self {
            TokenGrant::AuthorizationCode => "authorization_code",
            TokenGrant::RefreshToken => "refresh_token",
            TokenGrant::JwtBearer => "urn:ietf:params:oauth:grant-type:jwt-bearer",
        }
    }
}
