//! Provider metadata and JWKS, with the discovery and JWKS faults.

use super::faults::Fault::*;
use super::fields::set;
use super::state::Bank;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Map, Value};
use std::sync::Arc;

/// The metadata a conformant bank publishes.
pub(super) fn metadata(bank: &Bank) -> Value {
    let i = &bank.issuer;
    json!({
        "issuer": i,
        "authorization_endpoint": format!("{i}/authorize"),
        "token_endpoint": format!("{i}/token"),
        "userinfo_endpoint": format!("{i}/userinfo"),
        "jwks_uri": format!("{i}/jwks"),
        "pushed_authorization_request_endpoint": format!("{i}/par"),
        "introspection_endpoint": format!("{i}/introspect"),
        "revocation_endpoint": format!("{i}/revoke"),
        "backchannel_authentication_endpoint": format!("{i}/bc-authorize"),
        "scopes_supported": ["openid", "accounts", "payments", "offline_access", "profile", "email", "address", "phone"],
        "response_types_supported": ["code", "code id_token"],
        "response_modes_supported": crate::bank::oauth::authorize::RESPONSE_MODES,
        "grant_types_supported": [
            "authorization_code", "client_credentials", "refresh_token",
            "urn:ietf:params:oauth:grant-type:jwt-bearer",
            "urn:openid:params:grant-type:ciba", "urn:grn:params:grant-type:headless"
        ],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["PS256", "ES256", "RS256"],
        // `none` for the clients registered to send unsigned request objects
        // (the Ozone style); the others must sign.
        "request_object_signing_alg_values_supported": ["PS256", "ES256", "RS256", "none"],
        "token_endpoint_auth_methods_supported": ["private_key_jwt", "tls_client_auth", "client_secret_basic", "client_secret_post"],
        "token_endpoint_auth_signing_alg_values_supported": ["PS256", "ES256", "RS256"],
        "code_challenge_methods_supported": ["S256"],
        "authorization_details_types_supported": ["account_information", "payment_initiation"],
        "claims_parameter_supported": true,
        "request_parameter_supported": true,
        "request_uri_parameter_supported": false,
        "authorization_response_iss_parameter_supported": true,
        "tls_client_certificate_bound_access_tokens": true,
        "dpop_signing_alg_values_supported": crate::jose::dpop::DPOP_ALGS,
        "backchannel_token_delivery_modes_supported": ["poll"],
        "claims_supported": ["sub", "iss", "aud", "acr", "auth_time", "openbanking_intent_id", "authorizationId",
            "name", "given_name", "family_name", "preferred_username", "updated_at", "email", "email_verified",
            "address", "phone_number", "phone_number_verified"],
        "acr_values_supported": ["urn:openbanking:psd2:sca", "urn:openbanking:psd2:ca"]
    })
}

/// Applies the metadata faults that are on.
fn apply_faults(bank: &Bank, obj: &mut Map<String, Value>) {
    let f = &bank.faults;
    if f.has(DiscoveryIssuerMismatch) {
        obj.insert(
            "issuer".into(),
            json!(format!("{}/other-tenant", bank.issuer)),
        );
    }
    if f.has(DiscoveryIssuerQuery) {
        obj.insert("issuer".into(), json!(format!("{}?tenant=1", bank.issuer)));
    }
    let removals = [
        (DiscoveryNoAuthorizationEndpoint, "authorization_endpoint"),
        (DiscoveryNoTokenEndpoint, "token_endpoint"),
        (DiscoveryNoJwksUri, "jwks_uri"),
        (DiscoveryNoResponseTypes, "response_types_supported"),
        (DiscoveryNoSubjectTypes, "subject_types_supported"),
        (
            DiscoveryNoIdTokenAlgs,
            "id_token_signing_alg_values_supported",
        ),
        (
            DiscoveryNoIssParameter,
            "authorization_response_iss_parameter_supported",
        ),
        (
            DiscoveryNoParEndpoint,
            "pushed_authorization_request_endpoint",
        ),
    ];
    for (fault, key) in removals {
        if f.has(fault) {
            obj.remove(key);
        }
    }
    let replacements = [
        (
            DiscoveryNoRs256,
            "id_token_signing_alg_values_supported",
            json!(["PS256", "ES256"]),
        ),
        (
            DiscoveryRs256Only,
            "id_token_signing_alg_values_supported",
            json!(["RS256"]),
        ),
        (
            DiscoveryUnknownAlgAdvertised,
            "id_token_signing_alg_values_supported",
            json!(["PS256", "ES256", "RS256", "ES384"]),
        ),
        (
            DiscoveryHttpEndpoint,
            "userinfo_endpoint",
            json!(format!(
                "{}/userinfo",
                bank.issuer.replacen("https://", "http://", 1)
            )),
        ),
        (
            DiscoveryNoOpenidScope,
            "scopes_supported",
            json!(["accounts", "payments"]),
        ),
        (
            DiscoveryNoCodeResponseType,
            "response_types_supported",
            json!(["id_token"]),
        ),
        (
            DiscoveryNoAuthCodeGrant,
            "grant_types_supported",
            json!(["client_credentials", "refresh_token"]),
        ),
        (
            DiscoverySecretAuthOnly,
            "token_endpoint_auth_methods_supported",
            json!(["client_secret_basic", "client_secret_post"]),
        ),
        (
            DiscoveryNoPkceS256,
            "code_challenge_methods_supported",
            json!(["plain"]),
        ),
        (
            DiscoveryPkcePlainOffered,
            "code_challenge_methods_supported",
            json!(["S256", "plain"]),
        ),
    ];
    for (fault, key, value) in replacements {
        if f.has(fault) {
            obj.insert(key.into(), value);
        }
    }
}

/// `GET /.well-known/openid-configuration`
pub(super) async fn configuration(State(bank): State<Arc<Bank>>) -> Response {
    if bank.faults.has(DiscoveryStatusError) {
        return (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response();
    }
    let mut m = metadata(&bank);
    if let Some(obj) = m.as_object_mut() {
        apply_faults(&bank, obj);
    }
    let mut body = serde_json::to_string_pretty(&m).unwrap_or_default();
    if bank.faults.has(DiscoveryNotJson) {
        body.truncate(body.len() / 2);
    }
    let content_type = if bank.faults.has(DiscoveryWrongContentType) {
        "text/plain"
    } else {
        "application/json"
    };
    ([(header::CONTENT_TYPE, content_type)], body).into_response()
}

/// `GET /jwks`
pub(super) async fn jwks(State(bank): State<Arc<Bank>>) -> Response {
    if bank.faults.has(JwksUnreachable) {
        return (StatusCode::NOT_FOUND, "not found").into_response();
    }
    let mut keys: Vec<Value> = bank.keys.all().iter().map(|k| k.public_jwk()).collect();
    let f = &bank.faults;
    if f.has(JwksEmpty) {
        keys.clear();
    }
    for key in keys.iter_mut().filter_map(Value::as_object_mut) {
        if f.has(JwksEncryptionOnly) {
            key.insert("use".into(), json!("enc"));
            key.remove("alg");
        }
        if f.has(JwksMissingKid) {
            key.remove("kid");
        }
        if f.has(JwksAlgMismatch) && key.get("kty") == Some(&json!("EC")) {
            key.insert("alg".into(), json!("RS256"));
        }
    }
    if f.has(JwksDuplicateKid) {
        if let [first, second, ..] = keys.as_mut_slice() {
            let first_kid = first.get("kid").cloned().unwrap_or_default();
            set(second, "kid", first_kid);
        }
    }
    if f.has(JwksPrivateMaterial) {
        if let Some(first) = keys.first_mut() {
            *first = Value::Object(bank.keys.ps256.private.as_ref().clone());
            set(first, "kid", json!(bank.keys.ps256.kid));
        }
    }
    if f.has(JwksSmallRsaKey) {
        if let Some(small) = &bank.small_rsa_jwk {
            keys.push(small.clone());
        }
    }
    axum::Json(json!({ "keys": keys })).into_response()
}
