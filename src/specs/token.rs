//! Specs of the token endpoint response (RFC 6749 §5, OIDC Core §3.1.3).

const R5_1: &str = "https://www.rfc-editor.org/rfc/rfc6749#section-5.1";
const R5_2: &str = "https://www.rfc-editor.org/rfc/rfc6749#section-5.2";
const R6750_4: &str = "https://www.rfc-editor.org/rfc/rfc6750#section-4";
const FAPI2_5_3_2: &str =
    "https://openid.net/specs/fapi-security-profile-2_0-final.html#name-requirements-for-authorization-servers";
const OIDC_3_1_3_3: &str = "https://openid.net/specs/openid-connect-core-1_0.html#TokenResponse";

specs! {
    /// Every token spec.
    area TOKEN;

    AUTHORIZATION_DETAILS = "token.authorization_details", Failure, "RFC9396-7",
        "https://www.rfc-editor.org/rfc/rfc9396#section-7",
        "should return the granted `authorization_details`, one entry per requested type";

    /// The core token specs, skipped together: what a failed token request
    /// leaves unjudged.
    group CORE {
        STATUS_OK = "token.status_ok", Failure, "RFC6749-5.1", R5_1,
            "should answer a valid token request with 200 OK";

        JSON = "token.json_object", Failure, "RFC6749-5.1", R5_1,
            "should return the token response as a JSON object";

        ACCESS_TOKEN = "token.access_token_present", Failure, "RFC6749-5.1", R5_1,
            "should return an `access_token`";

        TOKEN_TYPE = "token.token_type_bearer", Failure, "RFC6750-4", R6750_4,
            "should return `token_type` Bearer";

        EXPIRES_IN = "token.expires_in", Warning, "RFC6749-5.1", R5_1,
            "should say when the access token expires (`expires_in`)";

        NO_STORE = "token.cache_control_no_store", Failure, "RFC6749-5.1", R5_1,
            "should send `Cache-Control: no-store` with tokens";
    }

    SCOPE = "token.scope_as_requested", Warning, "RFC6749-5.1", R5_1,
        "should grant the scopes requested, or say which it granted";

    REFRESH_TOKEN = "token.refresh_token_present", Failure, "RFC6749-5.1", R5_1,
        "should return a `refresh_token` where the suite expects one";

    ID_TOKEN = "token.id_token_present", Failure, "OIDC-CORE-3.1.3.3", OIDC_3_1_3_3,
        "should return an `id_token` when the `openid` scope was granted";

    REJECTED = "token.rejected", Failure, "RFC6749-5.2", R5_2,
        "should reject the invalid token request with the expected OAuth error",
        refusal: true;

    SENDER_CONSTRAINED = "token.sender_constrained", Failure, "FAPI2-SP-5.3.2.1", FAPI2_5_3_2,
        "should refuse a token request without the client's holder-of-key (no DPoP proof, no TLS client certificate), since it may issue only sender-constrained tokens",
        refusal: true;

    ERROR_RESPONSE = "token.error_response", Failure, "RFC6749-5.2", R5_2,
        "should send a token error with 400 (401 allowed for `invalid_client`) and an `application/json` body";
}
