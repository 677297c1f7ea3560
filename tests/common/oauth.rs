//! Plain-reqwest OAuth calls to the reference bank, for tests that must
//! not go through probity's steps.

use super::{http, location_params, pkce};
use probity::bank::clients::{JWT, POST};
use probity::bank::{RunningBank, REDIRECT_URI};
use serde_json::{json, Map, Value};
use std::collections::HashMap;

/// Form fields.
pub type Form = Vec<(&'static str, String)>;

/// A token request authenticated the way `client` is registered.
pub async fn token(bank: &RunningBank, client: &str, form: Form) -> (u16, Value) {
    let mut req = http(bank)
        .post(format!("{}/token", bank.issuer))
        .form(&form);
    if let Some(secret) = bank.client_secret(client) {
        req = if client == POST {
            http(bank).post(format!("{}/token", bank.issuer)).form(
                &[
                    form.clone(),
                    vec![
                        ("client_id", client.into()),
                        ("client_secret", secret.into()),
                    ],
                ]
                .concat(),
            )
        } else {
            req.basic_auth(client, Some(secret))
        };
    } else if client == JWT {
        req = http(bank).post(format!("{}/token", bank.issuer)).form(
            &[
                form.clone(),
                assertion(
                    bank,
                    JWT,
                    &format!("{}/token", bank.issuer),
                    &super::rand_suffix(),
                ),
            ]
            .concat(),
        );
    } else {
        req = http(bank)
            .post(format!("{}/token", bank.issuer))
            .form(&[form.clone(), vec![("client_id", client.into())]].concat());
    }
    let r = req.send().await.unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

/// A private_key_jwt client assertion for `client`.
pub fn assertion(bank: &RunningBank, client: &str, aud: &str, jti: &str) -> Form {
    let key = bank.client_key(client).unwrap();
    let now = chrono::Utc::now().timestamp();
    let claims: Map<String, Value> = serde_json::from_value(
        json!({"iss": client, "sub": client, "aud": aud, "jti": jti, "iat": now, "exp": now + 60}),
    )
    .unwrap();
    let jwt = probity::jose::sign_jwt(&claims, "ES256", Some((&key, key.key_id().unwrap())), None)
        .unwrap();
    vec![
        (
            "client_assertion_type",
            "urn:ietf:params:oauth:client-assertion-type:jwt-bearer".into(),
        ),
        ("client_assertion", jwt),
    ]
}

/// `GET /authorize` with these parameters (redirects not followed).
pub async fn authorize(bank: &RunningBank, params: &[(&str, &str)]) -> reqwest::Response {
    http(bank)
        .get(format!("{}/authorize", bank.issuer))
        .query(params)
        .send()
        .await
        .unwrap()
}

/// Runs a headless authorization for `client` and returns (code, params, verifier).
pub async fn headless_code(
    bank: &RunningBank,
    client: &str,
    response_type: &str,
) -> (HashMap<String, String>, String) {
    let (verifier, challenge) = pkce();
    let r = authorize(
        bank,
        &[
            ("client_id", client),
            ("redirect_uri", REDIRECT_URI),
            ("response_type", response_type),
            ("scope", "openid accounts"),
            ("state", "st-1"),
            ("nonce", "n-1"),
            ("code_challenge", &challenge),
            ("code_challenge_method", "S256"),
        ],
    )
    .await;
    assert_eq!(r.status(), 302, "{:?}", r.text().await);
    (location_params(&r), verifier)
}

/// The authorization_code form fields.
pub fn code_form(code: &str, verifier: &str) -> Form {
    vec![
        ("grant_type", "authorization_code".into()),
        ("code", code.into()),
        ("redirect_uri", REDIRECT_URI.into()),
        ("code_verifier", verifier.into()),
    ]
}

/// A client credentials access token for `client` with `scope`.
pub async fn client_token(bank: &RunningBank, client: &str, scope: &str) -> String {
    let form = vec![
        ("grant_type", "client_credentials".into()),
        ("scope", scope.to_string()),
    ];
    let (status, t) = token(bank, client, form).await;
    assert_eq!(status, 200, "{t}");
    t["access_token"].as_str().unwrap().to_string()
}

/// A headless authorization of the basic client for `scope` that names an
/// intent in its ID-token `claims` (`claim` = `value`), then the code
/// exchange; returns the token response.
pub async fn headless_tokens(bank: &RunningBank, scope: &str, claim: &str, value: &str) -> Value {
    let (verifier, challenge) = pkce();
    let claims = json!({"id_token": {claim: {"value": value, "essential": true}}});
    let r = http(bank)
        .get(format!("{}/authorize", bank.issuer))
        .query(&[
            ("client_id", probity::bank::clients::BASIC),
            ("redirect_uri", REDIRECT_URI),
            ("response_type", "code"),
            ("scope", scope),
            ("state", "s"),
            ("code_challenge", challenge.as_str()),
            ("code_challenge_method", "S256"),
            ("claims", claims.to_string().as_str()),
        ])
        .send()
        .await
        .unwrap();
    let code = location_params(&r)["code"].clone();
    let form = code_form(&code, &verifier);
    let (status, tokens) = token(bank, probity::bank::clients::BASIC, form).await;
    assert_eq!(status, 200, "{tokens}");
    tokens
}

/// The bank's published JWKS keys.
pub async fn jwks(bank: &RunningBank) -> Vec<Value> {
    let v: Value = http(bank)
        .get(format!("{}/jwks", bank.issuer))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    v["keys"].as_array().unwrap().clone()
}
