//! The bank's shared state.

use super::faults::FaultSet;
use super::keys::BankKeys;

/// Everything handlers share. Immutable parts only for now; mutable stores
/// hold their own short-lived locks (never across an await).
pub struct Bank {
    /// The issuer identifier (scheme, host, port).
    pub issuer: String,
    /// Signing keys.
    pub keys: BankKeys,
    /// Faults switched on.
    pub faults: FaultSet,
    /// A deliberately weak RSA key, generated only under `jwks.small_rsa_key`.
    pub small_rsa_jwk: Option<serde_json::Value>,
}
