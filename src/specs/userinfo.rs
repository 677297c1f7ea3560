//! Specs of the UserInfo endpoint (OIDC Core §5.3).

const CORE_5_3_2: &str = "https://openid.net/specs/openid-connect-core-1_0.html#UserInfoResponse";
const CORE_5_5: &str = "https://openid.net/specs/openid-connect-core-1_0.html#ClaimsParameter";
const CORE_5_1: &str = "https://openid.net/specs/openid-connect-core-1_0.html#StandardClaims";
const CORE_5_4: &str = "https://openid.net/specs/openid-connect-core-1_0.html#ScopeClaims";
const RFC6749_4_1_2: &str = "https://www.rfc-editor.org/rfc/rfc6749#section-4.1.2";
const RFC6750_2_2: &str = "https://www.rfc-editor.org/rfc/rfc6750#section-2.2";

specs! {
    /// Every UserInfo spec.
    area USERINFO;

    STATUS_OK = "userinfo.status_ok", Failure, "OIDC-CORE-5.3.2", CORE_5_3_2,
        "should answer the UserInfo request with 200 and a JSON object for a valid access token";

    SUB_MATCHES = "userinfo.sub_matches", Failure, "OIDC-CORE-5.3.2", CORE_5_3_2,
        "should return the same `sub` as the ID token";

    SCOPE_CLAIMS = "userinfo.scope_claims", Warning, "OIDC-CORE-5.4", CORE_5_4,
        "should return claims of each standard scope granted (`profile`, `email`, `address`, `phone`)";

    REQUESTED_CLAIMS = "userinfo.requested_claims", Warning, "OIDC-CORE-5.5", CORE_5_5,
        "should return the claims the `claims` parameter asked of UserInfo (essential ones above all)";

    CLAIM_TYPES = "userinfo.claim_types", Failure, "OIDC-CORE-5.1", CORE_5_1,
        "should return the standard claims with the JSON types OIDC Core §5.1 defines (strings, booleans, a number for `updated_at`, an object for `address`)";

    REVOKED = "token.revoked_after_code_reuse", Warning, "RFC6749-4.1.2", RFC6749_4_1_2,
        "should revoke the tokens of an authorization code when the code is replayed",
        refusal: true;

    BODY_TOKEN = "userinfo.form_body_token", Warning, "RFC6750-2.2", RFC6750_2_2,
        "should accept the access token in the form body of a POST (optional for the server; OIDF warns when it is refused)";
}
