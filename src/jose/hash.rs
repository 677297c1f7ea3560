//! The OIDC hash claims: `at_hash`, `c_hash`, `s_hash`, `rt_hash`
//! (OpenID Connect Core §3.3.2.11, FAPI 1 Advanced §5.1).

use base64::Engine;
use sha2::Digest;

/// The left-most half of the hash of `value` under the hash function of the
/// JWS `alg`, base64url without padding. `None` for an alg without a hash.
///
/// The alg comes from the target's token, so any text must be safe here:
/// suffixes are compared as text, never sliced by byte offset.
pub fn oidc_hash(alg: &str, value: &str) -> Option<String> {
    let bytes = value.as_bytes();
    let digest: Vec<u8> = if alg == "EdDSA" || alg.ends_with("512") {
        sha2::Sha512::digest(bytes).to_vec()
    } else if alg.ends_with("256") {
        sha2::Sha256::digest(bytes).to_vec()
    } else if alg.ends_with("384") {
        sha2::Sha384::digest(bytes).to_vec()
    } else {
        return None;
    };
    let (left, _) = digest.split_at_checked(digest.len() / 2)?;
    Some(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(left))
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

    #[test]
    fn a_hostile_alg_is_no_hash_rather_than_a_panic() {
        // A multi-byte character across the last three bytes used to panic.
        assert_eq!(oidc_hash("PS2é6", "x"), None);
        assert_eq!(oidc_hash("é", "x"), None);
        assert_eq!(oidc_hash("", "x"), None);
        let long = format!("{}é", "A".repeat(100_000));
        assert_eq!(oidc_hash(&long, "x"), None);
        assert_eq!(oidc_hash("EdDSA", "x").map(|h| h.len()), Some(43));
        assert_eq!(oidc_hash("ES384", "x").map(|h| h.len()), Some(32));
    }
}
