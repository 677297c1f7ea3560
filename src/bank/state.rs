//! The bank's shared state.

use super::clients::Client;
use super::faults::FaultSet;
use super::keys::BankKeys;
use super::oauth::{AuthRequest, CodeGrant, TokenGrant};
use super::store::Store;
use std::collections::BTreeSet;

const CAPACITY: usize = 10_000;

/// A PSU's browser session at the bank.
#[derive(Debug, Clone)]
pub struct PsuSession {
    /// The PSU.
    pub sub: String,
    /// When they logged in.
    pub auth_time: i64,
}

/// A pushed authorization request.
#[derive(Debug, Clone)]
pub struct Pushed {
    /// The validated request.
    pub request: AuthRequest,
    /// Expiry (epoch seconds).
    pub exp: i64,
    /// Whether it was used at the authorization endpoint.
    pub used: bool,
}

/// Everything handlers share. Stores lock only for single map operations.
pub struct Bank {
    /// The issuer identifier (scheme, host, port).
    pub issuer: String,
    /// Signing keys.
    pub keys: BankKeys,
    /// Faults switched on.
    pub faults: FaultSet,
    /// Seconds a pushed `request_uri` lives.
    pub request_uri_lifetime: i64,
    /// Whether DPoP proofs must carry the bank's nonce (RFC 9449 §8, §9).
    pub dpop_nonces: bool,
    /// The secret DPoP nonces are derived from: unpredictable to clients.
    pub dpop_nonce_secret: [u8; 32],
    /// A deliberately weak RSA key, generated only under `jwks.small_rsa_key`.
    pub small_rsa_jwk: Option<serde_json::Value>,
    /// Registered clients.
    pub clients: Vec<Client>,
    /// Authorization codes.
    pub codes: Store<CodeGrant>,
    /// Access tokens.
    pub access_tokens: Store<TokenGrant>,
    /// Refresh tokens.
    pub refresh_tokens: Store<TokenGrant>,
    /// Pushed authorization requests by `request_uri`.
    pub pushed: Store<Pushed>,
    /// PSU sessions by cookie value.
    pub sessions: Store<PsuSession>,
    /// Scopes each PSU granted each client, by `sub|client_id`.
    pub grants: Store<BTreeSet<String>>,
    /// Client assertion `jti`s seen, with their expiry.
    pub seen_jtis: Store<i64>,
    /// Authorization requests waiting for login or consent, by interaction id.
    pub interactions: Store<AuthRequest>,
    /// Decoupled (CIBA and Idura headless) requests by request id.
    pub decoupled: Store<super::oauth::decoupled::Decoupled>,
    /// OBIE domestic payment consents by ConsentId.
    pub payment_consents: Store<super::obie::Resource>,
    /// OBIE domestic payments by DomesticPaymentId.
    pub payments: Store<super::obie::Resource>,
    /// `client|x-idempotency-key` → (body hash, resource id).
    pub idempotency: Store<(String, String)>,
    /// OBIE account-access consents by ConsentId.
    pub account_consents: Store<super::obie::Resource>,
    /// OP SEPA payments by paymentId.
    pub op_payments: Store<super::op::SepaPayment>,
    /// OP payment bundles by authorizationId.
    pub op_authorizations: Store<super::op::Authorization>,
    /// Exemption payments since the last SCA, by `sub|client_id`.
    pub exemption_ledgers: Store<super::op::exemption::Ledger>,
}

impl Bank {
    /// A bank with empty stores.
    pub fn new(
        issuer: String,
        keys: BankKeys,
        faults: FaultSet,
        small_rsa_jwk: Option<serde_json::Value>,
        clients: Vec<Client>,
    ) -> Self {
        Bank {
            issuer,
            keys,
            faults,
            request_uri_lifetime: 90,
            dpop_nonces: true,
            dpop_nonce_secret: rand::random(),
            small_rsa_jwk,
            clients,
            codes: Store::new(CAPACITY),
            access_tokens: Store::new(CAPACITY),
            refresh_tokens: Store::new(CAPACITY),
            pushed: Store::new(CAPACITY),
            sessions: Store::new(CAPACITY),
            grants: Store::new(CAPACITY),
            seen_jtis: Store::new(CAPACITY),
            interactions: Store::new(CAPACITY),
            decoupled: Store::new(CAPACITY),
            payment_consents: Store::new(CAPACITY),
            payments: Store::new(CAPACITY),
            idempotency: Store::new(CAPACITY),
            account_consents: Store::new(CAPACITY),
            op_payments: Store::new(CAPACITY),
            op_authorizations: Store::new(CAPACITY),
            exemption_ledgers: Store::new(CAPACITY),
        }
    }

    /// A registered client.
    pub fn client(&self, id: &str) -> Option<&Client> {
        self.clients.iter().find(|c| c.id == id)
    }

    /// An endpoint URL.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.issuer)
    }
}
