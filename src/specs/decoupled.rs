//! Specs of decoupled authorization: CIBA poll mode and the Idura headless
//! flow (its CIBA-like request and polling).

const CIBA_7_3: &str = "https://openid.net/specs/openid-client-initiated-backchannel-authentication-core-1_0.html#auth_response";
const CIBA_11: &str = "https://openid.net/specs/openid-client-initiated-backchannel-authentication-core-1_0.html#token_error_response";
const CIBA_10_1: &str = "https://openid.net/specs/openid-client-initiated-backchannel-authentication-core-1_0.html#token_request";

specs! {
    /// Every decoupled spec.
    area DECOUPLED;

    ACCEPTED = "decoupled.request_accepted", Failure, "CIBA-7.3", CIBA_7_3,
        "should accept the decoupled authentication request with 200 and a request id";

    EXPIRES_IN = "decoupled.expires_in", Failure, "CIBA-7.3", CIBA_7_3,
        "should say how long the request id is valid (`expires_in`)";

    PENDING = "decoupled.pending_error", Failure, "CIBA-11", CIBA_11,
        "should answer polls before the PSU decides with 400 `authorization_pending` (or `slow_down`)";

    COMPLETES = "decoupled.completes", Failure, "CIBA-10.1", CIBA_10_1,
        "should issue tokens once the PSU approves";

    SLOW_DOWN = "decoupled.slow_down", Warning, "CIBA-11", CIBA_11,
        "should answer polls faster than the interval with `slow_down`";

    EXPECTED_ERROR = "decoupled.expected_error", Failure, "CIBA-11", CIBA_11,
        "should end the request with the expected error (the PSU refused, or the request expired)",
        refusal: true;
}
