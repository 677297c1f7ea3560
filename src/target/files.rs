//! The files a target profile names (CA bundle, client certificate and key,
//! signing keys, OpenAPI documents), read with care and checked at load time.
//!
//! A profile is typed by hand, so a wrong path must fail `validate` with the
//! file and line, not the first request with "builder error". Only regular
//! files are read (`/dev/zero` or a FIFO would never end), and at most a
//! fixed size.

use rustls::pki_types::pem::{self, PemObject};
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use std::io::Read;
use std::path::Path;

/// The largest PEM or JWK file read: real ones are a few KiB.
pub(super) const MAX_KEY_FILE: u64 = 1024 * 1024;

/// The largest OpenAPI document read: published banking APIs are ~0.5 MiB.
pub(super) const MAX_OPENAPI_FILE: u64 = 16 * 1024 * 1024;

/// Reads a regular file of at most `cap` bytes as UTF-8 text.
pub(super) fn read_capped(path: &Path, cap: u64) -> Result<String, String> {
    // stat before open: opening a FIFO would block.
    let meta = std::fs::metadata(path).map_err(|e| format!("cannot be read: {e}"))?;
    if !meta.is_file() {
        return Err("is not a regular file".into());
    }
    let file = std::fs::File::open(path).map_err(|e| format!("cannot be read: {e}"))?;
    let mut bytes = Vec::new();
    file.take(cap + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot be read: {e}"))?;
    if bytes.len() as u64 > cap {
        return Err(format!("is larger than {} KiB", cap / 1024));
    }
    String::from_utf8(bytes).map_err(|_| "is not text (PEM, JSON or YAML expected)".into())
}

/// A PEM syntax error in words a user can act on: the library's own carry
/// Rust debug text (`InvalidCharacter(33)`, byte arrays).
fn pem_problem(e: &pem::Error) -> String {
    match e {
        pem::Error::MissingSectionEnd { end_marker } => format!(
            "holds a PEM block with no `-----END {}-----` line: the file was cut short",
            String::from_utf8_lossy(end_marker).trim()
        ),
        pem::Error::IllegalSectionStart { line } => format!(
            "holds a malformed PEM `-----BEGIN` line: `{}`",
            String::from_utf8_lossy(line).trim()
        ),
        pem::Error::Base64Decode(_) => {
            "holds a PEM block whose body is not base64: the file is damaged or was not copied whole"
                .into()
        }
        e => format!("holds a broken PEM block: {e}"),
    }
}

/// The certificates of a PEM bundle, each one parsed; at least one.
fn certificates(pem: &str) -> Result<Vec<CertificateDer<'static>>, String> {
    let certs = CertificateDer::pem_slice_iter(pem.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| pem_problem(&e))?;
    if certs.is_empty() {
        return Err("holds no PEM certificate (`-----BEGIN CERTIFICATE-----`)".into());
    }
    Ok(certs)
}

/// Checks a CA bundle: PEM certificates that parse as X.509.
pub(super) fn check_ca(pem: &str) -> Result<(), String> {
    let mut store = rustls::RootCertStore::empty();
    for (i, cert) in certificates(pem)?.into_iter().enumerate() {
        store.add(cert).map_err(|e| {
            format!(
                "certificate {} is not a valid X.509 certificate: {e}",
                i + 1
            )
        })?;
    }
    Ok(())
}

/// Which half of a client identity is wrong.
pub(super) enum Half {
    /// The certificate file.
    Cert,
    /// The private key file.
    Key,
}

/// Checks an mTLS identity: certificates, a private key the TLS stack can
/// use, and (when it can tell) a key that belongs to the first certificate.
pub(super) fn check_identity(cert_pem: &str, key_pem: &str) -> Result<(), (Half, String)> {
    let certs = certificates(cert_pem).map_err(|e| (Half::Cert, e))?;
    let key = PrivateKeyDer::from_pem_slice(key_pem.as_bytes()).map_err(|e| {
        let why = match e {
            pem::Error::NoItemsFound => {
                "holds no PEM private key (`-----BEGIN PRIVATE KEY-----`)".to_string()
            }
            e => pem_problem(&e),
        };
        (Half::Key, why)
    })?;
    let signer = rustls::crypto::ring::sign::any_supported_type(&key)
        .map_err(|e| (Half::Key, format!("is not a private key TLS can use: {e}")))?;
    match rustls::sign::CertifiedKey::new(certs, signer).keys_match() {
        Ok(()) | Err(rustls::Error::InconsistentKeys(rustls::InconsistentKeys::Unknown)) => Ok(()),
        Err(rustls::Error::InconsistentKeys(_)) => Err((
            Half::Key,
            "does not belong to the certificate in `client_cert`".into(),
        )),
        Err(e) => Err((Half::Cert, format!("is not a valid certificate: {e}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn devices_are_refused_without_reading() {
        let start = std::time::Instant::now();
        let e = read_capped(Path::new("/dev/zero"), MAX_KEY_FILE).unwrap_err();
        assert_eq!(e, "is not a regular file");
        assert!(start.elapsed() < std::time::Duration::from_secs(1));
    }

    #[test]
    fn a_big_file_is_cut_at_the_cap() {
        let f = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(f.path(), vec![b'a'; 2048]).unwrap();
        assert_eq!(
            read_capped(f.path(), 1024).unwrap_err(),
            "is larger than 1 KiB"
        );
        assert_eq!(read_capped(f.path(), 4096).unwrap().len(), 2048);
    }

    #[test]
    fn text_without_certificates_is_named() {
        assert!(check_ca("hello")
            .unwrap_err()
            .contains("holds no PEM certificate"));
        let broken = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
        assert!(check_ca(broken)
            .unwrap_err()
            .contains("certificate 1 is not a valid"));
        let cut = "-----BEGIN CERTIFICATE-----\nAAAA\n";
        assert_eq!(
            check_ca(cut).unwrap_err(),
            "holds a PEM block with no `-----END CERTIFICATE-----` line: the file was cut short"
        );
    }
}
