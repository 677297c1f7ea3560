//! Helpers shared by the integration tests.
#![allow(dead_code)]

pub mod oauth;
pub mod oidc_provider;

use probity::bank::Fault::*;
use probity::bank::{BankConfig, Fault, FaultSet, RunningBank};
use probity::http::HttpClient;
use probity::runner::{plan, run_scenario, ScenarioResult};
use probity::suite::load_suite;
use probity::target::Target;
use std::path::Path;
use std::sync::Arc;

/// Starts a bank with the given faults.
pub async fn bank(faults: &[Fault]) -> RunningBank {
    RunningBank::start(BankConfig {
        faults: FaultSet::of(faults.iter().copied()),
        ..BankConfig::default()
    })
    .await
    .expect("the bank starts")
}

/// Runs one scenario of a suite file in `suites/` against a target.
pub async fn run(target: &Target, suite_file: &str, scenario: &str) -> ScenarioResult {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("suites")
        .join(suite_file);
    let suite = load_suite(&path).expect("the shipped suite loads");
    run_loaded(target, &suite, scenario).await
}

/// Runs one scenario of a loaded suite against a target.
pub async fn run_loaded(
    target: &Target,
    suite: &probity::suite::Suite,
    scenario: &str,
) -> ScenarioResult {
    let job = plan(
        std::slice::from_ref(suite),
        &[format!("{}/{scenario}", suite.name)],
    )
    .pop()
    .unwrap_or_else(|| panic!("scenario {scenario} exists"));
    let client =
        Arc::new(HttpClient::new(&target.tls, target.http.clone()).expect("client builds"));
    run_scenario(&job, target, client).await
}

/// Runs `scenario` of a suite written inline (YAML text) against a target.
pub async fn run_yaml(target: &Target, yaml: &str, scenario: &str) -> ScenarioResult {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("inline.yaml");
    std::fs::write(&path, yaml).expect("write the suite");
    let suite = load_suite(&path).unwrap_or_else(|e| panic!("the inline suite loads: {e}"));
    run_loaded(target, &suite, scenario).await
}

/// The verdict of a spec, with a readable panic when it is missing.
pub fn verdict(r: &ScenarioResult, id: &str) -> probity::specs::Verdict {
    r.spec(id)
        .unwrap_or_else(|| {
            panic!(
                "spec {id} was not judged; specs: {:?}",
                r.specs().map(|s| &s.id).collect::<Vec<_>>()
            )
        })
        .verdict
}

/// Failed specs with their explanations, for assertion messages.
/// `spec verdict` for every spec that failed, warned or asks for review:
/// what a fault may change, for the exact-set fault checks.
pub fn broken(r: &ScenarioResult) -> std::collections::BTreeSet<String> {
    use probity::specs::Verdict;
    r.specs()
        .filter(|s| {
            matches!(
                s.verdict,
                Verdict::Failed | Verdict::Warning | Verdict::Review
            )
        })
        .map(|s| format!("{} {:?}", s.id, s.verdict))
        .collect()
}

/// What a fault changed: the specs broken with it and not without it.
pub fn newly_broken(with: &ScenarioResult, without: &ScenarioResult) -> Vec<String> {
    broken(with).difference(&broken(without)).cloned().collect()
}

pub fn failures(r: &ScenarioResult) -> Vec<String> {
    r.specs()
        .filter(|s| s.verdict != probity::specs::Verdict::Passed)
        .map(|s| {
            format!(
                "{:?} {}: {}",
                s.verdict,
                s.id,
                s.explanation().unwrap_or_default()
            )
        })
        .collect()
}

/// A plain reqwest client trusting the bank's CA, following no redirects.
pub fn http(bank: &RunningBank) -> reqwest::Client {
    probity::install_crypto_provider();
    reqwest::Client::builder()
        .use_rustls_tls()
        .add_root_certificate(reqwest::Certificate::from_pem(bank.pki.ca_pem.as_bytes()).unwrap())
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// PKCE verifier and S256 challenge.
pub fn pkce() -> (String, String) {
    use base64::Engine;
    use sha2::Digest;
    let verifier = format!(
        "verifier-{}-0123456789abcdefghijklmnopqrstuvwxyz",
        rand_suffix()
    );
    let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(sha2::Sha256::digest(verifier.as_bytes()));
    (verifier, challenge)
}

/// A short random string.
pub fn rand_suffix() -> String {
    use rand::Rng;
    format!("{:016x}", rand::thread_rng().gen::<u64>())
}

/// The parameters of a redirect `Location`, from the query and the fragment.
pub fn location_params(response: &reqwest::Response) -> std::collections::HashMap<String, String> {
    let loc = response
        .headers()
        .get("location")
        .expect("a location header")
        .to_str()
        .unwrap();
    let url = url::Url::parse("https://base.invalid/")
        .unwrap()
        .join(loc)
        .unwrap();
    let mut out: std::collections::HashMap<String, String> =
        url.query_pairs().into_owned().collect();
    if let Some(f) = url.fragment() {
        out.extend(url::form_urlencoded::parse(f.as_bytes()).into_owned());
    }
    out
}

/// Fault → the spec it must break.
pub const DISCOVERY_MATRIX: &[(Fault, &str)] = &[
    (DiscoveryStatusError, "discovery.status_ok"),
    (DiscoveryWrongContentType, "discovery.content_type_json"),
    (DiscoveryNotJson, "discovery.json_object"),
    (DiscoveryIssuerMismatch, "discovery.issuer_matches"),
    (DiscoveryIssuerQuery, "discovery.issuer_https"),
    (
        DiscoveryNoAuthorizationEndpoint,
        "discovery.authorization_endpoint_present",
    ),
    (DiscoveryNoTokenEndpoint, "discovery.token_endpoint_present"),
    (DiscoveryNoJwksUri, "discovery.jwks_uri_present"),
    (
        DiscoveryNoResponseTypes,
        "discovery.response_types_supported_present",
    ),
    (
        DiscoveryNoSubjectTypes,
        "discovery.subject_types_supported_present",
    ),
    (DiscoveryNoIdTokenAlgs, "discovery.id_token_algs_present"),
    (DiscoveryNoRs256, "discovery.id_token_alg_rs256"),
    (DiscoveryRs256Only, "discovery.id_token_alg_fapi"),
    (DiscoveryHttpEndpoint, "discovery.endpoints_https"),
    (DiscoveryNoOpenidScope, "discovery.scopes_include_openid"),
    (DiscoveryNoCodeResponseType, "discovery.response_type_code"),
    (
        DiscoveryNoAuthCodeGrant,
        "discovery.grant_type_authorization_code",
    ),
    (DiscoverySecretAuthOnly, "discovery.token_auth_methods_fapi"),
    (DiscoveryNoPkceS256, "discovery.pkce_s256"),
    (DiscoveryPkcePlainOffered, "discovery.pkce_no_plain"),
    (DiscoveryNoIssParameter, "discovery.iss_parameter_supported"),
    (DiscoveryNoParEndpoint, "discovery.par_endpoint_present"),
    (
        DiscoveryUnknownAlgAdvertised,
        "discovery.jwks_covers_id_token_algs",
    ),
    (JwksUnreachable, "discovery.jwks_reachable"),
    (JwksEncryptionOnly, "discovery.jwks_signing_key"),
    (JwksMissingKid, "discovery.jwks_kid_present"),
    (JwksDuplicateKid, "discovery.jwks_kid_unique"),
    (JwksPrivateMaterial, "discovery.jwks_no_private_material"),
    (JwksSmallRsaKey, "discovery.jwks_rsa_2048"),
    (JwksAlgMismatch, "discovery.jwks_alg_matches_kty"),
];

/// Faults proven by tests/schema.rs (they need OpenAPI files in the target).
pub const SCHEMA_FAULTS: &[Fault] = &[PaymentSchemaViolation, PaymentInteractionIdDropped];

/// Fault → (suite file, scenario, the spec it must break) for the flows.
pub const FLOW_MATRIX: &[(Fault, &str, &str, &str)] = &[
    (
        UserinfoRequestedClaimsIgnored,
        "oidcc.yaml",
        "claims-essential",
        "userinfo.requested_claims",
    ),
    (
        AuthorizePostRefused,
        "oidcc.yaml",
        "post-request",
        "authorize.redirected_to_client",
    ),
    (
        AuthorizeRedirectsUnregistered,
        "oidcc.yaml",
        "registered-redirect-uri",
        "authorize.not_redirected",
    ),
    (
        AuthorizeErrorsAsPages,
        "fapi2.yaml",
        "authorization-request-without-par",
        "authorize.error_page",
    ),
    (
        TokenReuseKeepsTokens,
        "negative.yaml",
        "code-reuse",
        "token.revoked_after_code_reuse",
    ),
    (
        UserinfoScopeClaimsMissing,
        "oidcc.yaml",
        "scope-all",
        "userinfo.scope_claims",
    ),
    (
        PromptNoneIgnored,
        "oidcc.yaml",
        "prompt-none-logged-in",
        "authorize.no_interaction",
    ),
    (
        IdTokenAuthTimeNow,
        "oidcc.yaml",
        "max-age-10000",
        "id_token.auth_time_kept",
    ),
    (
        IdTokenNoKid,
        "auth-code.yaml",
        "basic-pkce",
        "id_token.kid_present",
    ),
    (
        PromptLoginIgnored,
        "oidcc.yaml",
        "prompt-login",
        "id_token.auth_time_renewed",
    ),
    (
        FormPostIgnored,
        "response-modes.yaml",
        "form-post",
        "callback.form_post",
    ),
    (
        JarmBadSignature,
        "response-modes.yaml",
        "jwt",
        "callback.jarm_signed",
    ),
    (
        JarmWrongAud,
        "response-modes.yaml",
        "jwt",
        "callback.jarm_claims",
    ),
    (
        DpopNotBound,
        "dpop.yaml",
        "client-credentials",
        "dpop.token_bound",
    ),
    (
        DpopTokenProofUnchecked,
        "dpop.yaml",
        "token-proof-wrong-url",
        "dpop.token_proof_checked",
    ),
    (
        DpopResourceProofUnchecked,
        "dpop.yaml",
        "resource-without-proof",
        "dpop.resource_proof_required",
    ),
    (
        DpopNonceUnchecked,
        "dpop.yaml",
        "token-wrong-nonce",
        "dpop.nonce_checked",
    ),
    (
        DpopNonceUnchecked,
        "dpop.yaml",
        "resource-wrong-nonce",
        "dpop.nonce_checked",
    ),
    (
        DpopNonceHeaderDoubled,
        "dpop.yaml",
        "resource-wrong-nonce",
        "dpop.nonce_supplied",
    ),
    (
        TokenServerError,
        "client-credentials.yaml",
        "client-secret-basic",
        "token.status_ok",
    ),
    (
        TokenNotJson,
        "client-credentials.yaml",
        "client-secret-basic",
        "token.json_object",
    ),
    (
        TokenNoAccessToken,
        "client-credentials.yaml",
        "client-secret-basic",
        "token.access_token_present",
    ),
    (
        TokenWrongTokenType,
        "client-credentials.yaml",
        "client-secret-basic",
        "token.token_type_bearer",
    ),
    (
        TokenNoExpiresIn,
        "client-credentials.yaml",
        "client-secret-basic",
        "token.expires_in",
    ),
    (
        TokenCacheable,
        "client-credentials.yaml",
        "client-secret-basic",
        "token.cache_control_no_store",
    ),
    (
        TokenScopeNarrowed,
        "auth-code.yaml",
        "basic-pkce",
        "token.scope_as_requested",
    ),
    (
        TokenNoRefreshToken,
        "auth-code.yaml",
        "refresh",
        "token.refresh_token_present",
    ),
    (
        TokenNoIdToken,
        "auth-code.yaml",
        "basic-pkce",
        "token.id_token_present",
    ),
    (
        TokenCodeReuseAllowed,
        "negative.yaml",
        "code-reuse",
        "token.rejected",
    ),
    (
        TokenPkceIgnored,
        "negative.yaml",
        "wrong-code-verifier",
        "token.rejected",
    ),
    (ParWrongStatus, "auth-code.yaml", "par", "par.created"),
    (
        ParRequestUriReusable,
        "negative.yaml",
        "reused-request-uri",
        "callback.expected_error",
    ),
    (
        AuthorizeWrongRedirect,
        "auth-code.yaml",
        "basic-pkce",
        "authorize.redirected_to_client",
    ),
    (
        AuthorizeServerError,
        "auth-code.yaml",
        "basic-pkce",
        "callback.no_error",
    ),
    (
        CallbackCodeMissing,
        "auth-code.yaml",
        "basic-pkce",
        "callback.code_present",
    ),
    (
        CallbackStateDropped,
        "auth-code.yaml",
        "basic-pkce",
        "callback.state_matches",
    ),
    (
        CallbackIssMissing,
        "auth-code.yaml",
        "basic-pkce",
        "callback.iss_present",
    ),
    (
        CallbackIssWrong,
        "auth-code.yaml",
        "basic-pkce",
        "callback.iss_matches",
    ),
    (
        ErrorStateCorrupted,
        "oidcc.yaml",
        "prompt-none-not-logged-in",
        "callback.state_matches",
    ),
    (
        ErrorIssWrong,
        "oidcc.yaml",
        "prompt-none-not-logged-in",
        "callback.iss_matches",
    ),
    (
        ErrorWithCode,
        "oidcc.yaml",
        "prompt-none-not-logged-in",
        "callback.no_code_with_error",
    ),
    (
        CallbackHybridInQuery,
        "auth-code.yaml",
        "hybrid",
        "callback.hybrid_in_fragment",
    ),
    (
        ConsentAlwaysPrompt,
        "persisted-consent.yaml",
        "authorization-persisted",
        "consent.not_prompted",
    ),
    (
        IdTokenMalformed,
        "auth-code.yaml",
        "basic-pkce",
        "id_token.decodes",
    ),
    (
        IdTokenAlgNone,
        "auth-code.yaml",
        "basic-pkce",
        "id_token.alg_not_none",
    ),
    (
        IdTokenAlgNone,
        "auth-code.yaml",
        "basic-pkce",
        "id_token.alg_allowed",
    ),
    (
        IdTokenUnknownKid,
        "auth-code.yaml",
        "basic-pkce",
        "id_token.kid_in_jwks",
    ),
    (
        IdTokenBadSignature,
        "auth-code.yaml",
        "basic-pkce",
        "id_token.signature_valid",
    ),
    (
        JwksEmpty,
        "auth-code.yaml",
        "basic-pkce",
        "id_token.signature_valid",
    ),
    (
        IdTokenWrongIss,
        "auth-code.yaml",
        "basic-pkce",
        "id_token.iss_matches",
    ),
    (
        IdTokenWrongAud,
        "auth-code.yaml",
        "basic-pkce",
        "id_token.aud_contains_client",
    ),
    (
        IdTokenWrongAzp,
        "auth-code.yaml",
        "basic-pkce",
        "id_token.azp_valid",
    ),
    (
        IdTokenNoSub,
        "auth-code.yaml",
        "basic-pkce",
        "id_token.sub_present",
    ),
    (
        IdTokenExpired,
        "auth-code.yaml",
        "basic-pkce",
        "id_token.not_expired",
    ),
    (
        IdTokenIatFuture,
        "auth-code.yaml",
        "basic-pkce",
        "id_token.iat_valid",
    ),
    (
        IdTokenNbfFuture,
        "auth-code.yaml",
        "basic-pkce",
        "id_token.nbf_valid",
    ),
    (
        IdTokenWrongNonce,
        "auth-code.yaml",
        "basic-pkce",
        "id_token.nonce_matches",
    ),
    (
        IdTokenNoAuthTime,
        "auth-code.yaml",
        "basic-pkce",
        "id_token.auth_time_valid",
    ),
    (
        IdTokenNoAcr,
        "auth-code.yaml",
        "basic-pkce",
        "id_token.acr_present",
    ),
    (
        IdTokenMissingCHash,
        "auth-code.yaml",
        "hybrid",
        "id_token.c_hash_valid",
    ),
    (
        IdTokenMissingSHash,
        "auth-code.yaml",
        "hybrid",
        "id_token.s_hash_valid",
    ),
    (
        IdTokenWrongAtHash,
        "auth-code.yaml",
        "basic-pkce",
        "id_token.at_hash_valid",
    ),
    (
        IdTokenWrongRtHash,
        "auth-code.yaml",
        "basic-pkce",
        "id_token.rt_hash_valid",
    ),
    (
        IdTokenUnstableSub,
        "persisted-consent.yaml",
        "authorization-persisted",
        "id_token.sub_stable",
    ),
    (
        IdTokenIntentDropped,
        "accounts-obie.yaml",
        "accounts-balances-transactions",
        "id_token.expected_claim",
    ),
    (
        DecoupledRefused,
        "headless-poll.yaml",
        "ciba-approved",
        "decoupled.request_accepted",
    ),
    (
        DecoupledNoExpiresIn,
        "headless-poll.yaml",
        "ciba-approved",
        "decoupled.expires_in",
    ),
    (
        DecoupledPendingAsServerError,
        "headless-poll.yaml",
        "ciba-approved",
        "decoupled.pending_error",
    ),
    (
        DecoupledNeverApproves,
        "headless-poll.yaml",
        "ciba-approved",
        "decoupled.completes",
    ),
    (
        DecoupledNoSlowDown,
        "headless-poll.yaml",
        "ciba-slow-down",
        "decoupled.slow_down",
    ),
    (
        DecoupledDenialIgnored,
        "headless-poll.yaml",
        "ciba-denied",
        "decoupled.expected_error",
    ),
    (
        ClientAuthAudIgnored,
        "negative.yaml",
        "client-assertion-wrong-aud",
        "token.rejected",
    ),
    (
        ClientAuthAssertionsRefused,
        "negative.yaml",
        "client-assertion-wrong-aud",
        "token.status_ok",
    ),
    (
        ClientAuthJtiReplayAllowed,
        "negative.yaml",
        "client-assertion-replay",
        "token.rejected",
    ),
    (
        UserinfoServerError,
        "auth-code.yaml",
        "basic-pkce",
        "userinfo.status_ok",
    ),
    (
        UserinfoWrongSub,
        "auth-code.yaml",
        "basic-pkce",
        "userinfo.sub_matches",
    ),
    (
        UserinfoGetOnly,
        "oidcc.yaml",
        "userinfo-post-header",
        "userinfo.status_ok",
    ),
    (
        UserinfoBodyTokenIgnored,
        "oidcc.yaml",
        "userinfo-post-body",
        "userinfo.form_body_token",
    ),
    (
        TokenErrorWrongFormat,
        "negative.yaml",
        "code-reuse",
        "token.error_response",
    ),
    (
        PaymentUnsignedResponse,
        "payments-obie.yaml",
        "domestic-payment",
        "payment.response_signed",
    ),
    (
        PaymentBadResponseSignature,
        "payments-obie.yaml",
        "domestic-payment",
        "payment.response_signature_valid",
    ),
    (
        PaymentStatusStuck,
        "payments-obie.yaml",
        "domestic-payment",
        "payment.settled_in_time",
    ),
    (
        PaymentConsentUnbound,
        "payments-obie.yaml",
        "payment-under-another-consent",
        "payment.consent_bound",
    ),
    (
        PaymentStatusUnknown,
        "payments-obie.yaml",
        "domestic-payment",
        "payment.terminal_status",
    ),
    (
        IdempotencyIgnored,
        "payments-obie.yaml",
        "domestic-payment",
        "payment.idempotent",
    ),
    (
        PaymentServerError,
        "payments-obie.yaml",
        "domestic-payment",
        "payment.accepted",
    ),
    (BundleIgnored, OP, "bundle", "payment.bundled"),
    (
        PaymentDeleteIgnored,
        OP,
        "delete-before-submission",
        "payment.accepted",
    ),
    (
        SubmissionUnauthorisedAccepted,
        OP,
        "submission-needs-authorisation",
        "payment.accepted",
    ),
    (
        ExemptionLimitsIgnored,
        OP,
        "exemption-over-limit",
        "token.rejected",
    ),
    (
        PaymentStatusStuck,
        OP,
        "exemption",
        "payment.terminal_status",
    ),
    (
        PaymentBadResponseSignature,
        OP,
        "single-payment",
        "payment.response_signature_valid",
    ),
    (
        IdempotencyIgnored,
        OP,
        "single-payment",
        "payment.idempotent",
    ),
    (
        PaymentServerError,
        "payments-obie.yaml",
        "domestic-payment",
        "consent.created",
    ),
    (AccountsEmpty, AIS, AIS_FULL, "accounts.listed"),
    (AccountsBalanceMalformed, AIS, AIS_FULL, "accounts.balances"),
    (
        AccountsTransactionsServerError,
        AIS,
        AIS_FULL,
        "accounts.transactions",
    ),
    (
        AccountsPermissionsIgnored,
        AIS,
        "permissions-limit-reads",
        "accounts.permissions_enforced",
    ),
    (
        AccountsInteractionIdDropped,
        AIS,
        AIS_FULL,
        "accounts.interaction_id",
    ),
    (
        RarDetailsDropped,
        "auth-code.yaml",
        "par-authorization-details",
        "token.authorization_details",
    ),
];

/// The OBIE accounts suite and its full scenario.
const AIS: &str = "accounts-obie.yaml";
const AIS_FULL: &str = "accounts-balances-transactions";

/// The OP PSD2 payments suite.
const OP: &str = "payments-op-psd2.yaml";

/// Writes one scenario's reports into `dir` the way `probity run` does,
/// masking with `redactor`.
pub fn write_reports(dir: &Path, redactor: probity::http::redact::Redactor, r: &ScenarioResult) {
    let mut writer = probity::report::ReportWriter::new(probity::report::ReportOptions {
        dir: dir.to_path_buf(),
        redactor,
        command: ("probity run".into(), String::new()),
        suite_files: Default::default(),
        planned: vec![],
        run: probity::report::RunInfo::default(),
        clients: vec![],
        formats: Default::default(),
        sign_key: None,
        templates: None,
    })
    .expect("writer");
    writer.scenario(r).expect("scenario written");
    writer.finish().expect("finished");
}

/// The FAPI 2.0 suite's faults (tests/fapi2.rs): each fault, the `fapi2`
/// scenario that must catch it, and exactly the specs it changes.
/// Each fault, the scenario that must catch it, and exactly the specs
/// (id and verdict) that it makes fail, warn or ask for review. Specs of
/// later steps that could not run are SKIPPED, which is not a verdict on
/// the target, so they are not listed.
/// A fault, the scenario that catches it, and the specs it changes.
pub type Fapi2Case = (
    Fault,
    &'static str,
    &'static [(&'static str, probity::specs::Verdict)],
);

pub const FAPI2_MATRIX: &[Fapi2Case] = &[
    (
        Fapi2ParOptional,
        "authorization-request-without-par",
        &[("callback.expected_error", probity::specs::Verdict::Failed)],
    ),
    (
        AuthorizeErrorsAsPages,
        "authorization-request-without-par",
        &[("authorize.error_page", probity::specs::Verdict::Review)],
    ),
    (
        Fapi2PkceOptional,
        "pkce-required",
        &[("callback.expected_error", probity::specs::Verdict::Failed)],
    ),
    (
        Fapi2AnyResponseType,
        "response-type-token",
        &[("callback.expected_error", probity::specs::Verdict::Failed)],
    ),
    (
        Fapi2AnyResponseType,
        "response-type-code-id-token",
        &[("callback.expected_error", probity::specs::Verdict::Failed)],
    ),
    (
        DiscoveryPkcePlainOffered,
        "plain-pkce-refused",
        &[
            ("callback.expected_error", probity::specs::Verdict::Failed),
            ("discovery.pkce_no_plain", probity::specs::Verdict::Warning),
        ],
    ),
    (
        Fapi2AssertionAudLenient,
        "par-assertion-aud-array",
        &[("callback.expected_error", probity::specs::Verdict::Failed)],
    ),
    (
        Fapi2AssertionAudLenient,
        "par-assertion-aud-par-endpoint",
        &[("callback.expected_error", probity::specs::Verdict::Failed)],
    ),
    (
        Fapi2AssertionAudLenient,
        "par-assertion-aud-token-endpoint",
        &[("callback.expected_error", probity::specs::Verdict::Failed)],
    ),
    (
        ClientAuthFutureAssertion,
        "par-assertion-nbf-over-60s-future",
        &[("callback.expected_error", probity::specs::Verdict::Failed)],
    ),
    (
        ClientAuthExpIgnored,
        "client-assertion-expired",
        &[("token.rejected", probity::specs::Verdict::Failed)],
    ),
    (
        IdTokenRequestedClaimsIgnored,
        "claims-parameter-identity-claims",
        &[(
            "id_token.requested_claims",
            probity::specs::Verdict::Warning,
        )],
    ),
    (
        UserinfoClaimTypesWrong,
        "claims-parameter-identity-claims",
        &[("userinfo.claim_types", probity::specs::Verdict::Failed)],
    ),
    // The first malformed proof accepted spends the code, so the valid
    // redemption after the three fails too.
    (
        DpopTokenProofUnchecked,
        "dpop-negative",
        // The fault accepts the first malformed proof and spends the code
        // on it, so the scenario's valid token request is refused: its
        // status fails, and no success spec is judged on the error body.
        &[
            ("dpop.token_proof_checked", probity::specs::Verdict::Failed),
            ("token.status_ok", probity::specs::Verdict::Failed),
        ],
    ),
    (
        ParRequestUriSpentAtFirstVisit,
        "par-reused-request-uri-before-completion",
        &[("par.reload_tolerated", probity::specs::Verdict::Warning)],
    ),
    (
        Fapi2BearerTokens,
        "holder-of-key-required",
        &[("token.sender_constrained", probity::specs::Verdict::Failed)],
    ),
    (
        Fapi2Rs256AssertionAccepted,
        "client-assertion-rs256",
        &[("token.rejected", probity::specs::Verdict::Failed)],
    ),
    (
        ClientAuthNoSubAccepted,
        "client-assertion-without-sub",
        &[("token.rejected", probity::specs::Verdict::Failed)],
    ),
    (
        ClientAuthOptional,
        "client-assertion-required",
        &[("token.rejected", probity::specs::Verdict::Failed)],
    ),
    (
        ClientAuthAudIgnored,
        "client-assertion-wrong-aud",
        &[("token.rejected", probity::specs::Verdict::Failed)],
    ),
    (
        TokenCodeNotBoundToClient,
        "code-bound-to-client",
        &[("token.rejected", probity::specs::Verdict::Failed)],
    ),
    (
        TokenCodeReuseAllowed,
        "code-reuse-after-one-second",
        &[("token.rejected", probity::specs::Verdict::Failed)],
    ),
    (
        ParRedirectUriUnchecked,
        "registered-redirect-uri",
        &[("authorize.not_redirected", probity::specs::Verdict::Failed)],
    ),
    (
        ParRequestUriAnyClient,
        "par-request-uri-of-another-client",
        &[("callback.expected_error", probity::specs::Verdict::Failed)],
    ),
    (
        ParRequestUriParamAccepted,
        "par-request-uri-in-pushed-request",
        &[("callback.expected_error", probity::specs::Verdict::Failed)],
    ),
    (
        ParRequestUriReusable,
        "par-reused-request-uri",
        &[("callback.expected_error", probity::specs::Verdict::Failed)],
    ),
    (
        PushedStateOverridden,
        "different-state-outside-pushed-request",
        &[("callback.state_matches", probity::specs::Verdict::Failed)],
    ),
    (
        PushedStateOverridden,
        "state-only-outside-pushed-request",
        &[("callback.state_matches", probity::specs::Verdict::Failed)],
    ),
    (
        PushedStateOverridden,
        "different-nonce-outside-pushed-request",
        &[("id_token.nonce_matches", probity::specs::Verdict::Failed)],
    ),
    (
        ResourceSchemeCaseSensitive,
        "scheme-case-insensitive",
        &[("userinfo.status_ok", probity::specs::Verdict::Failed)],
    ),
    (
        ErrorStateDropped,
        "user-rejects-authentication",
        &[("callback.state_matches", probity::specs::Verdict::Failed)],
    ),
    (
        ClientAuthClockStrict,
        "par-assertion-nbf-8s-future",
        &[("par.clock_skew_accepted", probity::specs::Verdict::Warning)],
    ),
    (
        DpopClockStrict,
        "dpop-iat-10s-past",
        &[("par.created", probity::specs::Verdict::Failed)],
    ),
    (
        DpopClockStrict,
        "dpop-iat-10s-future",
        &[("par.created", probity::specs::Verdict::Failed)],
    ),
    (
        DpopJktIgnored,
        "dpop-mismatched-jkt-at-par",
        &[("callback.expected_error", probity::specs::Verdict::Failed)],
    ),
    (
        DpopJktIgnored,
        "dpop-token-proof-by-another-key-than-jkt",
        &[("token.rejected", probity::specs::Verdict::Failed)],
    ),
];

/// A suite whose payment consent goes out without its `x-jws-signature`:
/// a request the OBIE OpenAPI refuses (tests/schema.rs, tests/prism.rs).
pub const UNSIGNED_CONSENT_SUITE: &str = r#"suite: unsigned
scenarios:
  - id: consent-without-signature
    name: A payment consent sent without its x-jws-signature
    steps:
      - discovery: {}
      - client_credentials: { client: jwt, scope: payments }
      - payment:
          client: jwt
          sign: none
          url: "{{ target.ob_base }}/pisp/domestic-payment-consents"
          json: { Data: { Initiation: { InstructionIdentification: "A", EndToEndIdentification: "B", InstructedAmount: { Amount: "1.00", Currency: "GBP" }, CreditorAccount: { SchemeName: "UK.OBIE.SortCodeAccountNumber", Identification: "08080021325698", Name: "ACME" } } }, Risk: {} }
"#;
