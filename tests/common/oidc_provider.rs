//! panva/oidc-provider (pinned in tests/interop/oidc-provider), started on a
//! free port with a fresh CA and keys, for the interop tests.

use probity::runner::ScenarioResult;
use probity::specs::Verdict;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// The provider's directory: its server, lockfile and target profiles.
pub fn interop_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/interop/oidc-provider")
}

/// Installs the pinned provider from the lockfile when it is missing.
fn ensure_installed() {
    let dir = interop_dir();
    if dir.join("node_modules/oidc-provider/package.json").exists() {
        return;
    }
    let status = Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund"])
        .current_dir(&dir)
        .status();
    match status {
        Ok(s) if s.success() => {}
        other => panic!(
            "`npm ci` in {} failed ({other:?}); Node.js and npm are needed for the interop tests",
            dir.display()
        ),
    }
}

/// How server.mjs configures the provider.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Mode {
    /// An OpenID Provider with a client per authentication method (target.yaml).
    Oidc,
    /// The same with a grant loader that never remembers consent.
    BrokenGrants,
    /// A FAPI 2.0 Security Profile server with two FAPI 2 clients (target-fapi2.yaml).
    Fapi2,
}

/// A running provider and the files it was made with.
pub struct Provider {
    child: Child,
    /// Its issuer, `https://127.0.0.1:PORT`.
    pub issuer: String,
    _dir: tempfile::TempDir,
    /// The variables its target profile reads.
    pub env: Vec<(&'static str, String)>,
}

impl Drop for Provider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p.to_string_lossy().into_owned()
}

/// A fresh client key, P-256 (ES256) or RSA (PS256): (private JWK file,
/// public JWKS file).
fn client_key(dir: &Path, kid: &str, alg: &str) -> (String, String) {
    use josekit::jwk::alg::ec::{EcCurve, EcKeyPair};
    use josekit::jwk::alg::rsa::RsaKeyPair;
    use josekit::jwk::KeyPair;
    let mut key = if alg == "PS256" {
        RsaKeyPair::generate(2048).unwrap().to_jwk_key_pair()
    } else {
        EcKeyPair::generate(EcCurve::P256)
            .unwrap()
            .to_jwk_key_pair()
    };
    key.set_key_id(kid);
    key.set_algorithm(alg);
    let private = write(dir, &format!("{kid}.jwk"), &key.to_string());
    let mut public = key.to_public_key().unwrap();
    public.set_key_id(kid);
    public.set_algorithm(alg);
    let public = write(
        dir,
        &format!("{kid}-jwks.json"),
        &format!("{{\"keys\":[{public}]}}"),
    );
    (private, public)
}

/// Starts server.mjs in `mode` and waits until it listens.
pub fn start(mode: Mode) -> Provider {
    use josekit::jwk::alg::rsa::RsaKeyPair;
    use josekit::jwk::KeyPair;
    ensure_installed();
    let dir = tempfile::tempdir().unwrap();
    let pki = probity::bank::Pki::generate(&["127.0.0.1".into(), "localhost".into()]).unwrap();
    let ca = write(dir.path(), "ca.pem", &pki.ca_pem);
    let cert = write(dir.path(), "server.pem", &pki.server_cert_pem);
    let key = write(dir.path(), "server.key", &pki.server_key_pem);
    // The mTLS clients' certificate (CN=probity-tpp), issued by the same CA.
    let client_cert = write(dir.path(), "client.pem", &pki.client_cert_pem);
    let client_cert_key = write(dir.path(), "client.key", &pki.client_key_pem);
    // FAPI 2.0 SP §5.4.1: PS256, ES256 or EdDSA; the OIDC provider signs with RS256.
    let alg = if mode == Mode::Fapi2 {
        "PS256"
    } else {
        "RS256"
    };
    let mut provider_key = RsaKeyPair::generate(2048).unwrap().to_jwk_key_pair();
    provider_key.set_key_id(format!("provider-{}", alg.to_lowercase()));
    provider_key.set_algorithm(alg);
    provider_key.set_key_use("sig");
    let provider_jwks = write(
        dir.path(),
        "provider-jwks.json",
        &format!("{{\"keys\":[{provider_key}]}}"),
    );
    let (client_private, client_public) = client_key(dir.path(), "probity-jwt-key", "ES256");
    // RSA, so that an RS256 assertion by the same key can be refused.
    let (fapi2_private, fapi2_public) = client_key(dir.path(), "probity-fapi2-key", "PS256");
    let (second_private, second_public) =
        client_key(dir.path(), "probity-fapi2-second-key", "ES256");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = Command::new("node")
        .arg("server.mjs")
        .current_dir(interop_dir())
        .env("PORT", port.to_string())
        .env("TLS_CERT", &cert)
        .env("TLS_KEY", &key)
        .env("CLIENT_CA", &ca)
        .env("PROVIDER_JWKS", &provider_jwks)
        .env("CLIENT_JWKS", &client_public)
        .env("FAPI2_CLIENT_JWKS", &fapi2_public)
        .env("FAPI2_SECOND_JWKS", &second_public)
        .env(
            "BROKEN_GRANTS",
            if mode == Mode::BrokenGrants { "1" } else { "0" },
        )
        .env(
            "PROFILE",
            if mode == Mode::Fapi2 { "fapi2" } else { "oidc" },
        )
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("node starts");
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    // Keep draining: the provider logs warnings, and a closed pipe would kill it (EPIPE).
    std::thread::spawn(move || {
        let mut sink = String::new();
        while stdout.read_line(&mut sink).map(|n| n > 0).unwrap_or(false) {
            eprint!("[oidc-provider] {sink}");
            sink.clear();
        }
    });
    let ready: serde_json::Value = serde_json::from_str(&line)
        .unwrap_or_else(|e| panic!("provider did not start: {e}: {line:?}"));
    let issuer = ready["issuer"].as_str().unwrap().to_string();
    let env = vec![
        ("OIDC_ISSUER", issuer.clone()),
        ("OIDC_CA", ca),
        ("OIDC_CLIENT_KEY", client_private),
        ("OIDC_FAPI2_KEY", fapi2_private),
        ("OIDC_FAPI2_SECOND_KEY", second_private),
        ("OIDC_CLIENT_CERT", client_cert),
        ("OIDC_CLIENT_CERT_KEY", client_cert_key),
        ("OIDC_BASIC_SECRET", "probity-basic-secret".to_string()),
        ("OIDC_POST_SECRET", "probity-post-secret".to_string()),
        ("OIDC_PSU_PASSWORD", "any-password".to_string()),
    ];
    Provider {
        child,
        issuer,
        _dir: dir,
        env,
    }
}

/// Loads a YAML target profile of this directory with the provider's
/// environment. Each interop test binary has one test, so nothing else
/// reads these variables while they are set.
pub fn target_for(p: &Provider, profile: &str) -> probity::target::Target {
    for (k, v) in &p.env {
        std::env::set_var(k, v);
    }
    probity::target::load_target(&interop_dir().join(profile))
        .expect("the interop target profile loads")
}

/// `suite/scenario spec: why` of every failed spec.
pub fn failed(results: &[ScenarioResult]) -> Vec<String> {
    results
        .iter()
        .flat_map(|r| {
            r.specs()
                .filter(|s| s.verdict == Verdict::Failed)
                .map(move |s| {
                    format!(
                        "{}/{} {}: {}",
                        r.suite,
                        r.id,
                        s.id,
                        s.explanation().unwrap_or_default()
                    )
                })
        })
        .collect()
}

/// Writes the run's reports to `target/{dir}` for inspection.
pub fn write_reports(
    target: &probity::target::Target,
    profile: &str,
    dir: &str,
    results: &[ScenarioResult],
) -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("target")
        .join(dir);
    let mut writer = probity::report::ReportWriter::new(probity::report::ReportOptions {
        dir: dir.clone(),
        redactor: probity::http::redact::Redactor::new(target.secrets()),
        command: (
            "probity run".into(),
            format!(" --target tests/interop/oidc-provider/{profile}"),
        ),
        suite_files: Default::default(),
        planned: results
            .iter()
            .map(|r| format!("{}/{}", r.suite, r.id))
            .collect(),
        run: probity::report::RunInfo {
            target: target.name.clone(),
            ..Default::default()
        },
        clients: vec![],
        formats: Default::default(),
        sign_key: None,
        templates: None,
    })
    .unwrap();
    for r in results {
        writer.scenario(r).unwrap();
    }
    writer.finish().unwrap();
    dir
}
