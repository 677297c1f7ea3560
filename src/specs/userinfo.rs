//! Specs of the UserInfo endpoint (OIDC Core §5.3).

const CORE_5_3_2: &str = "https://openid.net/specs/openid-connect-core-1_0.html#UserInfoResponse";
const RFC6750_2_2: &str = "https://www.rfc-editor.org/rfc/rfc6750#section-2.2";

specs! {
    /// Every UserInfo spec.
    area USERINFO;

    STATUS_OK = "userinfo.status_ok", Failure, "OIDC-CORE-5.3.2", CORE_5_3_2,
        "should answer the UserInfo request with 200 and a JSON object for a valid access token";

    SUB_MATCHES = "userinfo.sub_matches", Failure, "OIDC-CORE-5.3.2", CORE_5_3_2,
        "should return the same `sub` as the ID token";

    BODY_TOKEN = "userinfo.form_body_token", Warning, "RFC6750-2.2", RFC6750_2_2,
        "should accept the access token in the form body of a POST (optional for the server; OIDF warns when it is refused)";
}
