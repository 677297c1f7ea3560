//! `probity serve`: the reference bank, standalone.

use super::{EXIT_CONFIG, EXIT_OK};
use crate::bank::{BankConfig, Fault, FaultSet, RunningBank};
use std::path::{Path, PathBuf};

/// Arguments of `probity serve`, parsed by clap in `main.rs` and built
/// directly by tests.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ServeArgs {
    /// Port (default: ephemeral).
    #[arg(long, default_value_t = 0)]
    pub port: u16,
    /// Serve plain HTTP instead of HTTPS.
    #[arg(long)]
    pub http: bool,
    /// Require a client certificate (mutual TLS) on every connection.
    #[arg(long, conflicts_with = "http")]
    pub mtls: bool,
    /// Switch on a fault (repeatable).
    #[arg(long = "fault")]
    pub faults: Vec<String>,
    /// List the faults and exit.
    #[arg(long)]
    pub list_faults: bool,
    /// Directory for the CA, client key and target profile, created if missing and kept
    /// (default: a private temporary directory, removed on exit).
    #[arg(long)]
    pub out: Option<PathBuf>,
}

/// Parses fault names; the error names the unknown one.
pub fn parse_faults(names: &[String]) -> Result<FaultSet, String> {
    names
        .iter()
        .map(|n| Fault::parse(n))
        .collect::<Result<Vec<_>, _>>()
        .map(FaultSet::of)
}

/// Runs the bank until Ctrl-C.
pub async fn serve(args: ServeArgs) -> u8 {
    if args.list_faults {
        for f in Fault::ALL {
            out!("{}\t{}", f.name(), f.sentence());
        }
        return EXIT_OK;
    }
    let faults = match parse_faults(&args.faults) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("error: {e}");
            return EXIT_CONFIG;
        }
    };
    let config = BankConfig {
        port: args.port,
        plain_http: args.http,
        faults,
        require_client_cert: args.mtls,
        ..BankConfig::default()
    };
    let bank = match RunningBank::start(config).await {
        Ok(b) => b,
        Err(e) => {
            eprintln!("error: {e}");
            return EXIT_CONFIG;
        }
    };
    let files = match BankFiles::prepare(args.out.as_deref()) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("error: {e}");
            bank.shutdown();
            return EXIT_CONFIG;
        }
    };
    let dir = files.dir().to_path_buf();
    let target = match write_profile(&bank, &dir, args.http) {
        Ok(t) => t,
        Err(e) => {
            eprintln!(
                "error: cannot write the bank's files to {}: {e}",
                dir.display()
            );
            bank.shutdown();
            return EXIT_CONFIG;
        }
    };
    let stop = Stop::listen();
    print_quick_start(&bank, &dir, &target, args.http, files.is_temporary());
    stop.wait().await;
    bank.shutdown();
    // Dropping `files` removes a temporary directory with the client key in it.
    drop(files);
    EXIT_OK
}

/// Ctrl-C (SIGINT) and, on Unix, SIGTERM, listened for before the quick
/// start is printed, so a signal sent right after it still cleans up.
struct Stop {
    #[cfg(unix)]
    signals: Option<(tokio::signal::unix::Signal, tokio::signal::unix::Signal)>,
}

impl Stop {
    fn listen() -> Stop {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            let signals = signal(SignalKind::interrupt())
                .and_then(|i| Ok((i, signal(SignalKind::terminate())?)))
                .ok();
            Stop { signals }
        }
        #[cfg(not(unix))]
        Stop {}
    }

    async fn wait(self) {
        #[cfg(unix)]
        if let Some((mut int, mut term)) = self.signals {
            tokio::select! {
                _ = int.recv() => {}
                _ = term.recv() => {}
            }
            return;
        }
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// Where the bank's CA, client key and profile go: a fresh private
/// directory removed on exit, or the user's `--out DIR`, kept.
///
/// The client key is a secret and the temp folder is shared, so the
/// directory is never a predictable name another user could plant first.
enum BankFiles {
    /// Created exclusively with mode 0700; removed when dropped.
    Temporary(tempfile::TempDir),
    /// The user's directory.
    Kept(PathBuf),
}

impl BankFiles {
    fn prepare(out: Option<&Path>) -> Result<BankFiles, String> {
        match out {
            None => private_temp_dir().map(BankFiles::Temporary).map_err(|e| {
                format!("cannot create a private directory under the temp folder: {e}")
            }),
            Some(dir) => out_dir(dir).map(|()| BankFiles::Kept(dir.to_path_buf())),
        }
    }

    fn dir(&self) -> &Path {
        match self {
            BankFiles::Temporary(t) => t.path(),
            BankFiles::Kept(p) => p,
        }
    }

    fn is_temporary(&self) -> bool {
        matches!(self, BankFiles::Temporary(_))
    }
}

fn private_temp_dir() -> std::io::Result<tempfile::TempDir> {
    let mut builder = tempfile::Builder::new();
    builder.prefix("probity-bank-");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(std::fs::Permissions::from_mode(0o700));
    }
    builder.tempdir()
}

/// Makes `--out DIR` ready: created (0700) if missing; a symlink or a
/// non-directory is refused, so the files land where the user said.
fn out_dir(dir: &Path) -> Result<(), String> {
    match std::fs::symlink_metadata(dir) {
        Ok(m) if m.file_type().is_symlink() => Err(format!(
            "--out {} is a symbolic link; give the real directory",
            dir.display()
        )),
        Ok(m) if !m.is_dir() => Err(format!("--out {} is not a directory", dir.display())),
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let mut builder = std::fs::DirBuilder::new();
            builder.recursive(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::DirBuilderExt;
                builder.mode(0o700);
            }
            builder
                .create(dir)
                .map_err(|e| format!("cannot create --out {}: {e}", dir.display()))
        }
        Err(e) => Err(format!("cannot use --out {}: {e}", dir.display())),
    }
}

/// Writes one file readable by its owner only (0600), never through a
/// link: whatever is at `path` (a file or a planted symlink) is removed
/// first, then the file is created exclusively.
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.is_dir() => {
            return Err(std::io::Error::new(
                std::io::ErrorKind::AlreadyExists,
                format!("{} is a directory", path.display()),
            ))
        }
        Ok(_) => std::fs::remove_file(path)?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)?.write_all(text.as_bytes())
}

/// Writes `ca.pem`, the client certificate and key and `target.yaml` into `dir`.
fn write_profile(bank: &RunningBank, dir: &Path, http: bool) -> std::io::Result<PathBuf> {
    write_private(&dir.join("ca.pem"), &bank.pki.ca_pem)?;
    write_private(&dir.join("client.pem"), &bank.pki.client_cert_pem)?;
    write_private(&dir.join("client.key"), &bank.pki.client_key_pem)?;
    // A plain-http bank listens on loopback: a development target, which
    // the profile must declare to validate and run.
    let tls = if http {
        "insecure_http: true\n".to_string()
    } else {
        "tls:\n  ca: ca.pem\n  client_cert: client.pem\n  client_key: client.key\n".to_string()
    };
    // Every role the shipped suites use, as `RunningBank::target` has them,
    // each signing key in its own private file.
    let target = bank.target();
    let mut clients = String::new();
    for (role, c) in std::iter::once(("default", &target.client))
        .chain(target.clients.iter().map(|(r, c)| (r.as_str(), c)))
    {
        let key_file = format!("{role}.jwk");
        if let Some(k) = &c.key {
            write_private(&dir.join(&key_file), &k.jwk.to_string())?;
        }
        let indent = if role == "default" { "  " } else { "    " };
        let mut entry = format!("{indent}id: {}\n{indent}auth_method: {}\n", c.id, method(c));
        if let Some(secret) = &c.secret {
            entry.push_str(&format!("{indent}secret: {secret}\n"));
        }
        entry.push_str(&format!(
            "{indent}redirect_uri: {}\n",
            crate::bank::REDIRECT_URI
        ));
        if let Some(k) = &c.key {
            entry.push_str(&format!(
                "{indent}signing_key: {key_file}\n{indent}signing_alg: {}\n{indent}kid: {}\n",
                k.alg, k.kid
            ));
        }
        if role == "default" {
            clients = format!("client:\n{entry}clients:\n{clients}");
        } else {
            clients.push_str(&format!("  {role}:\n{entry}"));
        }
    }
    let v = &target.values;
    let profile = format!(
        "# Written by `probity serve`: a target profile for this bank instance, with every\n\
         # client role the shipped suites use (`probity plans --roles`).\n\
         name: probity reference bank\nissuer: {}\n{clients}{tls}\
         consent:\n  driver: redirect\n  \
         login: {{ url_contains: /login, form: \"form#login-form\", fields: {{ username: {}, password: {} }} }}\n  \
         consent: {{ url_contains: /consent, form: \"form#consent-form\", fields: {{ decision: approve }} }}\n\
         values:\n  scope: {}\n  resource_scope: {}\n  login_hint: \"{}\"\n  login_hint_denied: \"{}\"\n  login_hint_expired: \"{}\"\n  \
         ob_version: {}  # Open Banking UK: this bank serves v3.1 and v4.0\n",
        bank.issuer,
        crate::bank::clients::PSU_USERNAME,
        crate::bank::clients::PSU_PASSWORD,
        v.scope,
        v.resource_scope,
        v.login_hint.as_deref().unwrap_or_default(),
        v.login_hint_denied.as_deref().unwrap_or_default(),
        v.login_hint_expired.as_deref().unwrap_or_default(),
        v.ob_version,
    );
    let path = dir.join("target.yaml");
    write_private(&path, &profile)?;
    Ok(path)
}

/// A client's authentication method as profiles write it.
fn method(c: &crate::target::ClientProfile) -> String {
    serde_json::to_value(c.auth_method)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

fn print_quick_start(bank: &RunningBank, dir: &Path, target: &Path, http: bool, temporary: bool) {
    let i = &bank.issuer;
    out!("probity reference bank");
    out!("  issuer:    {i}");
    out!("  discovery: {i}/.well-known/openid-configuration");
    if !http {
        out!("  CA:        {}", dir.join("ca.pem").display());
    }
    out!("  target:    {}", target.display());
    out!("  clients (redirect URI {}):", crate::bank::REDIRECT_URI);
    for c in bank.clients() {
        let secret = c
            .secret
            .map(|s| format!("  secret: {s}"))
            .unwrap_or_default();
        out!(
            "    {:<22} {:<20} consent: {:?}{secret}",
            c.id,
            c.auth.name(),
            c.consent
        );
    }
    out!(
        "  PSU login: {} / {}",
        crate::bank::clients::PSU_USERNAME,
        crate::bank::clients::PSU_PASSWORD
    );
    out!();
    out!("Try it:");
    let cacert = if http {
        String::new()
    } else {
        format!("--cacert {} ", dir.join("ca.pem").display())
    };
    out!("  curl {cacert}{i}/.well-known/openid-configuration");
    out!("  probity run --target {}", target.display());
    if temporary {
        out!("Press Ctrl-C to stop (this removes {}).", dir.display());
    } else {
        out!("Press Ctrl-C to stop.");
    }
}
