//! OpenSSL 3 loads its key decoders lazily, and two threads doing the first
//! decode at once can make one of them fail ("X509_PUBKEY_get0: decode
//! error"): a false `id_token.signature_valid` failure, seen about once in
//! three 100-flow runs at `--jobs 2`. Decoding one RSA and one EC public key
//! once, before any concurrency, removes the race.

use josekit::jwk::Jwk;
use josekit::jws::{ES256, PS256, RS256};
use std::sync::Once;

/// A 2048-bit RSA public key (a test value, no secret).
const RSA: &str = r#"{"kty":"RSA","e":"AQAB","n":"3YJ3JrlWDaYV-Ur7YQWpWkm_KtMyG7KcBLXZTLE-C41-qIz_y_8kyCQUcWLp6z-uY3Dndxqlyp5d1hSeUKsQXRA1JmYCJW-Pr3u6fQl6WnoGdNdWl1W0pz2DpE2lcbEpmfRvHXxM4Tbd2iupUi1P9UXxeQyI_HDnmVlNiWuJCuSSnZsCZiNGiLzfU5exr5aVWIcTvBi71A0M3ftpL71oLg8OgjMuUjC6XfAXInWWwYHd8Zpr7QzDCf67crrHGX2VHrSpVe2Cem39GgwrmryD6KsJ8LDGHH6KoRVyiU8dI5Td8PTOnNez4B1ZW5ZuzBoT_OYYAy7-YaV2fc1Mij-zaQ"}"#;

/// A P-256 public key (a test value, no secret).
const EC: &str = r#"{"kty":"EC","crv":"P-256","x":"BkfYGKA1kPygSqQ1mTWqh0_tKFi7gBCvkPOFjfI7eNM","y":"-8-hSdRQXmFIrajsx-zaZWns8S_m7en53y3s_Hbj7Bc"}"#;

/// Loads OpenSSL's decoders once; later calls return at once.
pub fn warm_up() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        if let Ok(rsa) = Jwk::from_bytes(RSA.as_bytes()) {
            let _ = PS256.verifier_from_jwk(&rsa);
            let _ = RS256.verifier_from_jwk(&rsa);
        }
        if let Ok(ec) = Jwk::from_bytes(EC.as_bytes()) {
            let _ = ES256.verifier_from_jwk(&ec);
        }
    });
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_warm_up_keys_parse() {
        use josekit::jws::{ES256, PS256};
        let rsa = josekit::jwk::Jwk::from_bytes(super::RSA.as_bytes()).unwrap();
        assert!(PS256.verifier_from_jwk(&rsa).is_ok());
        let ec = josekit::jwk::Jwk::from_bytes(super::EC.as_bytes()).unwrap();
        assert!(ES256.verifier_from_jwk(&ec).is_ok());
        super::warm_up();
    }
}
