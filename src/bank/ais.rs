//! OBIE Read/Write style account information: account-access consents
//! (created with a client token, authorised by an authorization naming them
//! in `openbanking_intent_id`), then the PSU's accounts, balances and
//! transactions, as far as the consent's permissions reach. Served under
//! v3.1 and v4.0 alike ([`ObVersion`]).

use super::faults::Fault;
use super::mtls::PeerCertificate;
use super::oauth::TokenGrant;
use super::ob_version::{ObVersion, StatusOf};
use super::obie::{error, now, Resource};
use super::state::Bank;
use super::store::random_token;
use crate::bank::fields::set;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use serde_json::{json, Value};
use std::sync::Arc;

/// Permissions the bank knows.
const PERMISSIONS: &[&str] = &[
    "ReadAccountsBasic",
    "ReadAccountsDetail",
    "ReadBalances",
    "ReadTransactionsBasic",
    "ReadTransactionsDetail",
    "ReadTransactionsCredits",
    "ReadTransactionsDebits",
];

/// Middleware: every answer of the account API (errors too) echoes the
/// client's `x-fapi-interaction-id` or carries a fresh one (FAPI 1 Baseline §6.2.1).
pub async fn interaction_id(
    State(bank): State<Arc<Bank>>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    echo_interaction_id(
        request,
        next,
        bank.faults.has(Fault::AccountsInteractionIdDropped),
    )
    .await
}

/// Runs the handler, then puts the request's `x-fapi-interaction-id` (or a
/// fresh one) on its answer, unless `dropped` (a fault).
pub async fn echo_interaction_id(
    request: axum::extract::Request,
    next: axum::middleware::Next,
    dropped: bool,
) -> Response {
    let sent = request.headers().get("x-fapi-interaction-id").cloned();
    let mut response = next.run(request).await;
    if dropped {
        return response;
    }
    if let Some(id) = sent.or_else(|| crate::ids::uuid().parse().ok()) {
        response.headers_mut().insert("x-fapi-interaction-id", id);
    }
    response
}

fn respond(status: StatusCode, body: Value) -> Response {
    (status, axum::Json(body)).into_response()
}

fn client_grant(
    bank: &Bank,
    headers: &HeaderMap,
    peer: &PeerCertificate,
) -> Result<TokenGrant, Response> {
    super::obie::scoped_grant(bank, headers, peer, "accounts")
}

/// `POST /account-access-consents`
pub async fn create_consent(
    State(bank): State<Arc<Bank>>,
    Extension(peer): Extension<PeerCertificate>,
    Extension(version): Extension<ObVersion>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let grant = match client_grant(&bank, &headers, &peer) {
        Ok(g) => g,
        Err(r) => return r,
    };
    let request: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let permissions: Vec<&str> = request
        .pointer("/Data/Permissions")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    if permissions.is_empty() {
        return error(
            StatusCode::BAD_REQUEST,
            "UK.OBIE.Field.Missing",
            "Data.Permissions is required",
        );
    }
    if let Some(bad) = permissions.iter().find(|p| !PERMISSIONS.contains(p)) {
        return error(
            StatusCode::BAD_REQUEST,
            "UK.OBIE.Field.Unexpected",
            &format!("unknown permission {bad}"),
        );
    }
    let id = format!("aac-{}", random_token());
    let mut data = json!({ "ConsentId": id, "Status": "AwaitingAuthorisation", "CreationDateTime": now(), "StatusUpdateDateTime": now(), "Permissions": permissions });
    // Only when asked for: the schema has no `null` for it.
    if let Some(expires) = request.pointer("/Data/ExpirationDateTime") {
        set(&mut data, "ExpirationDateTime", expires.clone());
    }
    bank.account_consents.insert(
        id.clone(),
        Resource {
            data,
            client_id: grant.client_id,
            reads: 0,
        },
    );
    consent_response(&bank, version, &id, StatusCode::CREATED)
}

fn consent_response(bank: &Bank, version: ObVersion, id: &str, status: StatusCode) -> Response {
    match bank.account_consents.get(id) {
        Some(c) => respond(
            status,
            json!({ "Data": version.with_status(StatusOf::AccountConsent, &c.data), "Risk": {}, "Links": { "Self": bank.url(&format!("{}/account-access-consents/{id}", version.aisp())) }, "Meta": {} }),
        ),
        None => error(
            StatusCode::NOT_FOUND,
            "UK.OBIE.Resource.NotFound",
            "no such consent",
        ),
    }
}

/// `GET /account-access-consents/{id}`
pub async fn get_consent(
    State(bank): State<Arc<Bank>>,
    Extension(peer): Extension<PeerCertificate>,
    Extension(version): Extension<ObVersion>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let store = ("accounts", &bank.account_consents);
    match super::obie::reader(&bank, &headers, &peer, store, &id) {
        Ok(()) => consent_response(&bank, version, &id, StatusCode::OK),
        Err(r) => r,
    }
}

/// `DELETE /account-access-consents/{id}`: the TPP revokes the consent.
pub async fn delete_consent(
    State(bank): State<Arc<Bank>>,
    Extension(peer): Extension<PeerCertificate>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let store = ("accounts", &bank.account_consents);
    if let Err(r) = super::obie::reader(&bank, &headers, &peer, store, &id) {
        return r;
    }
    bank.account_consents.take(&id);
    StatusCode::NO_CONTENT.into_response()
}

/// Marks an account-access consent authorised (called for every approved
/// authorization that names an intent).
pub fn authorise(bank: &Bank, intent_id: &str) {
    bank.account_consents.update(intent_id, |c| {
        set(&mut c.data, "Status", json!("Authorised"));
        set(&mut c.data, "StatusUpdateDateTime", json!(now()));
    });
}

/// The permissions a PSU token carries through its authorised consent.
fn permissions(
    bank: &Bank,
    headers: &HeaderMap,
    peer: &PeerCertificate,
) -> Result<Vec<String>, Response> {
    let grant = client_grant(bank, headers, peer)?;
    let forbidden = |m: &str| {
        error(
            StatusCode::FORBIDDEN,
            "UK.OBIE.Resource.InvalidConsentStatus",
            m,
        )
    };
    let intent = grant
        .request
        .as_ref()
        .and_then(|r| r.requested_claim("openbanking_intent_id"));
    let consent = intent
        .as_ref()
        .and_then(Value::as_str)
        .and_then(|id| bank.account_consents.get(id))
        .filter(|c| grant.sub.is_some() && c.client_id == grant.client_id)
        .ok_or_else(|| forbidden("the token is not bound to an account-access consent"))?;
    if consent.data.get("Status") != Some(&json!("Authorised")) {
        return Err(forbidden("the consent is not authorised"));
    }
    Ok(consent
        .data
        .get("Permissions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(str::to_string)
        .collect())
}

/// Admits a resource read if the consent holds one of `needed` (or the
/// permissions are ignored by fault).
fn admit(
    bank: &Bank,
    headers: &HeaderMap,
    peer: &PeerCertificate,
    needed: &[&str],
) -> Result<(), Response> {
    let held = permissions(bank, headers, peer)?;
    if bank.faults.has(Fault::AccountsPermissionsIgnored)
        || held.iter().any(|p| needed.contains(&p.as_str()))
    {
        return Ok(());
    }
    Err(error(
        StatusCode::FORBIDDEN,
        "UK.OBIE.Resource.InvalidConsentStatus",
        &format!("the consent grants none of {}", needed.join(", ")),
    ))
}

/// The PSU's accounts (every PSU of the model bank has the same two), as
/// `version` names their types.
fn accounts(version: ObVersion) -> Value {
    let account = |id: &str, sub_type: &str, nickname: &str, number: &str| {
        let mut a = json!({ "AccountId": id, "Currency": "GBP", "Nickname": nickname,
          "Account": [{ "SchemeName": "UK.OBIE.SortCodeAccountNumber", "Identification": number, "Name": "Mr Kevin" }] });
        for (field, value) in version.account_type("Personal", sub_type) {
            set(&mut a, field, json!(value));
        }
        a
    };
    json!([
        account("22289", "CurrentAccount", "Bills", "80200110203345"),
        account("31820", "Savings", "Household", "80200110203348"),
    ])
}

fn page(bank: &Bank, version: ObVersion, path: &str, data: Value) -> Value {
    json!({ "Data": data, "Links": { "Self": bank.url(&format!("{}{path}", version.aisp())) }, "Meta": { "TotalPages": 1 } })
}

/// `GET /accounts`
pub async fn list(
    State(bank): State<Arc<Bank>>,
    Extension(peer): Extension<PeerCertificate>,
    Extension(version): Extension<ObVersion>,
    headers: HeaderMap,
) -> Response {
    if let Err(r) = admit(
        &bank,
        &headers,
        &peer,
        &["ReadAccountsBasic", "ReadAccountsDetail"],
    ) {
        return r;
    }
    let list = if bank.faults.has(Fault::AccountsEmpty) {
        json!([])
    } else {
        accounts(version)
    };
    respond(
        StatusCode::OK,
        page(&bank, version, "/accounts", json!({ "Account": list })),
    )
}

fn known(id: &str) -> Result<(), Response> {
    let found = accounts(ObVersion::V3_1)
        .as_array()
        .is_some_and(|a| a.iter().any(|x| x["AccountId"] == id));
    if found {
        Ok(())
    } else {
        Err(error(
            StatusCode::NOT_FOUND,
            "UK.OBIE.Resource.NotFound",
            "no such account",
        ))
    }
}

/// `GET /accounts/{id}/balances`
pub async fn balances(
    State(bank): State<Arc<Bank>>,
    Extension(peer): Extension<PeerCertificate>,
    Extension(version): Extension<ObVersion>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    if let Err(r) = admit(&bank, &headers, &peer, &["ReadBalances"]).and_then(|()| known(&id)) {
        return r;
    }
    let mut balance = json!({ "AccountId": id, "Amount": { "Amount": "1230.00", "Currency": "GBP" }, "CreditDebitIndicator": "Credit", "Type": version.balance_type("InterimAvailable"), "DateTime": now() });
    if bank.faults.has(Fault::AccountsBalanceMalformed) {
        balance.as_object_mut().map(|b| b.remove("Amount"));
    }
    respond(
        StatusCode::OK,
        page(
            &bank,
            version,
            &format!("/accounts/{id}/balances"),
            json!({ "Balance": [balance] }),
        ),
    )
}

/// `GET /accounts/{id}/transactions`
pub async fn transactions(
    State(bank): State<Arc<Bank>>,
    Extension(peer): Extension<PeerCertificate>,
    Extension(version): Extension<ObVersion>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let needed = [
        "ReadTransactionsBasic",
        "ReadTransactionsDetail",
        "ReadTransactionsCredits",
        "ReadTransactionsDebits",
    ];
    if let Err(r) = admit(&bank, &headers, &peer, &needed).and_then(|()| known(&id)) {
        return r;
    }
    if bank.faults.has(Fault::AccountsTransactionsServerError) {
        return error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "UK.OBIE.UnexpectedError",
            "fault: accounts.transactions_server_error",
        );
    }
    let tx = |n: u32, amount: &str, indicator: &str| json!({ "AccountId": id, "TransactionId": format!("{id}-{n}"), "Amount": { "Amount": amount, "Currency": "GBP" }, "CreditDebitIndicator": indicator, "Status": version.transaction_status("Booked"), "BookingDateTime": "2026-11-01T10:00:00+00:00", "TransactionInformation": format!("Transaction {n}") });
    let list = json!([
        tx(1, "10.00", "Debit"),
        tx(2, "250.00", "Credit"),
        tx(3, "4.99", "Debit")
    ]);
    respond(
        StatusCode::OK,
        page(
            &bank,
            version,
            &format!("/accounts/{id}/transactions"),
            json!({ "Transaction": list }),
        ),
    )
}
