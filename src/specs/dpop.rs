//! Specs of DPoP (RFC 9449): sender-constrained tokens by proof of
//! possession, as FAPI 2.0 SP §5.3.2.1 allows in place of mTLS.

const R4_3: &str = "https://www.rfc-editor.org/rfc/rfc9449#section-4.3";
const R5: &str = "https://www.rfc-editor.org/rfc/rfc9449#section-5";
const R7_1: &str = "https://www.rfc-editor.org/rfc/rfc9449#section-7.1";
const R8: &str = "https://www.rfc-editor.org/rfc/rfc9449#section-8";

specs! {
    /// Every DPoP spec.
    area DPOP;

    TOKEN_BOUND = "dpop.token_bound", Failure, "RFC9449-5", R5,
        "should answer a token request with a valid DPoP proof with a DPoP-bound token (`token_type: DPoP`)";

    TOKEN_PROOF_CHECKED = "dpop.token_proof_checked", Failure, "RFC9449-4.3", R4_3,
        "should refuse a token request whose DPoP proof does not match the request, with `invalid_dpop_proof`",
        refusal: true;

    RESOURCE_PROOF_REQUIRED = "dpop.resource_proof_required", Failure, "RFC9449-7.1", R7_1,
        "should refuse a DPoP-bound access token presented without a valid proof for that request",
        refusal: true;

    NONCE_SUPPLIED = "dpop.nonce_supplied", Failure, "RFC9449-8", R8,
        "should supply the DPoP nonce it demands (`use_dpop_nonce`) in exactly one non-empty `DPoP-Nonce` header of NQCHARs";

    NONCE_CHECKED = "dpop.nonce_checked", Failure, "RFC9449-8", R8,
        "should refuse a DPoP proof whose `nonce` it did not supply, once it demands nonces",
        refusal: true;
}
