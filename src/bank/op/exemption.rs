//! The OP exemption flow: a PSU token from a refresh (after an earlier SCA)
//! creates a payment, and a JWT signed by the client (`response_type` token,
//! `acr` `urn:openbanking:psd2:ca`, the payment's `authorizationId`) is
//! exchanged with the jwt-bearer grant for a token that may submit it, within
//! the limits: under 30 EUR, fewer than 5 exemption payments and under
//! 100 EUR cumulative since the last SCA.

use crate::bank::clients::Client;
use crate::bank::faults::Fault;
use crate::bank::oauth::{AuthRequest, OAuthError, TokenGrant};
use crate::bank::state::Bank;
use crate::bank::store::now;
use serde_json::{json, Map, Value};
use std::collections::HashMap;

/// The grant type (RFC 7523 §2.1).
pub const GRANT: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";
/// The `acr` an exemption asks for.
pub const ACR_CA: &str = "urn:openbanking:psd2:ca";
const MAX_CENTS: i64 = 3000;
const MAX_COUNT: u32 = 5;
const MAX_CUMULATIVE_CENTS: i64 = 10000;

/// Exemption payments since the PSU's last SCA with a client.
#[derive(Debug, Clone, Copy, Default)]
pub struct Ledger {
    /// Exemption payments submitted.
    pub count: u32,
    /// Their total, in cents.
    pub cents: i64,
}

fn ledger_key(sub: &str, client_id: &str) -> String {
    format!("{sub}|{client_id}")
}

/// A strong customer authentication starts a fresh ledger.
pub fn reset_after_sca(bank: &Bank, sub: &str, client_id: &str) {
    bank.exemption_ledgers
        .insert(ledger_key(sub, client_id), Ledger::default());
}

/// Whether one more payment of `cents` fits the limits.
fn within_limits(bank: &Bank, sub: &str, client_id: &str, cents: i64) -> Result<(), String> {
    if bank.faults.has(Fault::ExemptionLimitsIgnored) {
        return Ok(());
    }
    let ledger = bank
        .exemption_ledgers
        .get(&ledger_key(sub, client_id))
        .ok_or("no earlier strong customer authentication to reuse")?;
    let eur = |c: i64| format!("{}.{:02} EUR", c / 100, c % 100);
    if cents >= MAX_CENTS {
        return Err(format!("{} is not under 30 EUR", eur(cents)));
    }
    if ledger.count >= MAX_COUNT {
        return Err(format!(
            "{} exemption payments were made since the last SCA (fewer than 5 allowed)",
            ledger.count
        ));
    }
    if ledger.cents + cents >= MAX_CUMULATIVE_CENTS {
        return Err(format!(
            "{} since the last SCA plus {} is not under 100 EUR",
            eur(ledger.cents),
            eur(cents)
        ));
    }
    Ok(())
}

/// `grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer` with the
/// exemption JWT in `assertion`.
pub fn grant(
    bank: &Bank,
    client: &Client,
    form: &HashMap<String, String>,
) -> Result<TokenGrant, OAuthError> {
    let invalid = |m: String| OAuthError::bad("invalid_grant", m);
    let assertion = form
        .get("assertion")
        .ok_or_else(|| OAuthError::bad("invalid_request", "assertion is missing"))?;
    let public = client
        .key
        .to_public_key()
        .map_err(|e| invalid(e.to_string()))?;
    let (_, claims) = crate::jose::verify_jwt(assertion, &public, &["PS256", "ES256", "RS256"])
        .map_err(|e| invalid(format!("the exemption JWT does not verify: {e}")))?;
    check_claims(bank, client, &claims).map_err(invalid)?;
    let authorization_id = claims
        .get("claims")
        .and_then(|c| c.pointer("/id_token/authorizationId/value"))
        .and_then(Value::as_str)
        .ok_or_else(|| invalid("claims.id_token.authorizationId.value is missing".into()))?;
    let sub = exemptable(bank, client, authorization_id).map_err(invalid)?;
    super::set_authorized(bank, authorization_id, true);
    Ok(TokenGrant {
        client_id: client.id.into(),
        scope: "payments".into(),
        sub: Some(sub),
        exp: now() + crate::bank::oauth::token::ACCESS_LIFETIME,
        request: Some(request_of(client, &claims)),
        auth_time: None,
        cnf: None,
        jkt: None,
        from_code: None,
    })
}

fn check_claims(bank: &Bank, client: &Client, c: &Map<String, Value>) -> Result<(), String> {
    let s = |k: &str| c.get(k).and_then(Value::as_str).unwrap_or("");
    if s("iss") != client.id {
        return Err(format!("iss must be the client_id, got {:?}", s("iss")));
    }
    let audiences = [bank.issuer.clone(), bank.url("/token")];
    if !audiences.iter().any(|a| a == s("aud")) {
        return Err(format!("aud {:?} is not this server", s("aud")));
    }
    if c.get("exp")
        .and_then(Value::as_i64)
        .is_some_and(|e| e < now())
    {
        return Err("the exemption JWT expired".into());
    }
    if s("response_type") != "token" || s("scope") != "payments" {
        return Err("response_type must be token and scope payments".into());
    }
    let acr = c
        .get("claims")
        .and_then(|x| x.pointer("/id_token/acr/values"));
    if acr != Some(&json!([ACR_CA])) {
        return Err(format!("claims.id_token.acr.values must be [{ACR_CA:?}]"));
    }
    Ok(())
}

/// The PSU, if this bundle may be authorised by exemption.
fn exemptable(bank: &Bank, client: &Client, authorization_id: &str) -> Result<String, String> {
    let a = bank
        .op_authorizations
        .get(authorization_id)
        .filter(|a| a.client_id == client.id)
        .ok_or_else(|| format!("no authorization {authorization_id} of this client"))?;
    let sub = a
        .psu
        .clone()
        .ok_or("the payment was not created with a PSU token (refresh after SCA)")?;
    let payment_id = match a.payment_ids.as_slice() {
        [id] if a.status == "Unauthorized" => id,
        _ => return Err("an exemption authorises exactly one unauthorised payment".into()),
    };
    let cents = bank
        .op_payments
        .get(payment_id)
        .map(|p| p.cents)
        .ok_or("the payment was deleted")?;
    within_limits(bank, &sub, client.id, cents).map(|()| sub)
}

fn request_of(client: &Client, claims: &Map<String, Value>) -> AuthRequest {
    let s = |k: &str| claims.get(k).and_then(Value::as_str).map(str::to_string);
    AuthRequest {
        dpop_jkt: None,
        psu_denies: false,
        client_id: client.id.into(),
        redirect_uri: String::new(),
        response_type: "token".into(),
        scope: "payments".into(),
        state: s("state"),
        nonce: s("nonce"),
        code_challenge: None,
        code_challenge_method: None,
        claims: claims.get("claims").cloned(),
        max_age: claims.get("max_age").and_then(Value::as_i64),
        authorization_details: None,
        response_mode: None,
        prompt: None,
        hinted_sub: None,
        request_uri: None,
    }
}

/// At submission of an exemption payment: re-check the limits and count it.
pub fn charge(bank: &Bank, grant: &TokenGrant, payment: &super::SepaPayment) -> Result<(), String> {
    let exempt = bank
        .op_authorizations
        .get(&payment.authorization_id)
        .is_some_and(|a| a.exemption);
    let Some(sub) = grant.sub.as_deref().filter(|_| exempt) else {
        return Ok(());
    };
    within_limits(bank, sub, &payment.client_id, payment.cents)?;
    bank.exemption_ledgers
        .update(&ledger_key(sub, &payment.client_id), |l| {
            l.count += 1;
            l.cents += payment.cents;
        });
    Ok(())
}
