//! probity's detached JWS, checked by an independent implementation:
//! panva/jose (Node.js), for both the OBIE (`b64: false`) and the plain
//! detached form, with PS256, ES256 and RS256; a tampered body must fail.

use josekit::jwk::alg::{ec::EcCurve, ec::EcKeyPair, rsa::RsaKeyPair};
use josekit::jwk::{Jwk, KeyPair};
use probity::jose::{sign_detached, DetachedForm};
use std::io::Write;
use std::process::{Command, Stdio};

fn node_verify(lines: &[String]) -> Vec<String> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/interop/oidc-provider");
    if !dir.join("node_modules/jose/package.json").exists() {
        let ok = Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund"])
            .current_dir(&dir)
            .status()
            .map(|s| s.success());
        assert!(
            matches!(ok, Ok(true)),
            "`npm ci` failed in {}",
            dir.display()
        );
    }
    let mut child = Command::new("node")
        .arg("verify-jws.mjs")
        .current_dir(&dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("node runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(lines.join("\n").as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_string)
        .collect()
}

#[test]
fn panva_jose_verifies_probity_detached_signatures() {
    let keys: Vec<(&str, Jwk)> = vec![
        (
            "PS256",
            RsaKeyPair::generate(2048).unwrap().to_jwk_key_pair(),
        ),
        (
            "RS256",
            RsaKeyPair::generate(2048).unwrap().to_jwk_key_pair(),
        ),
        (
            "ES256",
            EcKeyPair::generate(EcCurve::P256)
                .unwrap()
                .to_jwk_key_pair(),
        ),
    ];
    let body = r#"{"Data":{"Initiation":{"InstructedAmount":{"Amount":"10.50","Currency":"GBP"}}},"Risk":{}}"#;
    let forms = [
        DetachedForm::Plain,
        DetachedForm::Obie {
            iss: "0015800001041RHAAY/probity".into(),
            tan: "openbanking.org.uk".into(),
        },
    ];
    let mut lines = Vec::new();
    let mut expected = Vec::new();
    for (alg, key) in &keys {
        let public = serde_json::Value::Object(key.to_public_key().unwrap().as_ref().clone());
        for form in &forms {
            let jws = sign_detached(body.as_bytes(), key, alg, "k1", form).unwrap();
            lines.push(
                serde_json::json!({ "jws": jws, "payload": body, "jwk": public }).to_string(),
            );
            expected.push(format!("{alg} {form:?}: ok"));
            lines.push(serde_json::json!({ "jws": jws, "payload": body.replace("10.50", "99.99"), "jwk": public }).to_string());
            expected.push(format!("{alg} {form:?}: tampered"));
        }
    }
    let results = node_verify(&lines);
    assert_eq!(results.len(), expected.len(), "{results:?}");
    for (want, got) in expected.iter().zip(&results) {
        if want.ends_with(": ok") {
            assert_eq!(got, "ok", "{want}");
        } else {
            assert!(got.starts_with("error"), "{want}: {got}");
        }
    }
}
