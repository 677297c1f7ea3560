//! Specs of the authorization request and response (RFC 6749 §4.1,
//! RFC 9207, RFC 9126, OIDC Core §3.3), and of persisted consent.

const R4_1_2: &str = "https://www.rfc-editor.org/rfc/rfc6749#section-4.1.2";
const R9207: &str = "https://www.rfc-editor.org/rfc/rfc9207#section-2";
const R9126: &str = "https://www.rfc-editor.org/rfc/rfc9126#section-2.2";
const R9126_4: &str = "https://www.rfc-editor.org/rfc/rfc9126#section-4";
const FAPI2_5_3_2_1: &str =
    "https://openid.net/specs/fapi-security-profile-2_0-final.html#section-5.3.2.1";
const OIDC_3_3_2_5: &str =
    "https://openid.net/specs/openid-connect-core-1_0.html#HybridAuthResponse";
const FORM_POST: &str =
    "https://openid.net/specs/oauth-v2-form-post-response-mode-1_0.html#FormPostResponseMode";
const JARM_2_1: &str = "https://openid.net/specs/oauth-v2-jarm-final.html#section-2.1";
const JARM_4_4: &str = "https://openid.net/specs/oauth-v2-jarm-final.html#section-4.4";
const OIDC_PROMPT: &str = "https://openid.net/specs/openid-connect-core-1_0.html#AuthRequest";
const OIDC_AUTH_ERROR: &str = "https://openid.net/specs/openid-connect-core-1_0.html#AuthError";

use super::{
    Rule::{Judge, NotApplicable},
    Severity::Failure,
    FAPI2, PLAIN_OIDC,
};

specs! {
    /// Every authorization spec.
    area AUTHORIZE;

    FORM_POSTED = "callback.form_post", Failure, "OAUTH-FORM-POST-2", FORM_POST,
        "should deliver the response as an HTML form that posts it to the redirect URI when `response_mode=form_post` was asked for";

    JARM_SIGNED = "callback.jarm_signed", Failure, "JARM-4.4", JARM_4_4,
        "should answer `response_mode=jwt` with a `response` JWT signed by a key of its JWKS";

    JARM_CLAIMS = "callback.jarm_claims", Failure, "JARM-2.1", JARM_2_1,
        "should put its issuer in `iss`, the client in `aud` and a future `exp` in the JWT authorization response";

    PAR_CREATED = "par.created", Failure, "RFC9126-2.2", R9126,
        "should answer the pushed authorization request with 201 and a `request_uri`";

    CLOCK_SKEW_ACCEPTED = "par.clock_skew_accepted", Warning, "FAPI2-SP-5.3.2.1", FAPI2_5_3_2_1,
        "should accept a client assertion whose `iat` and `nbf` are a few seconds ahead (clock skew; FAPI 2.0 SP §5.3.2.1 asks up to 10 s, the certification module only warns)";

    RELOAD_TOLERATED = "par.reload_tolerated", Warning, "RFC9126-4", R9126_4,
        "should accept a pushed `request_uri` again while its authorization is not complete (a PSU reloading the page), as RFC 9126 §4 allows";

    REDIRECTED = "authorize.redirected_to_client", Failure, "RFC6749-4.1.2", R4_1_2,
        "should send the PSU back to the client's redirect URI";

    NO_ERROR = "callback.no_error", Failure, "RFC6749-4.1.2.1", R4_1_2,
        "should authorize the request instead of answering with an error";

    CODE = "callback.code_present", Failure, "RFC6749-4.1.2", R4_1_2,
        "should return an authorization `code`";

    STATE = "callback.state_matches", Failure, "RFC6749-4.1.2", R4_1_2,
        "should return the `state` the client sent, unchanged";

    ISS_PRESENT = "callback.iss_present", Warning, "RFC9207-2", R9207,
        "should identify itself with `iss` in the authorization response",
        // FAPI 2.0 SP §5.3.2.2: RFC 9207 `iss` is a shall.
        under: &[(PLAIN_OIDC, NotApplicable), (FAPI2, Judge(Failure))];

    ISS_MATCHES = "callback.iss_matches", Failure, "RFC9207-2", R9207,
        "should send an `iss` identical to its issuer identifier";

    NO_CODE_WITH_ERROR = "callback.no_code_with_error", Failure, "OIDC-CORE-3.1.2.6", OIDC_AUTH_ERROR,
        "should not put a `code` beside the `error` of an authorization error response";

    FRAGMENT = "callback.hybrid_in_fragment", Failure, "OIDC-CORE-3.3.2.5", OIDC_3_3_2_5,
        "should return `code id_token` responses in the fragment, with an `id_token`";

    NO_INTERACTION = "authorize.no_interaction", Failure, "OIDC-CORE-3.1.2.1", OIDC_PROMPT,
        "should answer `prompt=none` without showing any page";

    NO_CONSENT_PROMPT = "consent.not_prompted", Failure, "OIDC-CORE-3.1.2.1", OIDC_PROMPT,
        "should not require a consent prompt when the PSU already granted these scopes";

    EXPECTED_ERROR = "callback.expected_error", Failure, "RFC6749-4.1.2.1", R4_1_2,
        "should refuse the invalid authorization request with the expected error",
        refusal: true;

    ERROR_PAGE = "authorize.error_page", Info, "RFC6749-4.1.2.1", R4_1_2,
        "should tell the PSU about an authorization request it cannot trust on an error page (a person confirms the page)";

    NOT_REDIRECTED = "authorize.not_redirected", Failure, "RFC6749-4.1.2.1", R4_1_2,
        "should not redirect to a redirect URI that is not registered for the client";

    CONSENT_CREATED = "consent.created", Failure, "OBIE-RW-CONSENTS",
        "https://openbankinguk.github.io/read-write-api-site3/v3.1.11/profiles/read-write-data-api-profile.html",
        "should create the intent (201), awaiting authorisation, and return its id";
}
