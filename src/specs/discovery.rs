//! Specs of OpenID Connect Discovery 1.0, RFC 8414, RFC 7517 and FAPI for
//! the provider metadata document and its JWKS.

const DISC_3: &str = "https://openid.net/specs/openid-connect-discovery-1_0.html#ProviderMetadata";
const DISC_4_2: &str =
    "https://openid.net/specs/openid-connect-discovery-1_0.html#ProviderConfigurationResponse";
const DISC_4_3: &str =
    "https://openid.net/specs/openid-connect-discovery-1_0.html#ProviderConfigurationValidation";
const CORE_10_1: &str = "https://openid.net/specs/openid-connect-core-1_0.html#Signing";
const JWK_4: &str = "https://www.rfc-editor.org/rfc/rfc7517#section-4";
const JWA_6: &str = "https://www.rfc-editor.org/rfc/rfc7518#section-6";
const FAPI1_8_6: &str =
    "https://openid.net/specs/openid-financial-api-part-2-1_0.html#algorithm-considerations";
const FAPI1_5_2_2: &str =
    "https://openid.net/specs/openid-financial-api-part-2-1_0.html#authorization-server";
const FAPI2_5_4: &str =
    "https://openid.net/specs/fapi-security-profile-2_0-final.html#name-cryptography-and-secrets";
const FAPI2_5_3_2: &str =
    "https://openid.net/specs/fapi-security-profile-2_0-final.html#name-requirements-for-authorization-servers";

use super::{
    Rule::{Judge, NotApplicable},
    Severity::{Failure, Warning},
    FAPI1, FAPI2, PLAIN_OIDC,
};

specs! {
    /// Every discovery spec, in report order.
    area DISCOVERY;

    STATUS_OK = "discovery.status_ok", Failure, "OIDC-DISC-4.2", DISC_4_2,
        "should answer the provider configuration request with 200 OK";

    CONTENT_TYPE_JSON = "discovery.content_type_json", Failure, "OIDC-DISC-4.2", DISC_4_2,
        "should serve the provider configuration as application/json";

    JSON_OBJECT = "discovery.json_object", Failure, "OIDC-DISC-4.2", DISC_4_2,
        "should return the provider configuration as a JSON object";

    ISSUER_MATCHES = "discovery.issuer_matches", Failure, "OIDC-DISC-4.3", DISC_4_3,
        "should return an `issuer` identical to the URL the configuration was fetched from";

    ISSUER_HTTPS = "discovery.issuer_https", Failure, "OIDC-DISC-3", DISC_3,
        "should use an https `issuer` with no query or fragment";

    AUTHORIZATION_ENDPOINT = "discovery.authorization_endpoint_present", Failure, "OIDC-DISC-3",
        DISC_3,
        "should publish `authorization_endpoint`";

    TOKEN_ENDPOINT = "discovery.token_endpoint_present", Failure, "OIDC-DISC-3", DISC_3,
        "should publish `token_endpoint`";

    JWKS_URI = "discovery.jwks_uri_present", Failure, "OIDC-DISC-3", DISC_3,
        "should publish `jwks_uri`";

    RESPONSE_TYPES = "discovery.response_types_supported_present", Failure, "OIDC-DISC-3", DISC_3,
        "should publish a non-empty `response_types_supported`";

    SUBJECT_TYPES = "discovery.subject_types_supported_present", Failure, "OIDC-DISC-3", DISC_3,
        "should publish `subject_types_supported` with `public` or `pairwise`";

    ID_TOKEN_ALGS = "discovery.id_token_algs_present", Failure, "OIDC-DISC-3", DISC_3,
        "should publish a non-empty `id_token_signing_alg_values_supported`";

    ID_TOKEN_ALG_RS256 = "discovery.id_token_alg_rs256", Warning, "OIDC-DISC-3", DISC_3,
        "should list RS256 in `id_token_signing_alg_values_supported` (FAPI profiles may omit it)",
        // FAPI forbids RS256 for ID tokens.
        under: &[(FAPI1, NotApplicable), (FAPI2, NotApplicable)];

    ID_TOKEN_ALG_FAPI = "discovery.id_token_alg_fapi", Warning, "FAPI1-ADV-8.6", FAPI1_8_6,
        "should offer PS256 or ES256 for ID token signatures",
        under: &[(PLAIN_OIDC, NotApplicable)];

    ENDPOINTS_HTTPS = "discovery.endpoints_https", Failure, "OIDC-DISC-3", DISC_3,
        "should publish every endpoint and `jwks_uri` as an absolute https URL";

    SCOPES_OPENID = "discovery.scopes_include_openid", Failure, "OIDC-DISC-3", DISC_3,
        "should list the `openid` scope in `scopes_supported`";

    RESPONSE_TYPE_CODE = "discovery.response_type_code", Failure, "FAPI1-ADV-5.2.2", FAPI1_5_2_2,
        "should support `code` or `code id_token` in `response_types_supported`",
        // A FAPI 1 clause binds neither a plain OpenID provider nor a FAPI 2 server.
        under: &[(PLAIN_OIDC, NotApplicable), (FAPI2, NotApplicable)];

    GRANT_AUTH_CODE = "discovery.grant_type_authorization_code", Failure, "RFC8414-2",
        "https://www.rfc-editor.org/rfc/rfc8414#section-2",
        "should list `authorization_code` in `grant_types_supported`, if that is published";

    AUTH_METHODS_FAPI = "discovery.token_auth_methods_fapi", Warning, "FAPI2-SP-5.3.2.1",
        FAPI2_5_3_2,
        "should offer `private_key_jwt` or `tls_client_auth` for client authentication",
        // FAPI 2.0 SP §5.3.2.1: private_key_jwt or mTLS is a shall.
        under: &[(PLAIN_OIDC, NotApplicable), (FAPI2, Judge(Failure))];

    PKCE_S256 = "discovery.pkce_s256", Failure, "RFC7636-4.2",
        "https://www.rfc-editor.org/rfc/rfc7636#section-4.2",
        "should list S256 in `code_challenge_methods_supported`",
        // RFC 7636 is optional in OpenID Connect; the OAuth security BCP
        // (RFC 9700 §2.1.1) recommends it.
        under: &[(PLAIN_OIDC, Judge(Warning))];

    PKCE_NO_PLAIN = "discovery.pkce_no_plain", Warning, "FAPI2-SP-5.3.2.2", FAPI2_5_3_2,
        "should not offer the `plain` PKCE method",
        under: &[(PLAIN_OIDC, NotApplicable)];

    ISS_PARAMETER = "discovery.iss_parameter_supported", Warning, "RFC9207-3",
        "https://www.rfc-editor.org/rfc/rfc9207#section-3",
        "should announce `authorization_response_iss_parameter_supported: true`",
        under: &[(PLAIN_OIDC, NotApplicable)];

    PAR_ENDPOINT = "discovery.par_endpoint_present", Warning, "FAPI2-SP-5.3.2.2", FAPI2_5_3_2,
        "should publish `pushed_authorization_request_endpoint` (FAPI 2 requires PAR)",
        // FAPI 2.0 SP §5.3.2.2: PAR is a shall.
        under: &[(PLAIN_OIDC, NotApplicable), (FAPI2, Judge(Failure))];

    /// The JWKS specs, judged (or skipped) together once `jwks_uri` is
    /// fetched; the first says whether it could be read.
    group JWKS_SPECS {
        JWKS_REACHABLE = "discovery.jwks_reachable", Failure, "OIDC-DISC-3", DISC_3,
            "should serve a JSON Web Key Set with a `keys` array at `jwks_uri`";

        JWKS_SIGNING_KEY = "discovery.jwks_signing_key", Failure, "RFC7517-4.2", JWK_4,
            "should publish at least one key usable for signatures (`use` absent or `sig`)";

        JWKS_KID_PRESENT = "discovery.jwks_kid_present", Failure, "OIDC-CORE-10.1", CORE_10_1,
            "should give every key a `kid` when the JWKS holds more than one key";

        JWKS_KID_UNIQUE = "discovery.jwks_kid_unique", Failure, "OIDC-CORE-10.1", CORE_10_1,
            "should give every key in the JWKS a unique `kid`";

        JWKS_NO_PRIVATE = "discovery.jwks_no_private_material", Failure, "RFC7518-6", JWA_6,
            "should publish no private key material (`d`, `p`, `q`, `dp`, `dq`, `qi`, `k`) in the JWKS";

        JWKS_RSA_SIZE = "discovery.jwks_rsa_2048", Failure, "FAPI2-SP-5.4", FAPI2_5_4,
            "should publish RSA keys of at least 2048 bits";

        JWKS_ALG_KTY = "discovery.jwks_alg_matches_kty", Failure, "RFC7517-4.4", JWK_4,
            "should declare for each key an `alg` that fits its `kty`";

        JWKS_COVERS_ALGS = "discovery.jwks_covers_id_token_algs", Failure, "OIDC-CORE-10.1",
            CORE_10_1,
            "should hold a key for every asymmetric alg in `id_token_signing_alg_values_supported`";
    }
}
