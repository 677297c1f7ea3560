//! Named misbehaviours. Each makes the bank non-conformant in one precise
//! way, so a test can prove that the matching spec fails.

use std::collections::BTreeSet;

macro_rules! faults {
    ($($variant:ident => $name:literal, $sentence:literal;)*) => {
        /// A named misbehaviour of the reference bank.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Fault {
            $(#[doc = $sentence] $variant,)*
        }

        impl Fault {
            /// Every fault, in listing order.
            pub const ALL: &'static [Fault] = &[$(Fault::$variant,)*];

            /// The stable name used on the command line and in docs.
            pub fn name(self) -> &'static str {
                match self { $(Fault::$variant => $name,)* }
            }

            /// What the bank does wrong under this fault.
            pub fn sentence(self) -> &'static str {
                match self { $(Fault::$variant => $sentence,)* }
            }
        }
    };
}

faults! {
    DiscoveryStatusError => "discovery.status_error", "answers the provider configuration request with 500 Internal Server Error";
    DiscoveryWrongContentType => "discovery.wrong_content_type", "serves the provider configuration as text/plain";
    DiscoveryNotJson => "discovery.not_json", "serves a provider configuration that is not valid JSON";
    DiscoveryIssuerMismatch => "discovery.issuer_mismatch", "publishes an `issuer` that differs from the URL the configuration is served from";
    DiscoveryIssuerQuery => "discovery.issuer_query", "publishes an `issuer` with a query component";
    DiscoveryNoAuthorizationEndpoint => "discovery.missing_authorization_endpoint", "omits `authorization_endpoint` from the metadata";
    DiscoveryNoTokenEndpoint => "discovery.missing_token_endpoint", "omits `token_endpoint` from the metadata";
    DiscoveryNoJwksUri => "discovery.missing_jwks_uri", "omits `jwks_uri` from the metadata";
    DiscoveryNoResponseTypes => "discovery.missing_response_types", "omits `response_types_supported` from the metadata";
    DiscoveryNoSubjectTypes => "discovery.missing_subject_types", "omits `subject_types_supported` from the metadata";
    DiscoveryNoIdTokenAlgs => "discovery.missing_id_token_algs", "omits `id_token_signing_alg_values_supported` from the metadata";
    DiscoveryNoRs256 => "discovery.no_rs256", "leaves RS256 out of `id_token_signing_alg_values_supported`";
    DiscoveryRs256Only => "discovery.rs256_only", "offers only RS256 for ID tokens (no PS256 or ES256)";
    DiscoveryHttpEndpoint => "discovery.http_endpoint", "publishes `userinfo_endpoint` as a plain http URL";
    DiscoveryNoOpenidScope => "discovery.no_openid_scope", "leaves `openid` out of `scopes_supported`";
    DiscoveryNoCodeResponseType => "discovery.no_code_response_type", "offers only the `id_token` response type";
    DiscoveryNoAuthCodeGrant => "discovery.no_auth_code_grant", "leaves `authorization_code` out of `grant_types_supported`";
    DiscoverySecretAuthOnly => "discovery.secret_auth_only", "offers only `client_secret_basic` and `client_secret_post` client authentication";
    DiscoveryNoPkceS256 => "discovery.no_pkce_s256", "leaves S256 out of `code_challenge_methods_supported`";
    DiscoveryPkcePlainOffered => "discovery.pkce_plain_offered", "offers (and accepts) the `plain` PKCE method";
    DiscoveryNoIssParameter => "discovery.no_iss_parameter", "does not announce `authorization_response_iss_parameter_supported`";
    DiscoveryNoParEndpoint => "discovery.missing_par_endpoint", "omits `pushed_authorization_request_endpoint` from the metadata";
    DiscoveryUnknownAlgAdvertised => "discovery.alg_without_key", "advertises ES384 for ID tokens without publishing a key for it";
    JwksUnreachable => "jwks.unreachable", "answers the JWKS request with 404 Not Found";
    JwksEncryptionOnly => "jwks.encryption_only", "marks every published key `use: enc`, leaving no signing key";
    JwksMissingKid => "jwks.missing_kid", "publishes its keys without `kid`";
    JwksDuplicateKid => "jwks.duplicate_kid", "publishes two different keys under the same `kid`";
    JwksPrivateMaterial => "jwks.private_material", "publishes the private part (`d`, `p`, `q` …) of its RSA key";
    JwksSmallRsaKey => "jwks.small_rsa_key", "publishes an RSA key of 1024 bits";
    JwksAlgMismatch => "jwks.alg_mismatch", "declares `alg: RS256` on its EC key";
    IdTokenWrongAud => "id_token.wrong_aud", "issues ID tokens whose `aud` is not the client";
    IdTokenBadSignature => "id_token.bad_signature", "issues ID tokens whose signature does not verify";
    IdTokenMissingCHash => "id_token.missing_c_hash", "omits `c_hash` from front-channel ID tokens (`code id_token`)";
    IdTokenExpired => "id_token.expired", "issues ID tokens that expired an hour ago";
    CallbackStateDropped => "callback.state_dropped", "leaves `state` out of the authorization response";
    ConsentAlwaysPrompt => "consent.always_prompt", "asks for consent again although the PSU already granted the same scopes";
    TokenCodeReuseAllowed => "token.code_reuse_allowed", "accepts an authorization code more than once";
    TokenPkceIgnored => "token.pkce_ignored", "issues tokens without checking the PKCE `code_verifier`";
    ParRequestUriReusable => "par.request_uri_reusable", "accepts a pushed `request_uri` more than once";
}

impl Fault {
    /// Looks a fault up by name; the error lists the names that exist.
    pub fn parse(name: &str) -> Result<Fault, String> {
        Fault::ALL
            .iter()
            .copied()
            .find(|f| f.name() == name)
            .ok_or_else(|| {
                let close: Vec<&str> = Fault::ALL
                    .iter()
                    .map(|f| f.name())
                    .filter(|n| n.split('.').next() == name.split('.').next())
                    .collect();
                let hint = if close.is_empty() {
                    String::new()
                } else {
                    format!("; faults in that area: {}", close.join(", "))
                };
                format!("unknown fault `{name}` (see `probity serve --list-faults`){hint}")
            })
    }
}

/// The faults switched on for a bank instance.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FaultSet(BTreeSet<Fault>);

impl FaultSet {
    /// No faults: a conformant bank.
    pub fn none() -> Self {
        Self::default()
    }

    /// Exactly these faults.
    pub fn of(faults: impl IntoIterator<Item = Fault>) -> Self {
        FaultSet(faults.into_iter().collect())
    }

    /// Whether a fault is on.
    pub fn has(&self, f: Fault) -> bool {
        self.0.contains(&f)
    }

    /// Faults that are on.
    pub fn iter(&self) -> impl Iterator<Item = Fault> + '_ {
        self.0.iter().copied()
    }
}
