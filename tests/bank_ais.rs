//! The reference bank's OBIE account-information API, driven with plain
//! reqwest: consents, their authorisation and permissions, the resources,
//! the interaction id, and the account faults.

mod common;

use common::http;
use common::oauth::{client_token, headless_tokens};
use probity::bank::clients::{BASIC, POST};
use probity::bank::{Fault, RunningBank};
use serde_json::{json, Value};

const BASE: &str = "/open-banking/v3.1/aisp";

async fn consent(bank: &RunningBank, at: &str, permissions: &[&str]) -> (u16, Value) {
    let r = http(bank)
        .post(format!("{}{BASE}/account-access-consents", bank.issuer))
        .bearer_auth(at)
        .json(&json!({"Data": {"Permissions": permissions}, "Risk": {}}))
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap())
}

/// A PSU token bound to the consent through a headless authorization.
async fn psu_token(bank: &RunningBank, consent_id: &str) -> String {
    let t = headless_tokens(bank, "openid accounts", "openbanking_intent_id", consent_id).await;
    t["access_token"].as_str().unwrap().into()
}

/// GET below the base; returns status, interaction id echoed, body.
async fn get(bank: &RunningBank, at: &str, path: &str) -> (u16, Option<String>, Value) {
    let r = http(bank)
        .get(format!("{}{BASE}{path}", bank.issuer))
        .bearer_auth(at)
        .header("x-fapi-interaction-id", "iid-1")
        .send()
        .await
        .unwrap();
    let echoed = r
        .headers()
        .get("x-fapi-interaction-id")
        .map(|v| v.to_str().unwrap().to_string());
    (
        r.status().as_u16(),
        echoed,
        r.json().await.unwrap_or(Value::Null),
    )
}

#[tokio::test]
async fn consent_authorisation_permissions_and_revocation() {
    let bank = common::bank(&[]).await;
    let cc = client_token(&bank, BASIC, "accounts").await;
    let (status, bad) = consent(&bank, &cc, &["ReadEverything"]).await;
    assert_eq!(status, 400, "{bad}");
    let (status, c) = consent(&bank, &cc, &["ReadAccountsBasic", "ReadBalances"]).await;
    assert_eq!(
        (status, c["Data"]["Status"].clone()),
        (201, json!("AwaitingAuthorisation"))
    );
    let id = c["Data"]["ConsentId"].as_str().unwrap();
    let (status, echoed, _) = get(&bank, &cc, "/accounts").await;
    assert_eq!(
        (status, echoed.as_deref()),
        (403, Some("iid-1")),
        "a client token reads no accounts; errors echo the id"
    );

    let other = client_token(&bank, POST, "accounts").await;
    let (status, _, _) = get(&bank, &other, &format!("/account-access-consents/{id}")).await;
    assert_eq!(status, 404, "another client does not see the consent");
    let psu = psu_token(&bank, id).await;
    let (_, _, after) = get(&bank, &cc, &format!("/account-access-consents/{id}")).await;
    assert_eq!(after["Data"]["Status"], "Authorised");
    let (status, echoed, accounts) = get(&bank, &psu, "/accounts").await;
    assert_eq!((status, echoed.as_deref()), (200, Some("iid-1")));
    let list = accounts["Data"]["Account"].as_array().unwrap();
    assert!(!list.is_empty() && list.iter().all(|a| a["AccountId"].is_string()));
    let first = list[0]["AccountId"].as_str().unwrap();
    let (status, _, balances) = get(&bank, &psu, &format!("/accounts/{first}/balances")).await;
    assert_eq!(status, 200);
    assert!(balances["Data"]["Balance"][0]["Amount"]["Amount"].is_string());
    let (status, _, _) = get(&bank, &psu, &format!("/accounts/{first}/transactions")).await;
    assert_eq!(status, 403, "no transaction permission");
    assert_eq!(get(&bank, &psu, "/accounts/nope/balances").await.0, 404);

    let r = http(&bank)
        .delete(format!(
            "{}{BASE}/account-access-consents/{id}",
            bank.issuer
        ))
        .bearer_auth(&cc)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    assert_eq!(
        get(&bank, &psu, "/accounts").await.0,
        403,
        "a revoked consent reads nothing"
    );
}

#[tokio::test]
async fn account_faults_misbehave_as_named() {
    let bank = common::bank(&[
        Fault::AccountsEmpty,
        Fault::AccountsBalanceMalformed,
        Fault::AccountsTransactionsServerError,
        Fault::AccountsPermissionsIgnored,
        Fault::AccountsInteractionIdDropped,
    ])
    .await;
    let cc = client_token(&bank, BASIC, "accounts").await;
    let (_, c) = consent(&bank, &cc, &["ReadAccountsBasic"]).await;
    let psu = psu_token(&bank, c["Data"]["ConsentId"].as_str().unwrap()).await;
    let (status, echoed, accounts) = get(&bank, &psu, "/accounts").await;
    assert_eq!(status, 200);
    assert_eq!(accounts["Data"]["Account"], json!([]), "accounts.empty");
    assert_eq!(echoed, None, "accounts.interaction_id_dropped");
    let (status, _, balances) = get(&bank, &psu, "/accounts/22289/balances").await;
    assert_eq!(
        status, 200,
        "accounts.permissions_ignored: no ReadBalances, served anyway"
    );
    assert!(
        balances["Data"]["Balance"][0].get("Amount").is_none(),
        "accounts.balance_malformed"
    );
    assert_eq!(
        get(&bank, &psu, "/accounts/22289/transactions").await.0,
        500,
        "accounts.transactions_server_error"
    );
}
