//! Specs of payment and account APIs: signed requests and responses,
//! idempotency, status progression (OBIE Read/Write, OP PSD2).

const SIGNING: &str = "https://openbankinguk.github.io/read-write-api-site3/v3.1.11/profiles/read-write-data-api-profile.html#message-signing";
const IDEMPOTENCY: &str = "https://openbankinguk.github.io/read-write-api-site3/v3.1.11/profiles/read-write-data-api-profile.html#idempotency";
/// OP PSD2 Payments workflow (seed document); no stable public anchor.
const OP_PIS: &str = "https://op-developer.fi/";
const PIS: &str = "https://openbankinguk.github.io/read-write-api-site3/v3.1.11/resources-and-data-models/pisp/domestic-payments.html";

specs! {
    /// Every payment spec.
    area PAYMENT;

    ACCEPTED = "payment.accepted", Failure, "OBIE-RW-PIS", PIS,
        "should accept the signed request with the expected status";

    RESPONSE_SIGNED = "payment.response_signed", Failure, "OBIE-RW-SIGNING", SIGNING,
        "should sign the response body with a detached JWS in `x-jws-signature`";

    RESPONSE_SIGNATURE_VALID = "payment.response_signature_valid", Failure, "OBIE-RW-SIGNING",
        SIGNING,
        "should sign responses with a key published in its JWKS, over the exact body";

    IDEMPOTENT = "payment.idempotent", Failure, "OBIE-RW-IDEMPOTENCY", IDEMPOTENCY,
        "should answer a repeated request with the same `x-idempotency-key` with the same resource";

    TERMINAL_STATUS = "payment.terminal_status", Failure, "OBIE-RW-PIS", PIS,
        "should move the payment to one of the expected terminal statuses in time";

    CONSENT_BOUND = "payment.consent_bound", Failure, "OBIE-RW-PIS", PIS,
        "should refuse a payment under a consent the access token was not authorised for",
        refusal: true;

    STILL_PENDING = "payment.settled_in_time", Warning, "OBIE-RW-PIS", PIS,
        "should settle the payment before the suite's time limit (no clause sets one: a warning for the assessor)";

    BUNDLED = "payment.bundled", Failure, "OP-PSD2-PIS §3 bundles", OP_PIS,
        "should add a payment created with an `authorizationId` to that bundle";
}
