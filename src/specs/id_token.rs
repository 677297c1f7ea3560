//! Specs of ID tokens (OIDC Core §2, §3.1.3.7, §3.3.2.11; FAPI 1 Advanced
//! §5.2.2.1 and §8.6).

const CORE_2: &str = "https://openid.net/specs/openid-connect-core-1_0.html#IDToken";
const CORE_3_1_3_7: &str =
    "https://openid.net/specs/openid-connect-core-1_0.html#IDTokenValidation";
const CORE_3_3_2_11: &str = "https://openid.net/specs/openid-connect-core-1_0.html#HybridIDToken";
const CORE_3_1_3_6: &str = "https://openid.net/specs/openid-connect-core-1_0.html#CodeIDToken";
const CORE_3_1_2_1: &str = "https://openid.net/specs/openid-connect-core-1_0.html#AuthRequest";
const CORE_10_1: &str = "https://openid.net/specs/openid-connect-core-1_0.html#Signing";
const FAPI1_5_2_2_1: &str =
    "https://openid.net/specs/openid-financial-api-part-2-1_0.html#id-token-as-detached-signature";
const FAPI1_8_6: &str =
    "https://openid.net/specs/openid-financial-api-part-2-1_0.html#algorithm-considerations";
const JWT_4_1_5: &str = "https://www.rfc-editor.org/rfc/rfc7519#section-4.1.5";

use super::{
    Rule::{Judge, NotApplicable},
    Severity::Failure,
    FAPI2, OPEN_BANKING, PLAIN_OIDC,
};

specs! {
    /// Every ID token spec.
    area ID_TOKEN;

    DECODES = "id_token.decodes", Failure, "OIDC-CORE-2", CORE_2,
        "should issue an ID token that is a well-formed signed JWT";

    ALG_NOT_NONE = "id_token.alg_not_none", Failure, "OIDC-CORE-3.1.3.7", CORE_3_1_3_7,
        "should sign ID tokens (alg is not `none`)";

    ALG_ALLOWED = "id_token.alg_allowed", Failure, "FAPI1-ADV-8.6", FAPI1_8_6,
        "should sign ID tokens with an alg the profile allows",
        // OpenID Connect itself allows any alg the OP supports; the OIDCC
        // modules allow-list none (OIDCC-3.1.3.7 only needs a signature).
        under: &[(PLAIN_OIDC, NotApplicable)];

    KID_KNOWN = "id_token.kid_in_jwks", Failure, "OIDC-CORE-10.1", CORE_10_1,
        "should name in `kid` a key published in the JWKS";

    KID_PRESENT = "id_token.kid_present", Failure, "OIDC-CORE-10.1", CORE_10_1,
        "should name its signing key in `kid` when the JWKS holds more than one key";

    SIGNATURE = "id_token.signature_valid", Failure, "OIDC-CORE-3.1.3.7", CORE_3_1_3_7,
        "should carry a signature that verifies with the ASPSP's published key";

    ISS = "id_token.iss_matches", Failure, "OIDC-CORE-3.1.3.7", CORE_3_1_3_7,
        "should have `iss` identical to the issuer";

    AUD = "id_token.aud_contains_client", Failure, "OIDC-CORE-3.1.3.7", CORE_3_1_3_7,
        "should have the client's `client_id` in `aud`";

    AZP = "id_token.azp_valid", Failure, "OIDC-CORE-3.1.3.7", CORE_3_1_3_7,
        "should have `azp` equal to the client when present or when `aud` has several values";

    SUB = "id_token.sub_present", Failure, "OIDC-CORE-2", CORE_2,
        "should identify the PSU with a non-empty `sub` of at most 255 characters";

    EXP = "id_token.not_expired", Failure, "OIDC-CORE-3.1.3.7", CORE_3_1_3_7,
        "should have an `exp` in the future (within the allowed clock skew)";

    IAT = "id_token.iat_valid", Failure, "OIDC-CORE-3.1.3.7", CORE_3_1_3_7,
        "should have an `iat` that is not in the future and not older than `exp`";

    NBF = "id_token.nbf_valid", Failure, "RFC7519-4.1.5", JWT_4_1_5,
        "should not be used before `nbf`, when it has one";

    NONCE = "id_token.nonce_matches", Failure, "OIDC-CORE-3.1.3.7", CORE_3_1_3_7,
        "should return the `nonce` sent in the authorization request";

    AUTH_TIME = "id_token.auth_time_valid", Failure, "OIDC-CORE-3.1.3.7", CORE_3_1_3_7,
        "should include `auth_time` within `max_age` when `max_age` was requested";

    AUTH_TIME_RENEWED = "id_token.auth_time_renewed", Failure, "OIDC-CORE-3.1.2.1", CORE_3_1_2_1,
        "should report a later `auth_time` when `prompt=login` or an elapsed `max_age` made the PSU log in again";

    AUTH_TIME_KEPT = "id_token.auth_time_kept", Failure, "OIDC-CORE-2", CORE_2,
        "should keep the session's `auth_time` when the PSU did not log in again";

    ACR = "id_token.acr_present", Warning, "FAPI1-ADV-5.2.2.1", FAPI1_5_2_2_1,
        "should say how the PSU was authenticated (`acr`)",
        // FAPI 2.0 SP asks nothing of `acr`; Open Banking ecosystems require it.
        under: &[(PLAIN_OIDC, NotApplicable), (FAPI2, NotApplicable), (OPEN_BANKING, Judge(Failure))];

    C_HASH = "id_token.c_hash_valid", Failure, "OIDC-CORE-3.3.2.11", CORE_3_3_2_11,
        "should include a `c_hash` matching the code in front-channel ID tokens";

    S_HASH = "id_token.s_hash_valid", Failure, "FAPI1-ADV-5.2.2.1", FAPI1_5_2_2_1,
        "should include an `s_hash` matching the state in front-channel ID tokens",
        under: &[(PLAIN_OIDC, NotApplicable), (FAPI2, NotApplicable)];

    AT_HASH = "id_token.at_hash_valid", Failure, "OIDC-CORE-3.1.3.6", CORE_3_1_3_6,
        "should have an `at_hash` that matches the access token, when it has one";

    RT_HASH = "id_token.rt_hash_valid", Failure, "OIDC-CORE-3.1.3.6", CORE_3_1_3_6,
        "should have an `rt_hash` that matches the refresh token, when it has one";

    SUB_STABLE = "id_token.sub_stable", Failure, "OIDC-CORE-2", CORE_2,
        "should keep the same `sub` for the same PSU across ID tokens";

    EXPECTED_CLAIM = "id_token.expected_claim", Failure, "OIDC-CORE-5.5",
        "https://openid.net/specs/openid-connect-core-1_0.html#ClaimsParameter",
        "should include the claims the client requested with their requested values";

    REQUESTED_CLAIMS = "id_token.requested_claims", Warning, "OIDC-CORE-5.5",
        "https://openid.net/specs/openid-connect-core-1_0.html#ClaimsParameter",
        "should return in the ID token the claims the `claims` parameter asked of it (the OP may withhold them)";
}
