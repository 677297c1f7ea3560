//! The reference bank's OP PSD2 payments API (`/payments-psd2/v1`), driven
//! with plain reqwest: bundles, GET and DELETE, submissions, status
//! progression, signed responses and the exemption flow's limits.

mod common;

use common::http;
use common::oauth::{client_token, headless_tokens, jwks, token};
use probity::bank::clients::BASIC;
use probity::bank::{Fault, RunningBank};
use probity::jose::{sign_detached, sign_jwt, verify_detached, DetachedForm};
use serde_json::{json, Map, Value};

const EXEMPTION_GRANT: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";

fn url(bank: &RunningBank, path: &str) -> String {
    format!("{}/payments-psd2/v1{path}", bank.issuer)
}

fn order(amount: &str, bundle: Option<&str>) -> Value {
    let mut o = json!({"payee": {"iban": "FI4950009420028730", "name": "Test_Person"}, "payer": {"iban": "FI5850009420172322"}, "message": "test_payment", "amountEUR": amount});
    if let Some(b) = bundle {
        o["authorizationId"] = json!(b);
    }
    o
}

/// POSTs a payment, signed with the basic client's key when `signed`.
async fn create(bank: &RunningBank, at: &str, body: &Value, signed: bool) -> (u16, Value) {
    let text = body.to_string();
    let mut req = http(bank)
        .post(url(bank, "/sepa-payments"))
        .bearer_auth(at)
        .header("content-type", "application/json")
        .header("x-idempotency-key", common::rand_suffix());
    if signed {
        let key = bank.client_key(BASIC).unwrap();
        let jws = sign_detached(
            text.as_bytes(),
            &key,
            "ES256",
            "basic-key",
            &DetachedForm::Plain,
        )
        .unwrap();
        req = req.header("x-jws-signature", jws);
    }
    let r = req.body(text).send().await.unwrap();
    let status = r.status().as_u16();
    let jws = r.headers().get("x-jws-signature").cloned();
    let body = r.text().await.unwrap();
    if status == 201 {
        assert_response_signed(bank, jws.as_ref().map(|v| v.to_str().unwrap()), &body).await;
    }
    (status, serde_json::from_str(&body).unwrap_or(Value::Null))
}

/// The response signature verifies with the bank's published ES256 key.
async fn assert_response_signed(bank: &RunningBank, jws: Option<&str>, body: &str) {
    let jws = jws.expect("a signed response");
    let keys = jwks(bank).await;
    let es = keys.iter().find(|k| k["alg"] == "ES256").unwrap();
    let jwk = josekit::jwk::Jwk::from_map(es.as_object().unwrap().clone()).unwrap();
    let info = verify_detached(jws, body.as_bytes(), &jwk, &["ES256"]).unwrap();
    assert!(info.b64, "OP responses use the plain detached form");
}

async fn call(bank: &RunningBank, method: &str, path: &str, at: &str) -> (u16, Value) {
    let m = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let r = http(bank)
        .request(m, url(bank, path))
        .bearer_auth(at)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

/// SCA for a bundle: a headless authorization naming it, then the code
/// exchange. Returns the token response.
async fn sca(bank: &RunningBank, bundle: &str) -> Value {
    let tokens = headless_tokens(bank, "openid payments", "authorizationId", bundle).await;
    assert_eq!(
        probity::jose::decode_unverified(tokens["id_token"].as_str().unwrap())
            .unwrap()
            .1["authorizationId"],
        json!(bundle)
    );
    tokens
}

#[tokio::test]
async fn bundle_authorised_once_then_submitted_and_settled() {
    let bank = common::bank(&[]).await;
    let cc = client_token(&bank, BASIC, "payments").await;
    let (status, a) = create(&bank, &cc, &order("4.00", None), false).await;
    assert_eq!(status, 201, "{a}");
    assert_eq!(a["status"], "Unauthorized");
    let bundle = a["authorizationId"].as_str().unwrap().to_string();
    let (_, b) = create(&bank, &cc, &order("6.00", Some(&bundle)), true).await;
    assert_eq!(b["authorizationId"], json!(bundle), "joined the bundle");
    assert_eq!(b["count"], 2);
    let (_, c) = create(&bank, &cc, &order("1.00", Some(&bundle)), false).await;
    let (status, listed) = call(&bank, "GET", &format!("/authorizations/{bundle}"), &cc).await;
    assert_eq!(
        (status, listed["paymentIds"].as_array().unwrap().len()),
        (200, 3)
    );

    let c_id = c["paymentId"].as_str().unwrap();
    assert_eq!(
        call(&bank, "DELETE", &format!("/sepa-payments/{c_id}"), &cc)
            .await
            .0,
        204
    );
    assert_eq!(
        call(&bank, "GET", &format!("/sepa-payments/{c_id}"), &cc)
            .await
            .0,
        404
    );

    let a_id = a["paymentId"].as_str().unwrap();
    let submit = format!("/sepa-payments/{a_id}/submissions/sub-1");
    let (status, refused) = call(&bank, "PUT", &submit, &cc).await;
    assert_eq!(status, 403, "a client token cannot submit: {refused}");

    let psu = sca(&bank, &bundle).await;
    let at = psu["access_token"].as_str().unwrap();
    let (_, b_now) = call(
        &bank,
        "GET",
        &format!("/sepa-payments/{}", b["paymentId"].as_str().unwrap()),
        at,
    )
    .await;
    assert_eq!(
        b_now["status"], "Authorized",
        "the whole bundle is authorised"
    );
    let (status, submitted) = call(&bank, "PUT", &submit, at).await;
    assert_eq!(
        (status, submitted["status"].clone()),
        (200, json!("Submitted"))
    );
    assert_eq!(
        call(&bank, "PUT", &submit, at).await.0,
        200,
        "same submissionId: idempotent"
    );
    let other = format!("/sepa-payments/{a_id}/submissions/sub-2");
    assert_eq!(call(&bank, "PUT", &other, at).await.0, 409);
    assert_eq!(
        call(&bank, "DELETE", &format!("/sepa-payments/{a_id}"), at)
            .await
            .0,
        409
    );
    // The status advances with time: read until Completed, in order.
    let order = ["Submitted", "Processing", "Completed"];
    let mut seen: Vec<usize> = vec![];
    for _ in 0..30 {
        let (_, p) = call(&bank, "GET", &format!("/sepa-payments/{a_id}"), at).await;
        let status = p["status"].as_str().unwrap().to_string();
        seen.push(
            order
                .iter()
                .position(|s| *s == status)
                .expect("a known status"),
        );
        if status == "Completed" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(seen.windows(2).all(|w| w[0] <= w[1]), "{seen:?}");
    assert_eq!(seen.last(), Some(&2), "{seen:?}");
    assert!(seen.len() > 1, "not terminal at once: {seen:?}");
}

#[tokio::test]
async fn authorization_can_be_revoked() {
    let bank = common::bank(&[]).await;
    let cc = client_token(&bank, BASIC, "payments").await;
    let (_, a) = create(&bank, &cc, &order("4.00", None), false).await;
    let bundle = a["authorizationId"].as_str().unwrap();
    assert_eq!(
        call(&bank, "DELETE", &format!("/authorizations/{bundle}"), &cc)
            .await
            .0,
        204
    );
    let (_, after) = call(&bank, "GET", &format!("/authorizations/{bundle}"), &cc).await;
    assert_eq!(after["status"], "Revoked");
    let (status, _) = create(&bank, &cc, &order("1.00", Some(bundle)), false).await;
    assert_eq!(status, 400, "a revoked bundle takes no payments");
}

/// Refresh with scope payments: the PSU token of the exemption flow.
async fn psu_token(bank: &RunningBank, refresh: &str) -> (String, String) {
    let form = vec![
        ("grant_type", "refresh_token".into()),
        ("refresh_token", refresh.into()),
        ("scope", "payments".into()),
    ];
    let (status, t) = token(bank, BASIC, form).await;
    assert_eq!(status, 200, "{t}");
    (
        t["access_token"].as_str().unwrap().into(),
        t["refresh_token"].as_str().unwrap().into(),
    )
}

fn exemption_jwt(bank: &RunningBank, bundle: &str, acr: &str) -> String {
    let key = bank.client_key(BASIC).unwrap();
    let claims: Map<String, Value> = serde_json::from_value(json!({
        "iss": BASIC, "aud": bank.issuer, "response_type": "token", "client_id": BASIC,
        "scope": "payments", "state": "1234", "nonce": "n", "max_age": 86400,
        "claims": {
            "id_token": {"acr": {"values": [acr], "essential": true}, "authorizationId": {"value": bundle, "essential": true}},
            "userinfo": {"authorizationId": {"value": bundle, "essential": true}}
        }
    }))
    .unwrap();
    sign_jwt(&claims, "ES256", Some((&key, "basic-key")), Some("JWT")).unwrap()
}

/// One exemption payment: create with the PSU token, exchange the exemption
/// JWT, submit. Returns the token endpoint's answer and the submission status.
async fn exempt(bank: &RunningBank, psu: &str, amount: &str) -> (u16, Value, u16) {
    let (status, p) = create(bank, psu, &order(amount, None), true).await;
    assert_eq!(status, 201, "{p}");
    let bundle = p["authorizationId"].as_str().unwrap();
    let form = vec![
        ("grant_type", EXEMPTION_GRANT.into()),
        (
            "assertion",
            exemption_jwt(bank, bundle, "urn:openbanking:psd2:ca"),
        ),
        ("response_type", "token".into()),
        ("scope", "payments".into()),
    ];
    let (status, t) = token(bank, BASIC, form).await;
    let Some(at) = t["access_token"].as_str() else {
        return (status, t, 0);
    };
    let path = format!(
        "/sepa-payments/{}/submissions/x",
        p["paymentId"].as_str().unwrap()
    );
    (status, t.clone(), call(bank, "PUT", &path, at).await.0)
}

async fn after_sca(bank: &RunningBank) -> String {
    let cc = client_token(bank, BASIC, "payments").await;
    let (_, a) = create(bank, &cc, &order("1.00", None), false).await;
    let tokens = sca(bank, a["authorizationId"].as_str().unwrap()).await;
    psu_token(bank, tokens["refresh_token"].as_str().unwrap())
        .await
        .0
}

#[tokio::test]
async fn exemption_flow_and_its_limits() {
    let bank = common::bank(&[]).await;
    let psu = after_sca(&bank).await;
    let (status, _) = create(&bank, &psu, &order("5.00", None), false).await;
    assert_eq!(status, 400, "the JWS is mandatory in the exemption flow");
    let (status, p) = create(&bank, &psu, &order("5.00", None), true).await;
    let bundle = p["authorizationId"].as_str().unwrap();
    let (bundled, _) = create(&bank, &psu, &order("1.00", Some(bundle)), true).await;
    assert_eq!(
        (status, bundled),
        (201, 400),
        "exemption payments are not bundled"
    );
    let wrong_acr = vec![
        ("grant_type", EXEMPTION_GRANT.into()),
        (
            "assertion",
            exemption_jwt(&bank, bundle, "urn:openbanking:psd2:sca"),
        ),
    ];
    let (status, _) = token(&bank, BASIC, wrong_acr).await;
    assert_eq!(status, 400, "the acr must be urn:openbanking:psd2:ca");

    let (status, t, submitted) = exempt(&bank, &psu, "29.00").await;
    assert_eq!((status, submitted), (200, 200), "{t}");
    assert!(t.get("refresh_token").is_none() && t["scope"] == "payments");
    let (status, t, _) = exempt(&bank, &psu, "30.00").await;
    assert_eq!(status, 400);
    assert!(
        t["error_description"]
            .as_str()
            .unwrap()
            .contains("not under 30 EUR"),
        "{t}"
    );
    assert_eq!(exempt(&bank, &psu, "29.00").await.0, 200);
    assert_eq!(exempt(&bank, &psu, "29.00").await.0, 200);
    let (status, t, _) = exempt(&bank, &psu, "13.00").await;
    assert_eq!(status, 400, "87 + 13 is not under 100 EUR: {t}");
    assert!(
        t["error_description"]
            .as_str()
            .unwrap()
            .contains("not under 100 EUR"),
        "{t}"
    );
}

#[tokio::test]
async fn fewer_than_five_exemption_payments_between_scas() {
    let bank = common::bank(&[]).await;
    let psu = after_sca(&bank).await;
    for _ in 0..5 {
        assert_eq!(exempt(&bank, &psu, "1.00").await.2, 200);
    }
    let (status, t, _) = exempt(&bank, &psu, "1.00").await;
    assert_eq!(status, 400);
    assert!(
        t["error_description"]
            .as_str()
            .unwrap()
            .contains("5 exemption payments"),
        "{t}"
    );
    let fresh = after_sca(&bank).await;
    assert_eq!(
        exempt(&bank, &fresh, "1.00").await.0,
        200,
        "a new SCA resets the count"
    );
}

#[tokio::test]
async fn op_faults_misbehave_as_named() {
    let bank = common::bank(&[
        Fault::BundleIgnored,
        Fault::PaymentDeleteIgnored,
        Fault::SubmissionUnauthorisedAccepted,
    ])
    .await;
    let cc = client_token(&bank, BASIC, "payments").await;
    let (_, a) = create(&bank, &cc, &order("4.00", None), false).await;
    let (_, b) = create(
        &bank,
        &cc,
        &order("4.00", a["authorizationId"].as_str()),
        false,
    )
    .await;
    assert_ne!(a["authorizationId"], b["authorizationId"], "bundle.ignored");
    let b_id = b["paymentId"].as_str().unwrap();
    assert_eq!(
        call(&bank, "DELETE", &format!("/sepa-payments/{b_id}"), &cc)
            .await
            .0,
        204
    );
    assert_eq!(
        call(&bank, "GET", &format!("/sepa-payments/{b_id}"), &cc)
            .await
            .0,
        200,
        "payment.delete_ignored"
    );
    let submit = format!(
        "/sepa-payments/{}/submissions/s",
        a["paymentId"].as_str().unwrap()
    );
    assert_eq!(
        call(&bank, "PUT", &submit, &cc).await.0,
        200,
        "submission.unauthorised_accepted"
    );

    let lax = common::bank(&[Fault::ExemptionLimitsIgnored]).await;
    let psu = after_sca(&lax).await;
    assert_eq!(
        exempt(&lax, &psu, "250.00").await.0,
        200,
        "exemption.limits_ignored"
    );
}
