//! The OIDC hash claims: `at_hash`, `c_hash`, `s_hash`, `rt_hash`
//! (OpenID Connect Core §3.3.2.11, FAPI 1 Advanced §5.1).

use base64::Engine;
use sha2::Digest;

/// The left-most half of the hash of `value` under the hash function of the
/// JWS `alg`, base64url without padding. `None` for an alg without a hash.
pub fn oidc_hash(alg: &str, value: &str) -> Option<String> {
    let digest: Vec<u8> = match &alg[alg.len().saturating_sub(3)..] {
        "256" => sha2::Sha256::digest(value.as_bytes()).to_vec(),
        "384" => sha2::Sha384::digest(value.as_bytes()).to_vec(),
        "512" => sha2::Sha512::digest(value.as_bytes()).to_vec(),
        _ if alg == "EdDSA" => sha2::Sha512::digest(value.as_bytes()).to_vec(),
        _ => return None,
    };
    Some(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&digest[..digest.len() / 2]))
}

#[cfg(test)]
mod tests {
    use super::oidc_hash;

    #[test]
    fn matches_the_oidc_core_example() {
        // OpenID Connect Core 1.0, Appendix A.3/A.4: access token and its at_hash (RS256).
        assert_eq!(
            oidc_hash("RS256", "jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y").unwrap(),
            "77QmUPtjPfzWtF2AnpK9RQ"
        );
        // Appendix A.4: code and its c_hash.
        assert_eq!(
            oidc_hash(
                "RS256",
                "Qcb0Orv1zh30vL1MPRsbm-diHiMwcLyZvn1arpZv-Jxf_11jnpEX3Tgfvk"
            )
            .unwrap(),
            "LDktKdoQak3Pk0cnXxCltA"
        );
        assert_eq!(oidc_hash("none", "x"), None);
    }
}
