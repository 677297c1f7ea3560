//! The bank's signing keys: RSA (PS256 and RS256) and EC P-256 (ES256).

use josekit::jwk::alg::ec::EcCurve;
use josekit::jwk::alg::{ec::EcKeyPair, rsa::RsaKeyPair};
use josekit::jwk::{Jwk, KeyPair};
use serde_json::Value;

/// A signing key with its kid and alg.
pub struct SigningKey {
    /// Key id published in the JWKS.
    pub kid: String,
    /// JWS alg the key is used with.
    pub alg: &'static str,
    /// The private JWK.
    pub private: Jwk,
    /// The public JWK as published, derived once when the key is made.
    public: Value,
}

impl SigningKey {
    /// A signing key from a fresh private JWK.
    fn new(prefix: &str, alg: &'static str, private: Jwk) -> Result<Self, josekit::JoseError> {
        let kid = thumb(prefix, &private);
        let mut public = private.to_public_key()?;
        public.set_key_id(&kid);
        public.set_algorithm(alg);
        public.set_key_use("sig");
        Ok(SigningKey {
            kid,
            alg,
            private,
            public: Value::Object(public.as_ref().clone()),
        })
    }

    /// The public JWK as published.
    pub fn public_jwk(&self) -> Value {
        self.public.clone()
    }
}

/// Every key the bank signs with.
pub struct BankKeys {
    /// PS256 RSA key.
    pub ps256: SigningKey,
    /// RS256 RSA key.
    pub rs256: SigningKey,
    /// ES256 P-256 key.
    pub es256: SigningKey,
}

impl BankKeys {
    /// Generates fresh keys.
    pub fn generate() -> Result<Self, josekit::JoseError> {
        let rsa_ps = RsaKeyPair::generate(2048)?.to_jwk_key_pair();
        let rsa_rs = RsaKeyPair::generate(2048)?.to_jwk_key_pair();
        let ec = EcKeyPair::generate(EcCurve::P256)?.to_jwk_key_pair();
        Ok(BankKeys {
            ps256: SigningKey::new("ps256", "PS256", rsa_ps)?,
            rs256: SigningKey::new("rs256", "RS256", rsa_rs)?,
            es256: SigningKey::new("es256", "ES256", ec)?,
        })
    }

    /// All keys, in JWKS order.
    pub fn all(&self) -> [&SigningKey; 3] {
        [&self.ps256, &self.rs256, &self.es256]
    }
}

/// A short, stable kid: the alg name plus the start of a hash of the public key.
fn thumb(prefix: &str, jwk: &Jwk) -> String {
    use sha2::Digest;
    let public = jwk
        .to_public_key()
        .map(|k| k.to_string())
        .unwrap_or_default();
    let digest = sha2::Sha256::digest(public.as_bytes());
    let hex: String = digest.iter().take(6).map(|b| format!("{b:02x}")).collect();
    format!("{prefix}-{hex}")
}

/// A 1024-bit RSA public JWK, for the `jwks.small_rsa_key` fault only.
pub fn weak_rsa_jwk() -> Result<Value, josekit::JoseError> {
    let k = RsaKeyPair::generate(1024)?.to_jwk_key_pair();
    let mut public = k.to_public_key()?;
    public.set_key_id("weak-rsa-1024");
    public.set_algorithm("RS256");
    public.set_key_use("sig");
    Ok(Value::Object(public.as_ref().clone()))
}
