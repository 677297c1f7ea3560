//! The reference bank's OAuth endpoints, driven with plain reqwest (not
//! through probity's steps), including error paths.

mod common;

use base64::Engine;
use common::oauth::{
    assertion, authorize, client_token, code_form, headless_code, jwks, token, Form,
};
use common::{http, location_params, pkce};
use probity::bank::clients::{BASIC, JWT, POST, PUBLIC};
use probity::bank::{Fault, RunningBank, REDIRECT_URI};
use serde_json::{json, Map, Value};
use std::collections::HashMap;

/// Verifies an ID token against the bank's JWKS with josekit directly.
async fn verify_id_token(bank: &RunningBank, token: &str) -> Result<Map<String, Value>, String> {
    let (header, _) = probity::jose::decode_unverified(token).map_err(|e| e.to_string())?;
    let kid = header["kid"].as_str().unwrap();
    let key = jwks(bank)
        .await
        .into_iter()
        .find(|k| k["kid"] == kid)
        .ok_or("no key")?;
    let jwk = josekit::jwk::Jwk::from_map(key.as_object().unwrap().clone()).unwrap();
    let verifier = josekit::jws::PS256.verifier_from_jwk(&jwk).unwrap();
    josekit::jwt::decode_with_verifier(token, &verifier)
        .map(|(p, _)| p.claims_set().clone())
        .map_err(|e| e.to_string())
}

fn half_sha256(v: &str) -> String {
    use sha2::Digest;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(&sha2::Sha256::digest(v.as_bytes())[..16])
}

#[tokio::test]
async fn client_credentials_with_each_secret_method_and_errors() {
    let bank = common::bank(&[]).await;
    for client in [BASIC, POST, JWT] {
        let (status, body) = token(
            &bank,
            client,
            vec![
                ("grant_type", "client_credentials".into()),
                ("scope", "accounts".into()),
            ],
        )
        .await;
        assert_eq!(status, 200, "{client}: {body}");
        assert_eq!(body["token_type"], "Bearer");
        assert!(body.get("refresh_token").is_none());
    }
    let r = http(&bank)
        .post(format!("{}/token", bank.issuer))
        .basic_auth(BASIC, Some("wrong"))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "invalid_client");
    let (status, body) = token(&bank, BASIC, vec![("grant_type", "password".into())]).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("unsupported_grant_type"))
    );
    let (status, body) = token(
        &bank,
        BASIC,
        vec![
            ("grant_type", "client_credentials".into()),
            ("scope", "openid".into()),
        ],
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_scope"))
    );
}

#[tokio::test]
async fn private_key_jwt_rejects_replayed_jti_and_wrong_aud() {
    let bank = common::bank(&[]).await;
    let url = format!("{}/token", bank.issuer);
    let a = assertion(&bank, JWT, &url, "jti-1");
    let send = |form: Form| {
        http(&bank)
            .post(&url)
            .form(&[vec![("grant_type", "client_credentials".to_string())], form].concat())
            .send()
    };
    assert_eq!(send(a.clone()).await.unwrap().status(), 200);
    let replay = send(a).await.unwrap();
    assert_eq!(replay.status(), 401);
    assert!(replay.text().await.unwrap().contains("jti was used before"));
    let wrong_aud = send(assertion(&bank, JWT, "https://elsewhere.example", "jti-2"))
        .await
        .unwrap();
    assert_eq!(wrong_aud.status(), 401);
    assert!(wrong_aud.text().await.unwrap().contains("not this server"));
}

#[tokio::test]
async fn headless_code_flow_with_pkce_gives_verified_tokens() {
    let bank = common::bank(&[]).await;
    let (params, verifier) = headless_code(&bank, BASIC, "code").await;
    assert_eq!(params["state"], "st-1");
    assert_eq!(params["iss"], bank.issuer);
    let (status, body) = token(&bank, BASIC, code_form(&params["code"], &verifier)).await;
    assert_eq!(status, 200, "{body}");
    let claims = verify_id_token(&bank, body["id_token"].as_str().unwrap())
        .await
        .unwrap();
    assert_eq!(claims["aud"], BASIC);
    assert_eq!(claims["nonce"], "n-1");
    assert_eq!(
        claims["at_hash"],
        half_sha256(body["access_token"].as_str().unwrap())
    );
    // The code is single-use.
    let (status, again) = token(&bank, BASIC, code_form(&params["code"], &verifier)).await;
    assert_eq!(
        (status, again["error"].as_str()),
        (400, Some("invalid_grant"))
    );
}

#[tokio::test]
async fn pkce_and_redirect_uri_are_enforced() {
    let bank = common::bank(&[]).await;
    let (params, _) = headless_code(&bank, BASIC, "code").await;
    let (status, body) = token(
        &bank,
        BASIC,
        code_form(
            &params["code"],
            "not-the-verifier-at-all-0123456789-abcdefghijk",
        ),
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant")),
        "{body}"
    );
    let (params, verifier) = headless_code(&bank, BASIC, "code").await;
    let mut form = code_form(&params["code"], &verifier);
    form[2].1 = "https://evil.example/cb".into();
    let (status, body) = token(&bank, BASIC, form).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    let (params, _) = headless_code(&bank, BASIC, "code").await;
    let form = vec![
        ("grant_type", "authorization_code".into()),
        ("code", params["code"].clone()),
        ("redirect_uri", REDIRECT_URI.into()),
    ];
    let (status, body) = token(&bank, BASIC, form).await;
    assert!(
        status == 400
            && body["error_description"]
                .as_str()
                .unwrap()
                .contains("code_verifier is missing"),
        "{body}"
    );
}

#[tokio::test]
async fn code_id_token_answers_in_the_fragment_with_c_hash_and_s_hash() {
    let bank = common::bank(&[]).await;
    let (verifier, challenge) = pkce();
    let r = authorize(
        &bank,
        &[
            ("client_id", BASIC),
            ("redirect_uri", REDIRECT_URI),
            ("response_type", "code id_token"),
            ("scope", "openid accounts"),
            ("state", "st-2"),
            ("nonce", "n-2"),
            ("code_challenge", &challenge),
            ("code_challenge_method", "S256"),
        ],
    )
    .await;
    let loc = r.headers()["location"].to_str().unwrap().to_string();
    assert!(loc.starts_with(&format!("{REDIRECT_URI}#")), "{loc}");
    let params = location_params(&r);
    let claims = verify_id_token(&bank, &params["id_token"]).await.unwrap();
    assert_eq!(claims["c_hash"], half_sha256(&params["code"]));
    assert_eq!(claims["s_hash"], half_sha256("st-2"));
    assert_eq!(
        token(&bank, BASIC, code_form(&params["code"], &verifier))
            .await
            .0,
        200
    );
}

fn request_object(bank: &RunningBank, client: &str, alg: &str, extra: Value) -> String {
    let now = chrono::Utc::now().timestamp();
    let mut claims: Map<String, Value> = serde_json::from_value(json!({
        "iss": client, "aud": bank.issuer, "client_id": client, "redirect_uri": REDIRECT_URI,
        "response_type": "code", "scope": "openid accounts", "state": "ro-state", "nonce": "ro-nonce", "exp": now + 300,
        "claims": {"id_token": {"openbanking_intent_id": {"essential": true, "value": "intent-123"}}}
    })).unwrap();
    claims.extend(extra.as_object().unwrap().clone());
    let key = bank.client_key(client).unwrap();
    probity::jose::sign_jwt(&claims, alg, Some((&key, key.key_id().unwrap())), None).unwrap()
}

#[tokio::test]
async fn request_objects_signed_unsigned_and_expired() {
    let bank = common::bank(&[]).await;
    let signed = request_object(&bank, JWT, "ES256", json!({}));
    let r = authorize(
        &bank,
        &[
            ("client_id", JWT),
            ("request", &signed),
            ("response_type", "code"),
            ("scope", "openid"),
        ],
    )
    .await;
    let p = location_params(&r);
    assert_eq!(p["state"], "ro-state", "{p:?}");
    let form = vec![
        ("grant_type", "authorization_code".into()),
        ("code", p["code"].clone()),
        ("redirect_uri", REDIRECT_URI.into()),
    ];
    let (status, body) = token(&bank, JWT, form).await;
    assert_eq!(status, 200, "{body}");
    let claims = verify_id_token(&bank, body["id_token"].as_str().unwrap())
        .await
        .unwrap();
    assert_eq!(claims["openbanking_intent_id"], "intent-123");

    let unsigned = request_object(&bank, BASIC, "none", json!({}));
    assert!(location_params(
        &authorize(&bank, &[("client_id", BASIC), ("request", &unsigned)]).await
    )
    .contains_key("code"));
    let unsigned_post = request_object(&bank, POST, "none", json!({}));
    let p = location_params(
        &authorize(&bank, &[("client_id", POST), ("request", &unsigned_post)]).await,
    );
    assert_eq!(p["error"], "invalid_request_object");

    let expired = request_object(
        &bank,
        JWT,
        "ES256",
        json!({"exp": chrono::Utc::now().timestamp() - 10}),
    );
    let p = location_params(&authorize(&bank, &[("client_id", JWT), ("request", &expired)]).await);
    assert_eq!(
        (p["error"].as_str(), p["error_description"].as_str()),
        ("invalid_request_object", "request object expired")
    );
}

#[tokio::test]
async fn par_request_uri_is_single_use() {
    let bank = common::bank(&[]).await;
    let (_, challenge) = pkce();
    let mut form = assertion(&bank, JWT, &format!("{}/par", bank.issuer), "par-jti");
    form.extend([
        ("response_type", "code".into()),
        ("redirect_uri", REDIRECT_URI.into()),
        ("scope", "openid accounts".into()),
        ("state", "par-state".into()),
        ("code_challenge", challenge),
        ("code_challenge_method", "S256".into()),
    ]);
    let r = http(&bank)
        .post(format!("{}/par", bank.issuer))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let body: Value = r.json().await.unwrap();
    let uri = body["request_uri"].as_str().unwrap();
    assert!(uri.starts_with("urn:ietf:params:oauth:request_uri:"));
    let first =
        location_params(&authorize(&bank, &[("client_id", JWT), ("request_uri", uri)]).await);
    assert!(
        first.contains_key("code") && first["state"] == "par-state",
        "{first:?}"
    );
    let second =
        location_params(&authorize(&bank, &[("client_id", JWT), ("request_uri", uri)]).await);
    assert_eq!(second["error"], "invalid_request_uri");
    // PAR authenticates the client.
    let r = http(&bank)
        .post(format!("{}/par", bank.issuer))
        .form(&[("client_id", JWT), ("response_type", "code")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
}

/// Drives the interactive pages: returns (pages seen, callback params).
async fn interactive(
    bank: &RunningBank,
    cookie: &mut Option<String>,
    decision: &str,
) -> (Vec<&'static str>, HashMap<String, String>) {
    let (_, challenge) = pkce();
    let client = http(bank);
    let mut pages = Vec::new();
    let get = |url: String, cookie: &Option<String>| {
        let mut b = client.get(url);
        if let Some(c) = cookie.as_ref() {
            b = b.header("cookie", c.clone());
        }
        b
    };
    let mut r = get(format!("{}/authorize", bank.issuer), cookie)
        .query(&[
            ("client_id", PUBLIC),
            ("redirect_uri", REDIRECT_URI),
            ("response_type", "code"),
            ("scope", "openid accounts"),
            ("state", "s"),
            ("code_challenge", &challenge),
            ("code_challenge_method", "S256"),
        ])
        .send()
        .await
        .unwrap();
    loop {
        assert_eq!(r.status(), 302, "{:?}", r.text().await);
        let loc = r.headers()["location"].to_str().unwrap().to_string();
        if loc.starts_with(REDIRECT_URI) {
            return (pages, location_params(&r));
        }
        let interaction = url::Url::parse(&format!("{}{loc}", bank.issuer))
            .unwrap()
            .query_pairs()
            .find(|(k, _)| k == "interaction")
            .unwrap()
            .1
            .into_owned();
        let page = get(format!("{}{loc}", bank.issuer), cookie)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let mut post = client.post(format!("{}{}", bank.issuer, loc.split('?').next().unwrap()));
        if let Some(c) = cookie.as_ref() {
            post = post.header("cookie", c.clone());
        }
        r = if loc.starts_with("/login") {
            assert!(page.contains("id=\"login-form\""));
            pages.push("login");
            post.form(&[
                ("interaction", interaction.as_str()),
                ("username", "alice"),
                ("password", "alice-password"),
            ])
            .send()
            .await
            .unwrap()
        } else {
            assert!(page.contains("id=\"consent-form\"") && page.contains("<li>accounts</li>"));
            pages.push("consent");
            post.form(&[
                ("interaction", interaction.as_str()),
                ("decision", decision),
            ])
            .send()
            .await
            .unwrap()
        };
        if let Some(sc) = r.headers().get("set-cookie") {
            *cookie = Some(sc.to_str().unwrap().split(';').next().unwrap().to_string());
        }
    }
}

#[tokio::test]
async fn interactive_consent_is_remembered_for_the_same_scopes() {
    let bank = common::bank(&[]).await;
    let mut cookie = None;
    let (pages, params) = interactive(&bank, &mut cookie, "approve").await;
    assert_eq!(pages, ["login", "consent"]);
    assert!(params.contains_key("code"));
    let (pages, params) = interactive(&bank, &mut cookie, "approve").await;
    assert_eq!(
        pages,
        Vec::<&str>::new(),
        "logged in and consented: straight back"
    );
    assert!(params.contains_key("code"));
    let (pages, _) = interactive(&bank, &mut None, "approve").await;
    assert_eq!(
        pages,
        ["login"],
        "a new session logs in again but is not asked for consent"
    );
}

#[tokio::test]
async fn denial_and_wrong_password() {
    let bank = common::bank(&[]).await;
    let (pages, params) = interactive(&bank, &mut None, "deny").await;
    assert_eq!(pages, ["login", "consent"]);
    assert_eq!(params["error"], "access_denied");
    let r = http(&bank)
        .get(format!("{}/authorize", bank.issuer))
        .query(&[
            ("client_id", PUBLIC),
            ("redirect_uri", REDIRECT_URI),
            ("response_type", "code"),
            ("scope", "openid"),
            ("code_challenge", "x".repeat(43).as_str()),
            ("code_challenge_method", "S256"),
        ])
        .send()
        .await
        .unwrap();
    let loc = r.headers()["location"].to_str().unwrap().to_string();
    let interaction = loc.split("interaction=").nth(1).unwrap().to_string();
    let r = http(&bank)
        .post(format!("{}/login", bank.issuer))
        .form(&[
            ("interaction", interaction.as_str()),
            ("username", "alice"),
            ("password", "nope"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert!(r
        .text()
        .await
        .unwrap()
        .contains("Wrong username or password"));
}

#[tokio::test]
async fn public_clients_must_use_pkce_and_unknown_redirects_get_an_error_page() {
    let bank = common::bank(&[]).await;
    let p = location_params(
        &authorize(
            &bank,
            &[
                ("client_id", PUBLIC),
                ("redirect_uri", REDIRECT_URI),
                ("response_type", "code"),
                ("scope", "openid"),
                ("state", "x"),
            ],
        )
        .await,
    );
    assert_eq!(p["error"], "invalid_request");
    let r = authorize(
        &bank,
        &[
            ("client_id", BASIC),
            ("redirect_uri", "https://evil.example/cb"),
            ("response_type", "code"),
            ("scope", "openid"),
        ],
    )
    .await;
    assert_eq!(r.status(), 400);
    assert!(r.headers().get("location").is_none());
    let p = location_params(
        &authorize(
            &bank,
            &[
                ("client_id", BASIC),
                ("redirect_uri", REDIRECT_URI),
                ("response_type", "token"),
                ("scope", "openid"),
            ],
        )
        .await,
    );
    assert_eq!(p["error"], "unsupported_response_type");
}

#[tokio::test]
async fn refresh_tokens_rotate_and_revoked_tokens_die() {
    let bank = common::bank(&[]).await;
    let (params, verifier) = headless_code(&bank, BASIC, "code").await;
    let (_, body) = token(&bank, BASIC, code_form(&params["code"], &verifier)).await;
    let rt = body["refresh_token"].as_str().unwrap().to_string();
    let (status, refreshed) = token(
        &bank,
        BASIC,
        vec![
            ("grant_type", "refresh_token".into()),
            ("refresh_token", rt.clone()),
        ],
    )
    .await;
    assert_eq!(status, 200);
    assert_ne!(refreshed["refresh_token"], rt);
    let (status, body) = token(
        &bank,
        BASIC,
        vec![
            ("grant_type", "refresh_token".into()),
            ("refresh_token", rt),
        ],
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );

    let at = refreshed["access_token"].as_str().unwrap();
    let ui = http(&bank)
        .get(format!("{}/userinfo", bank.issuer))
        .bearer_auth(at)
        .send()
        .await
        .unwrap();
    assert_eq!(ui.status(), 200);
    assert_eq!(ui.json::<Value>().await.unwrap()["sub"], "psu-alice");
    let intro = |t: String| {
        http(&bank)
            .post(format!("{}/introspect", bank.issuer))
            .basic_auth(BASIC, bank.client_secret(BASIC))
            .form(&[("token", t)])
            .send()
    };
    assert_eq!(
        intro(at.into())
            .await
            .unwrap()
            .json::<Value>()
            .await
            .unwrap()["active"],
        true
    );
    let rv = http(&bank)
        .post(format!("{}/revoke", bank.issuer))
        .basic_auth(BASIC, bank.client_secret(BASIC))
        .form(&[("token", at)])
        .send()
        .await
        .unwrap();
    assert_eq!(rv.status(), 200);
    assert_eq!(
        intro(at.into())
            .await
            .unwrap()
            .json::<Value>()
            .await
            .unwrap()["active"],
        false
    );
    let ui = http(&bank)
        .get(format!("{}/userinfo", bank.issuer))
        .bearer_auth(at)
        .send()
        .await
        .unwrap();
    assert_eq!(ui.status(), 401);
    let noauth = http(&bank)
        .post(format!("{}/introspect", bank.issuer))
        .form(&[("token", at)])
        .send()
        .await
        .unwrap();
    assert_eq!(noauth.status(), 401);
}

#[tokio::test]
async fn userinfo_answers_post_with_the_token_in_the_header_or_the_body_but_not_both() {
    let bank = common::bank(&[]).await;
    let (params, verifier) = headless_code(&bank, BASIC, "code").await;
    let (_, body) = token(&bank, BASIC, code_form(&params["code"], &verifier)).await;
    let at = body["access_token"].as_str().unwrap().to_string();
    let url = format!("{}/userinfo", bank.issuer);
    let header = http(&bank)
        .post(&url)
        .bearer_auth(&at)
        .send()
        .await
        .unwrap();
    assert_eq!(header.status(), 200);
    assert_eq!(header.json::<Value>().await.unwrap()["sub"], "psu-alice");
    let in_body = http(&bank)
        .post(&url)
        .form(&[("access_token", at.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(in_body.status(), 200);
    assert_eq!(in_body.json::<Value>().await.unwrap()["sub"], "psu-alice");
    // RFC 6750 §2: one method per request.
    let both = http(&bank)
        .post(&url)
        .bearer_auth(&at)
        .form(&[("access_token", at.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(both.status(), 400);
    let wrong = http(&bank)
        .post(&url)
        .form(&[("access_token", "not-a-token")])
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
}

// ---- every OAuth fault makes the bank misbehave as its sentence says ----

#[tokio::test]
async fn fault_state_dropped() {
    let bank = common::bank(&[Fault::CallbackStateDropped]).await;
    let (params, _) = headless_code(&bank, BASIC, "code").await;
    assert!(params.contains_key("code") && !params.contains_key("state"));
}

#[tokio::test]
async fn fault_code_reuse_allowed() {
    let bank = common::bank(&[Fault::TokenCodeReuseAllowed]).await;
    let (params, verifier) = headless_code(&bank, BASIC, "code").await;
    assert_eq!(
        token(&bank, BASIC, code_form(&params["code"], &verifier))
            .await
            .0,
        200
    );
    assert_eq!(
        token(&bank, BASIC, code_form(&params["code"], &verifier))
            .await
            .0,
        200
    );
}

#[tokio::test]
async fn fault_pkce_ignored() {
    let bank = common::bank(&[Fault::TokenPkceIgnored]).await;
    let (params, _) = headless_code(&bank, BASIC, "code").await;
    assert_eq!(
        token(
            &bank,
            BASIC,
            code_form(
                &params["code"],
                "wrong-verifier-wrong-verifier-wrong-verifier"
            )
        )
        .await
        .0,
        200
    );
}

#[tokio::test]
async fn fault_par_request_uri_reusable() {
    let bank = common::bank(&[Fault::ParRequestUriReusable]).await;
    let mut form = assertion(&bank, JWT, &format!("{}/par", bank.issuer), "j");
    form.extend([
        ("response_type", "code".into()),
        ("redirect_uri", REDIRECT_URI.into()),
        ("scope", "openid".into()),
    ]);
    let body: Value = http(&bank)
        .post(format!("{}/par", bank.issuer))
        .form(&form)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let uri = body["request_uri"].as_str().unwrap();
    for _ in 0..2 {
        assert!(location_params(
            &authorize(&bank, &[("client_id", JWT), ("request_uri", uri)]).await
        )
        .contains_key("code"));
    }
}

#[tokio::test]
async fn fault_consent_always_prompt() {
    let bank = common::bank(&[Fault::ConsentAlwaysPrompt]).await;
    let mut cookie = None;
    interactive(&bank, &mut cookie, "approve").await;
    let (pages, _) = interactive(&bank, &mut cookie, "approve").await;
    assert_eq!(pages, ["consent"]);
}

#[tokio::test]
async fn id_token_faults() {
    let expect = |f: Fault| async move {
        let bank = common::bank(&[f]).await;
        let (params, verifier) = headless_code(&bank, BASIC, "code id_token").await;
        let front = params["id_token"].clone();
        let (_, body) = token(&bank, BASIC, code_form(&params["code"], &verifier)).await;
        (bank, front, body["id_token"].as_str().unwrap().to_string())
    };
    let (bank, front, back) = expect(Fault::IdTokenWrongAud).await;
    assert_eq!(
        verify_id_token(&bank, &front).await.unwrap()["aud"],
        "someone-else"
    );
    assert_eq!(
        verify_id_token(&bank, &back).await.unwrap()["aud"],
        "someone-else"
    );
    let (bank, front, back) = expect(Fault::IdTokenBadSignature).await;
    assert!(
        verify_id_token(&bank, &front).await.is_err()
            && verify_id_token(&bank, &back).await.is_err()
    );
    let (bank, front, _) = expect(Fault::IdTokenMissingCHash).await;
    let claims = verify_id_token(&bank, &front).await.unwrap();
    assert!(claims.get("c_hash").is_none() && claims.get("s_hash").is_some());
    let (bank, _, back) = expect(Fault::IdTokenExpired).await;
    let claims = verify_id_token(&bank, &back).await.unwrap();
    assert!(claims["exp"].as_i64().unwrap() < chrono::Utc::now().timestamp() - 3000);
}

#[tokio::test]
async fn fault_pkce_plain_offered_accepts_plain() {
    let plain = "plain-verifier-plain-verifier-plain-verifier";
    let params = [
        ("client_id", BASIC),
        ("redirect_uri", REDIRECT_URI),
        ("response_type", "code"),
        ("scope", "openid"),
        ("code_challenge", plain),
        ("code_challenge_method", "plain"),
    ];
    let conformant = common::bank(&[]).await;
    assert_eq!(
        location_params(&authorize(&conformant, &params).await)["error"],
        "invalid_request"
    );
    let bank = common::bank(&[Fault::DiscoveryPkcePlainOffered]).await;
    let p = location_params(&authorize(&bank, &params).await);
    assert_eq!(
        token(&bank, BASIC, code_form(&p["code"], plain)).await.0,
        200
    );
}

/// The faults this file proves, beside the discovery matrix.
const OAUTH_FAULTS_TESTED: &[Fault] = &[
    Fault::CallbackStateDropped,
    Fault::TokenCodeReuseAllowed,
    Fault::TokenPkceIgnored,
    Fault::ParRequestUriReusable,
    Fault::ConsentAlwaysPrompt,
    Fault::IdTokenWrongAud,
    Fault::IdTokenBadSignature,
    Fault::IdTokenMissingCHash,
    Fault::IdTokenExpired,
    Fault::DiscoveryPkcePlainOffered,
];

#[test]
fn every_fault_the_bank_lists_has_a_test() {
    for f in Fault::ALL {
        let covered = OAUTH_FAULTS_TESTED.contains(f)
            || common::SCHEMA_FAULTS.contains(f)
            || common::DISCOVERY_MATRIX.iter().any(|(m, _)| m == f)
            || common::FLOW_MATRIX.iter().any(|(m, ..)| m == f)
            || common::FAPI2_MATRIX.iter().any(|(m, ..)| m == f);
        assert!(
            covered,
            "fault {} has no test showing the misbehaviour",
            f.name()
        );
    }
}

async fn decoupled_start(
    bank: &RunningBank,
    path: &str,
    extra: &[(&'static str, &str)],
) -> (u16, Value) {
    let mut form = assertion(bank, JWT, &bank.issuer, &common::rand_suffix());
    form.push(("scope", "openid".into()));
    form.extend(extra.iter().map(|(k, v)| (*k, v.to_string())));
    let r = http(bank)
        .post(format!("{}{path}", bank.issuer))
        .form(&form)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap())
}

async fn decoupled_poll(
    bank: &RunningBank,
    grant: &str,
    id_name: &'static str,
    id: &str,
) -> (u16, Value) {
    token(
        bank,
        JWT,
        vec![("grant_type", grant.into()), (id_name, id.into())],
    )
    .await
}

#[tokio::test]
async fn ciba_pending_slow_down_then_tokens() {
    let bank = common::bank(&[]).await;
    let (status, body) = decoupled_start(&bank, "/bc-authorize", &[]).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_request")),
        "login_hint is required"
    );
    let (status, body) = decoupled_start(&bank, "/bc-authorize", &[("login_hint", "alice")]).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["interval"], 1);
    let id = body["auth_req_id"].as_str().unwrap().to_string();
    let grant = "urn:openid:params:grant-type:ciba";
    assert_eq!(
        decoupled_poll(&bank, grant, "auth_req_id", &id).await.1["error"],
        "authorization_pending"
    );
    assert_eq!(
        decoupled_poll(&bank, grant, "auth_req_id", &id).await.1["error"],
        "slow_down"
    );
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let (status, tokens) = decoupled_poll(&bank, grant, "auth_req_id", &id).await;
    assert_eq!(status, 200, "{tokens}");
    assert!(verify_id_token(&bank, tokens["id_token"].as_str().unwrap())
        .await
        .is_ok());
    // The request id is single-use.
    assert_eq!(
        decoupled_poll(&bank, grant, "auth_req_id", &id).await.1["error"],
        "invalid_grant"
    );
}

#[tokio::test]
async fn idura_headless_denial_and_expiry() {
    let bank = common::bank(&[]).await;
    let grant = "urn:grn:params:grant-type:headless";
    let (status, body) = decoupled_start(
        &bank,
        "/headless/authorize",
        &[("login_hint", "deny:alice")],
    )
    .await;
    assert_eq!(status, 200);
    assert!(
        body["acr_data"].is_object() && body.get("interval").is_none(),
        "{body}"
    );
    let id = body["headless_req_id"].as_str().unwrap().to_string();
    assert_eq!(
        decoupled_poll(&bank, grant, "headless_req_id", &id).await.1["error"],
        "authorization_pending"
    );
    tokio::time::sleep(std::time::Duration::from_millis(1050)).await;
    assert_eq!(
        decoupled_poll(&bank, grant, "headless_req_id", &id).await.1["error"],
        "access_denied"
    );
    // A CIBA grant cannot redeem a headless request id.
    let (_, body) = decoupled_start(&bank, "/headless/authorize", &[]).await;
    let other = body["headless_req_id"].as_str().unwrap();
    assert_eq!(
        decoupled_poll(
            &bank,
            "urn:openid:params:grant-type:ciba",
            "auth_req_id",
            other
        )
        .await
        .1["error"],
        "invalid_grant"
    );

    let (_, body) = decoupled_start(
        &bank,
        "/headless/authorize",
        &[("login_hint", "expire:alice")],
    )
    .await;
    assert_eq!(body["expires_in"], 2);
    let id = body["headless_req_id"].as_str().unwrap().to_string();
    tokio::time::sleep(std::time::Duration::from_millis(3100)).await;
    assert_eq!(
        decoupled_poll(&bank, grant, "headless_req_id", &id).await.1["error"],
        "expired_token"
    );
}

/// A client presenting the bank's client certificate.
fn mtls_http(bank: &RunningBank) -> reqwest::Client {
    let identity = reqwest::Identity::from_pem(
        format!("{}\n{}", bank.pki.client_cert_pem, bank.pki.client_key_pem).as_bytes(),
    )
    .unwrap();
    reqwest::Client::builder()
        .use_rustls_tls()
        .add_root_certificate(reqwest::Certificate::from_pem(bank.pki.ca_pem.as_bytes()).unwrap())
        .identity(identity)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

#[tokio::test]
async fn tls_client_auth_and_certificate_bound_tokens() {
    let bank = common::bank(&[]).await;
    let form = [
        ("grant_type", "client_credentials"),
        ("client_id", "probity-mtls"),
        ("scope", "accounts"),
    ];
    let url = format!("{}/token", bank.issuer);
    let without = http(&bank).post(&url).form(&form).send().await.unwrap();
    assert_eq!(without.status(), 401, "no certificate, no authentication");
    let with: Value = mtls_http(&bank)
        .post(&url)
        .form(&form)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let at = with["access_token"].as_str().unwrap().to_string();
    let intro: Value = http(&bank)
        .post(format!("{}/introspect", bank.issuer))
        .basic_auth(BASIC, bank.client_secret(BASIC))
        .form(&[("token", at.as_str())])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let der = bank.pki.client_cert_pem.clone();
    assert!(
        intro["cnf"]["x5t#S256"].is_string(),
        "{intro} ({} bytes of cert)",
        der.len()
    );

    // An authorization-code token obtained over mTLS is usable only with the same certificate.
    let (verifier, challenge) = pkce();
    let r = authorize(
        &bank,
        &[
            ("client_id", "probity-mtls"),
            ("redirect_uri", REDIRECT_URI),
            ("response_type", "code"),
            ("scope", "openid"),
            ("code_challenge", &challenge),
            ("code_challenge_method", "S256"),
        ],
    )
    .await;
    let code = location_params(&r)["code"].clone();
    let mut form = code_form(&code, &verifier);
    form.push(("client_id", "probity-mtls".into()));
    let tokens: Value = mtls_http(&bank)
        .post(&url)
        .form(&form)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let at = tokens["access_token"].as_str().unwrap();
    let ui = |c: reqwest::Client| {
        c.get(format!("{}/userinfo", bank.issuer))
            .bearer_auth(at)
            .send()
    };
    assert_eq!(ui(mtls_http(&bank)).await.unwrap().status(), 200);
    assert_eq!(
        ui(http(&bank)).await.unwrap().status(),
        401,
        "a bound token without its certificate"
    );
}

#[tokio::test]
async fn require_client_cert_refuses_connections_without_one() {
    let bank = RunningBank::start(probity::bank::BankConfig {
        require_client_cert: true,
        ..Default::default()
    })
    .await
    .unwrap();
    let url = format!("{}/.well-known/openid-configuration", bank.issuer);
    assert!(http(&bank).get(&url).send().await.is_err());
    assert_eq!(
        mtls_http(&bank).get(&url).send().await.unwrap().status(),
        200
    );
}

#[tokio::test]
async fn obie_payments_demand_signatures_idempotency_and_an_authorised_consent() {
    use probity::jose::{sign_detached, DetachedForm};
    let bank = common::bank(&[]).await;
    let (_, cc) = token(
        &bank,
        JWT,
        vec![
            ("grant_type", "client_credentials".into()),
            ("scope", "payments".into()),
        ],
    )
    .await;
    let at = cc["access_token"].as_str().unwrap().to_string();
    let url = format!(
        "{}/open-banking/v3.1/pisp/domestic-payment-consents",
        bank.issuer
    );
    let body = r#"{"Data":{"Initiation":{"InstructedAmount":{"Amount":"1.00","Currency":"GBP"}}},"Risk":{}}"#;
    let key = bank.client_key(JWT).unwrap();
    let jws = sign_detached(
        body.as_bytes(),
        &key,
        "ES256",
        "jwt-key",
        &DetachedForm::Obie {
            iss: "x".into(),
            tan: "openbanking.org.uk".into(),
        },
    )
    .unwrap();
    let send = |b: &'static str, jws: Option<String>, idem: &'static str| {
        let mut r = http(&bank)
            .post(&url)
            .bearer_auth(&at)
            .header("content-type", "application/json")
            .header("x-idempotency-key", idem)
            .body(b);
        if let Some(j) = jws {
            r = r.header("x-jws-signature", j);
        }
        r.send()
    };
    let unsigned = send(body, None, "k1").await.unwrap();
    assert_eq!(unsigned.status(), 400);
    assert!(unsigned
        .text()
        .await
        .unwrap()
        .contains("UK.OBIE.Signature.Missing"));
    let tampered = send(r#"{"Data":{"Initiation":{"InstructedAmount":{"Amount":"9.00","Currency":"GBP"}}},"Risk":{}}"#, Some(jws.clone()), "k2").await.unwrap();
    assert_eq!(tampered.status(), 400, "a signature over another body");
    let created = send(body, Some(jws.clone()), "k3").await.unwrap();
    assert_eq!(created.status(), 201);
    assert!(created.headers().contains_key("x-jws-signature"));
    let consent: Value = created.json().await.unwrap();
    let again: Value = send(body, Some(jws), "k3")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        again["Data"]["ConsentId"], consent["Data"]["ConsentId"],
        "same key, same body: same consent"
    );
    let body2 = r#"{"Data":{"Initiation":{"InstructedAmount":{"Amount":"2.00","Currency":"GBP"}}},"Risk":{}}"#;
    let jws2 = sign_detached(
        body2.as_bytes(),
        &key,
        "ES256",
        "jwt-key",
        &DetachedForm::Plain,
    )
    .unwrap();
    assert_eq!(
        send(body2, Some(jws2), "k3").await.unwrap().status(),
        400,
        "same key, other body"
    );

    // The consent is not authorised: a payment against it is refused.
    let id = consent["Data"]["ConsentId"].as_str().unwrap();
    let pay = format!(
        r#"{{"Data":{{"ConsentId":"{id}","Initiation":{{"InstructedAmount":{{"Amount":"1.00","Currency":"GBP"}}}}}},"Risk":{{}}}}"#
    );
    let jws = sign_detached(
        pay.as_bytes(),
        &key,
        "ES256",
        "jwt-key",
        &DetachedForm::Plain,
    )
    .unwrap();
    let r = http(&bank)
        .post(format!(
            "{}/open-banking/v3.1/pisp/domestic-payments",
            bank.issuer
        ))
        .bearer_auth(&at)
        .header("x-idempotency-key", "p1")
        .header("x-jws-signature", jws)
        .body(pay)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
}

#[tokio::test]
async fn obie_reads_need_the_creating_clients_payments_token() {
    let bank = common::bank(&[]).await;
    let url = |id: &str| {
        format!(
            "{}/open-banking/v3.1/pisp/domestic-payment-consents/{id}",
            bank.issuer
        )
    };
    let r = http(&bank).get(url("sdp-x")).send().await.unwrap();
    assert_eq!(r.status(), 401, "no token");
    let accounts = client_token(&bank, BASIC, "accounts").await;
    let r = http(&bank)
        .get(url("sdp-x"))
        .bearer_auth(&accounts)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403, "an accounts token");
    let payments = client_token(&bank, BASIC, "payments").await;
    let r = http(&bank)
        .get(url("sdp-unknown"))
        .bearer_auth(&payments)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
}

#[tokio::test]
async fn loopback_redirect_uris_match_on_any_port() {
    let bank = common::bank(&[]).await;
    let try_uri = |uri: &'static str| {
        let bank = &bank;
        async move {
            authorize(
                bank,
                &[
                    ("client_id", BASIC),
                    ("redirect_uri", uri),
                    ("response_type", "code"),
                    ("scope", "openid"),
                ],
            )
            .await
        }
    };
    for ok in [
        "http://127.0.0.1:5555/probity/callback",
        "http://127.0.0.1:61000/probity/callback",
    ] {
        let r = try_uri(ok).await;
        assert_eq!(r.status(), 302, "{ok}");
        assert!(location_params(&r).contains_key("code"), "{ok}");
    }
    for bad in [
        "http://bank.example:5555/probity/callback",
        "http://127.0.0.1:5555/elsewhere",
        "https://127.0.0.1:5555/probity/callback",
    ] {
        let r = try_uri(bad).await;
        assert_eq!(r.status(), 400, "{bad} must not be accepted");
    }
}

#[tokio::test]
async fn authorization_details_are_validated_and_granted_back() {
    let bank = common::bank(&[]).await;
    let (verifier, challenge) = pkce();
    let details = r#"[{"type":"account_information","permissions":["read_accounts"]}]"#;
    let ask = |details: &'static str, challenge: String| {
        let bank = &bank;
        async move {
            authorize(
                bank,
                &[
                    ("client_id", BASIC),
                    ("redirect_uri", REDIRECT_URI),
                    ("response_type", "code"),
                    ("scope", "openid accounts"),
                    ("code_challenge", &challenge),
                    ("code_challenge_method", "S256"),
                    ("authorization_details", details),
                ],
            )
            .await
        }
    };
    let refused = location_params(&ask(r#"[{"type":"teleport"}]"#, challenge.clone()).await);
    assert_eq!(refused["error"], "invalid_authorization_details");
    let not_array =
        location_params(&ask(r#"{"type":"account_information"}"#, challenge.clone()).await);
    assert_eq!(not_array["error"], "invalid_authorization_details");
    let code = location_params(&ask(details, challenge).await)["code"].clone();
    let (status, t) = token(&bank, BASIC, code_form(&code, &verifier)).await;
    assert_eq!(status, 200);
    let granted = &t["authorization_details"][0];
    assert_eq!(granted["type"], "account_information");
    assert!(
        granted["consentId"].as_str().unwrap().starts_with("rar-"),
        "{t}"
    );

    let dropped = common::bank(&[Fault::RarDetailsDropped]).await;
    let (verifier, challenge) = pkce();
    let r = authorize(
        &dropped,
        &[
            ("client_id", BASIC),
            ("redirect_uri", REDIRECT_URI),
            ("response_type", "code"),
            ("scope", "openid accounts"),
            ("code_challenge", &challenge),
            ("code_challenge_method", "S256"),
            ("authorization_details", details),
        ],
    )
    .await;
    let code = location_params(&r)["code"].clone();
    let (_, t) = token(&dropped, BASIC, code_form(&code, &verifier)).await;
    assert!(
        t.get("authorization_details").is_none(),
        "rar.details_dropped"
    );
}
