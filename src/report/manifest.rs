//! Tamper evidence: `manifest.json` lists the SHA-256 of every file a run
//! wrote, and `manifest.jws` signs it (ES256 with a generated key whose
//! public half is written as `manifest.pub.jwk`, or the key given with
//! `--sign-key`). `probity verify DIR` names every changed, added or
//! missing file.

use super::ReportError;
use crate::target::ClientKey;
use serde_json::{Map, Value};
use sha2::Digest;
use std::collections::BTreeMap;
use std::path::Path;

const MANIFEST: &str = "manifest.json";
const SIGNATURE: &str = "manifest.jws";
const PUBLIC_KEY: &str = "manifest.pub.jwk";

fn is_manifest(name: &str) -> bool {
    [MANIFEST, SIGNATURE, PUBLIC_KEY].contains(&name)
}

/// SHA-256 of every regular file directly in `dir` but the manifest's own.
fn digests(dir: &Path) -> Result<BTreeMap<String, String>, ReportError> {
    let mut out = BTreeMap::new();
    let entries = std::fs::read_dir(dir).map_err(ReportError::read(dir))?;
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let regular = entry.file_type().map(|t| t.is_file()).unwrap_or(false);
        if !regular || is_manifest(&name) || name.starts_with('.') {
            continue;
        }
        // Streamed: a large run's report.json must not be read into memory.
        let mut hasher = sha2::Sha256::new();
        std::fs::File::open(entry.path())
            .and_then(|mut f| std::io::copy(&mut f, &mut hasher))
            .map_err(ReportError::read(entry.path()))?;
        let hex: String = hasher
            .finalize()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        out.insert(name, hex);
    }
    Ok(out)
}

/// A key to sign with: the one given, else a fresh P-256 key.
fn signing_key(given: Option<&ClientKey>) -> Result<ClientKey, ReportError> {
    if let Some(k) = given {
        return Ok(k.clone());
    }
    use josekit::jwk::alg::ec::{EcCurve, EcKeyPair};
    use josekit::jwk::KeyPair;
    let manifest = |e: String| ReportError::Manifest(format!("cannot make a signing key: {e}"));
    let pair = EcKeyPair::generate(EcCurve::P256).map_err(|e| manifest(e.to_string()))?;
    crate::target::parse_client_key(&pair.to_jwk_key_pair().to_string(), None, None)
        .map_err(manifest)
}

/// Writes `manifest.json`, its signature and the public key into `dir`.
pub fn write(dir: &Path, run_id: &str, key: Option<&ClientKey>) -> Result<(), ReportError> {
    let files = digests(dir)?;
    let key = signing_key(key)?;
    let mut claims = Map::new();
    claims.insert("run_id".into(), run_id.into());
    claims.insert("created_at".into(), super::now().into());
    claims.insert("files".into(), serde_json::to_value(&files)?);
    let jws = crate::jose::sign_jwt(
        &claims,
        &key.alg,
        Some((&key.jwk, &key.kid)),
        Some("probity-manifest+jwt"),
    )
    .map_err(|e| ReportError::Manifest(format!("cannot sign the manifest: {e}")))?;
    let mut public = key
        .jwk
        .to_public_key()
        .map_err(|e| ReportError::Manifest(format!("the signing key has no public half: {e}")))?;
    // The signature names the key only when it has an id; so does the JWK.
    if !key.kid.is_empty() {
        public.set_key_id(&key.kid);
    }
    public.set_algorithm(&key.alg);
    let pretty = serde_json::to_string_pretty(&Value::Object(claims)).unwrap_or_default();
    super::write_atomic(&dir.join(MANIFEST), pretty.as_bytes())
        .and_then(|()| super::write_atomic(&dir.join(SIGNATURE), jws.as_bytes()))
        .and_then(|()| super::write_atomic(&dir.join(PUBLIC_KEY), public.to_string().as_bytes()))
        .map_err(ReportError::write(dir.join(MANIFEST)))
}

/// Checks a run directory against its signed manifest; returns what is
/// wrong (empty when intact). `key` is a public JWK to trust instead of the
/// one written beside the manifest.
pub fn verify(dir: &Path, key: Option<&Path>) -> Result<Vec<String>, ReportError> {
    let read = |p: &Path| std::fs::read_to_string(p).map_err(ReportError::read(p));
    let jws = read(&dir.join(SIGNATURE))?;
    let key_text = read(
        &key.map(Path::to_path_buf)
            .unwrap_or_else(|| dir.join(PUBLIC_KEY)),
    )?;
    let jwk = josekit::jwk::Jwk::from_bytes(key_text.trim().as_bytes())
        .map_err(|e| ReportError::Manifest(format!("the public key is not a JWK: {e}")))?;
    let (_, claims) =
        crate::jose::verify_jwt(jws.trim(), &jwk, &["ES256", "ES384", "PS256", "RS256"]).map_err(
            |e| ReportError::Manifest(format!("the manifest signature does not verify: {e}")),
        )?;
    let mut problems = Vec::new();
    let written: Value = serde_json::from_str(&read(&dir.join(MANIFEST))?).unwrap_or(Value::Null);
    if written != Value::Object(claims.clone()) {
        problems.push("manifest.json differs from the signed manifest".to_string());
    }
    let signed: BTreeMap<String, String> = claims
        .get("files")
        .cloned()
        .and_then(|f| serde_json::from_value(f).ok())
        .unwrap_or_default();
    let now = digests(dir)?;
    for (name, hash) in &signed {
        match now.get(name) {
            None => problems.push(format!("missing: {name}")),
            Some(h) if h != hash => problems.push(format!("changed: {name}")),
            Some(_) => {}
        }
    }
    problems.extend(
        now.keys()
            .filter(|n| !signed.contains_key(*n))
            .map(|n| format!("added: {n}")),
    );
    Ok(problems)
}
