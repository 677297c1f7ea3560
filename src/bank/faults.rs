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
    JwksEmpty => "jwks.empty", "publishes a key set with no keys";
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
    PaymentConsentUnbound => "payment.consent_unbound", "accepts a payment under any authorised consent, not only the one the token was authorised for";
    PaymentInteractionIdDropped => "payment.interaction_id_dropped", "leaves the required `x-fapi-interaction-id` header out of its payment API answers";
    PaymentStatusUnknown => "payment.status_unknown", "settles payments with the status `Settled`, which the OBIE status model does not have";
    TokenReuseKeepsTokens => "token.reuse_keeps_tokens", "keeps the tokens of an authorization code when the code is replayed";
    UserinfoRequestedClaimsIgnored => "userinfo.requested_claims_ignored", "ignores the `userinfo` member of the `claims` parameter";
    UserinfoClaimTypesWrong => "userinfo.claim_types_wrong", "returns `email_verified` at UserInfo as the string \"true\" instead of a boolean";
    IdTokenRequestedClaimsIgnored => "id_token.requested_claims_ignored", "ignores the identity claims the `id_token` member of the `claims` parameter asks for";
    UserinfoScopeClaimsMissing => "userinfo.scope_claims_missing", "returns only `sub` at UserInfo, whatever the `profile`, `email`, `address` or `phone` scopes granted";
    TokenPkceIgnored => "token.pkce_ignored", "issues tokens without checking the PKCE `code_verifier`";
    ParRequestUriReusable => "par.request_uri_reusable", "accepts a pushed `request_uri` more than once";
    ParWrongStatus => "par.wrong_status", "answers pushed authorization requests with 200 instead of 201";
    TokenServerError => "token.server_error", "answers every token request with 500";
    TokenErrorWrongFormat => "token.error_wrong_format", "answers refused token requests with 403 and the error as `text/plain`";
    TokenNotJson => "token.not_json", "answers token requests with a body that is not JSON";
    TokenNoAccessToken => "token.no_access_token", "leaves `access_token` out of token responses";
    TokenWrongTokenType => "token.wrong_token_type", "answers `token_type: mac`";
    FormPostIgnored => "form_post.ignored", "answers `response_mode=form_post` with a 302 redirect, the response in the query";
    JarmBadSignature => "jarm.bad_signature", "signs JARM responses with a signature that does not verify";
    JarmWrongAud => "jarm.wrong_aud", "puts another client in the `aud` of JARM responses";
    DpopNotBound => "dpop.not_bound", "ignores DPoP proofs at the token endpoint and issues Bearer tokens";
    DpopTokenProofUnchecked => "dpop.token_proof_unchecked", "binds tokens to the key of any DPoP proof without checking its signature, `htm`, `htu` or `iat`";
    DpopResourceProofUnchecked => "dpop.resource_proof_unchecked", "accepts a DPoP-bound token at its resources without a valid proof, even under the Bearer scheme";
    Fapi2ParOptional => "fapi2.par_optional", "accepts authorization requests from FAPI 2 clients that were not pushed";
    Fapi2PkceOptional => "fapi2.pkce_optional", "accepts pushed requests of FAPI 2 clients without a PKCE challenge";
    ParRequestUriSpentAtFirstVisit => "par.request_uri_spent_at_first_visit", "spends a pushed `request_uri` at the first visit to the authorization endpoint, so a PSU reloading the page before completing gets `invalid_request_uri`";
    Fapi2BearerTokens => "fapi2.bearer_tokens", "issues Bearer tokens to FAPI 2 clients whose token request has neither a DPoP proof nor a client certificate, and to DPoP-bound clients without a proof";
    Fapi2Rs256AssertionAccepted => "fapi2.rs256_assertion_accepted", "accepts client assertions of FAPI 2 clients signed with RS256";
    Fapi2AnyResponseType => "fapi2.any_response_type", "accepts `response_type` values other than `code` from FAPI 2 clients (issuing a code)";
    AuthorizePostRefused => "authorize.post_refused", "answers authorization requests sent by POST with 405 Method Not Allowed";
    AuthorizeErrorsAsPages => "authorize.errors_as_pages", "shows an error page for every refused authorization request instead of redirecting the error to the client";
    ParRedirectUriUnchecked => "par.redirect_uri_unchecked", "accepts any `redirect_uri` in a pushed request and later redirects to it";
    ParRequestUriAnyClient => "par.request_uri_any_client", "lets any client use a pushed `request_uri`";
    ParRequestUriParamAccepted => "par.request_uri_param_accepted", "ignores a `request_uri` sent inside a pushed request instead of refusing it";
    TokenCodeNotBoundToClient => "token.code_not_bound_to_client", "exchanges a code for any authenticated client, not only the one it was issued to";
    ClientAuthClockStrict => "client_auth.clock_strict", "refuses client assertions whose `iat` or `nbf` is in the future at all, allowing no clock skew";
    Fapi2AssertionAudLenient => "fapi2.assertion_aud_lenient", "accepts FAPI 2 client assertions whose `aud` is a list or an endpoint URL, not the issuer";
    ClientAuthFutureAssertion => "client_auth.future_assertion", "accepts client assertions whose `nbf` or `iat` is minutes in the future";
    ClientAuthExpIgnored => "client_auth.exp_ignored", "accepts expired client assertions";
    ClientAuthNoSubAccepted => "client_auth.no_sub_accepted", "accepts client assertions without `sub`";
    ClientAuthOptional => "client_auth.optional", "issues tokens to a `private_key_jwt` client that sent no client assertion";
    DpopJktIgnored => "dpop.jkt_ignored", "ignores `dpop_jkt` and the PAR proof's key: the code is not bound to a DPoP key";
    DpopClockStrict => "dpop.clock_strict", "refuses DPoP proofs whose `iat` is more than 5 s from its clock";
    DpopNonceUnchecked => "dpop.nonce_unchecked", "demands a DPoP nonce, but accepts a proof carrying any nonce at all";
    DpopNonceHeaderDoubled => "dpop.nonce_header_doubled", "sends its DPoP nonce in two `DPoP-Nonce` headers";
    ResourceSchemeCaseSensitive => "resource.scheme_case_sensitive", "accepts the `Authorization` scheme only as `Bearer` or `DPoP`, not in lower case";
    AuthorizeRedirectsUnregistered => "authorize.redirects_unregistered", "answers a request with an unregistered `redirect_uri` by redirecting to it with an error";
    PushedStateOverridden => "par.front_channel_params_used", "lets parameters in the authorization URL replace those of the pushed request";
    TokenNoExpiresIn => "token.no_expires_in", "leaves `expires_in` out of token responses";
    TokenCacheable => "token.cacheable", "sends tokens without `Cache-Control: no-store`";
    TokenScopeNarrowed => "token.scope_narrowed", "grants fewer scopes than requested and says so only in `scope`";
    TokenNoRefreshToken => "token.no_refresh_token", "issues no refresh token";
    TokenNoIdToken => "token.no_id_token", "issues no ID token for `openid` authorization code grants";
    AuthorizeWrongRedirect => "authorize.wrong_redirect", "sends the PSU to a redirect URI the client did not register";
    AuthorizeServerError => "authorize.server_error", "answers every authorization request with `error=server_error`";
    CallbackCodeMissing => "callback.code_missing", "leaves `code` out of the authorization response";
    CallbackIssMissing => "callback.iss_missing", "leaves `iss` out of the authorization response";
    CallbackIssWrong => "callback.iss_wrong", "puts another issuer in the `iss` of the authorization response";
    ErrorStateCorrupted => "callback.error_state_corrupted", "changes the `state` it sends back in its error redirects";
    ErrorStateDropped => "callback.error_state_dropped", "leaves `state` out of its error redirects, pushed requests' included";
    ErrorIssWrong => "callback.error_iss_wrong", "puts another issuer in the `iss` of its error redirects";
    ErrorWithCode => "callback.error_with_code", "puts a `code` beside the `error` of its error redirects";
    CallbackHybridInQuery => "callback.hybrid_in_query", "answers `code id_token` requests in the query, without the ID token";
    IdTokenMalformed => "id_token.malformed", "issues ID tokens that are not JWTs";
    IdTokenAlgNone => "id_token.alg_none", "issues unsigned (`alg: none`) ID tokens";
    IdTokenUnknownKid => "id_token.unknown_kid", "names in `kid` a key it does not publish";
    IdTokenNoKid => "id_token.no_kid", "signs ID tokens without a `kid` although its JWKS holds several keys";
    PromptNoneIgnored => "authorize.prompt_none_ignored", "shows its consent page although `prompt=none` was asked for";
    IdTokenAuthTimeNow => "id_token.auth_time_now", "reports the time of each authorization as `auth_time`, not when the PSU logged in";
    PromptLoginIgnored => "authorize.prompt_login_ignored", "ignores `prompt=login` and `max_age`: a logged-in PSU is not asked to log in again";
    IdTokenWrongIss => "id_token.wrong_iss", "puts another issuer in `iss`";
    IdTokenWrongAzp => "id_token.wrong_azp", "puts another client in `azp`";
    IdTokenNoSub => "id_token.no_sub", "leaves `sub` out of ID tokens";
    IdTokenIatFuture => "id_token.iat_future", "issues ID tokens with `iat` an hour in the future";
    IdTokenNbfFuture => "id_token.nbf_future", "issues ID tokens not valid before an hour from now (`nbf`)";
    IdTokenWrongNonce => "id_token.wrong_nonce", "returns another `nonce` than the one requested";
    IdTokenNoAuthTime => "id_token.no_auth_time", "leaves `auth_time` out even when `max_age` was requested";
    IdTokenNoAcr => "id_token.no_acr", "leaves `acr` out of ID tokens";
    IdTokenMissingSHash => "id_token.missing_s_hash", "omits `s_hash` from front-channel ID tokens";
    IdTokenWrongAtHash => "id_token.wrong_at_hash", "puts an `at_hash` that matches no access token";
    IdTokenWrongRtHash => "id_token.wrong_rt_hash", "puts an `rt_hash` that matches no refresh token";
    IdTokenUnstableSub => "id_token.unstable_sub", "gives the same PSU a different `sub` in every ID token";
    ClientAuthJtiReplayAllowed => "client_auth.jti_replay_allowed", "accepts the same client assertion `jti` twice";
    ClientAuthAudIgnored => "client_auth.aud_ignored", "accepts client assertions addressed to any audience";
    ClientAuthAssertionsRefused => "client_auth.assertions_refused", "refuses every client assertion, valid or not, with `invalid_client`";
    UserinfoServerError => "userinfo.server_error", "answers UserInfo requests with 500";
    UserinfoWrongSub => "userinfo.wrong_sub", "returns another `sub` from UserInfo than in the ID token";
    UserinfoGetOnly => "userinfo.get_only", "answers POST requests to the UserInfo endpoint with 405 Method Not Allowed";
    UserinfoBodyTokenIgnored => "userinfo.body_token_ignored", "reads the UserInfo access token only from the `Authorization` header, not from a form body";
    PaymentServerError => "payment.server_error", "answers every payment consent request with 500";
    PaymentUnsignedResponse => "payment.unsigned_response", "answers payment APIs without `x-jws-signature`";
    PaymentBadResponseSignature => "payment.bad_response_signature", "signs payment responses with a signature that does not verify";
    PaymentStatusStuck => "payment.status_stuck", "never moves a payment to a terminal status";
    IdempotencyIgnored => "idempotency.ignored", "creates a new resource for a repeated request with the same `x-idempotency-key`";
    AccountsEmpty => "accounts.empty", "lists no accounts for an authorised account-access consent";
    AccountsBalanceMalformed => "accounts.balance_malformed", "returns balances without an `Amount`";
    AccountsTransactionsServerError => "accounts.transactions_server_error", "answers transaction requests with 500";
    AccountsPermissionsIgnored => "accounts.permissions_ignored", "serves resources the consent's permissions do not cover";
    AccountsInteractionIdDropped => "accounts.interaction_id_dropped", "does not echo `x-fapi-interaction-id` on account responses";
    PaymentSchemaViolation => "payment.schema_violation", "answers payment consents with a `Status` outside the OBIE enumeration";
    RarDetailsDropped => "rar.details_dropped", "leaves the granted `authorization_details` out of the token response";
    BundleIgnored => "bundle.ignored", "opens a new authorization for every payment, ignoring the `authorizationId` it was given";
    PaymentDeleteIgnored => "payment.delete_ignored", "answers DELETE of a payment with 204 but keeps the payment";
    SubmissionUnauthorisedAccepted => "submission.unauthorised_accepted", "accepts a submission with a token not authorised for the payment's `authorizationId`";
    ExemptionLimitsIgnored => "exemption.limits_ignored", "grants exemption-flow tokens beyond the limits (30 EUR, 5 payments, 100 EUR since the last SCA)";
    DecoupledRefused => "decoupled.refused", "refuses every backchannel authentication request with 400 invalid_request";
    DecoupledNoExpiresIn => "decoupled.no_expires_in", "leaves `expires_in` out of backchannel authentication responses";
    DecoupledPendingAsServerError => "decoupled.pending_as_server_error", "answers polls of pending requests with 500 instead of `authorization_pending`";
    DecoupledNeverApproves => "decoupled.never_approves", "keeps every decoupled request pending until it expires";
    DecoupledNoSlowDown => "decoupled.no_slow_down", "never answers `slow_down`, however fast the client polls";
    DecoupledDenialIgnored => "decoupled.denial_ignored", "issues tokens although the PSU refused the request";
    IdTokenIntentDropped => "id_token.intent_dropped", "drops the requested `openbanking_intent_id` and `authorizationId` claims";
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
