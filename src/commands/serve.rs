//! `probity serve`: the reference bank, standalone.

use super::{EXIT_CONFIG, EXIT_OK};
use crate::bank::{BankConfig, Fault, FaultSet, RunningBank, BASIC_CLIENT_ID};
use std::path::PathBuf;

/// Arguments of `probity serve`.
#[derive(Debug, Clone, Default)]
pub struct ServeArgs {
    /// Port (0 = ephemeral).
    pub port: u16,
    /// Plain HTTP.
    pub http: bool,
    /// Require a client certificate on every connection.
    pub mtls: bool,
    /// Fault names.
    pub faults: Vec<String>,
    /// Print the faults and exit.
    pub list_faults: bool,
    /// Where to write the CA certificate and a target profile.
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
    let dir = args
        .out
        .unwrap_or_else(|| std::env::temp_dir().join(format!("probity-bank-{}", bank.addr.port())));
    let target = match write_profile(&bank, &dir, args.http).await {
        Ok(t) => t,
        Err(e) => {
            eprintln!(
                "error: cannot write the bank's files to {}: {e}",
                dir.display()
            );
            return EXIT_CONFIG;
        }
    };
    print_quick_start(&bank, &dir, &target, args.http);
    let _ = tokio::signal::ctrl_c().await;
    bank.shutdown();
    EXIT_OK
}

/// Writes `ca.pem`, the client certificate and `target.yaml` into `dir`.
async fn write_profile(
    bank: &RunningBank,
    dir: &std::path::Path,
    http: bool,
) -> std::io::Result<PathBuf> {
    tokio::fs::create_dir_all(dir).await?;
    tokio::fs::write(dir.join("ca.pem"), &bank.pki.ca_pem).await?;
    tokio::fs::write(dir.join("client.pem"), &bank.pki.client_cert_pem).await?;
    tokio::fs::write(dir.join("client.key"), &bank.pki.client_key_pem).await?;
    let tls = if http {
        String::new()
    } else {
        "tls:\n  ca: ca.pem\n  client_cert: client.pem\n  client_key: client.key\n".to_string()
    };
    let profile = format!(
        "# Written by `probity serve`: a target profile for this bank instance.\nname: probity reference bank\nissuer: {}\nclient:\n  id: {}\n  auth_method: client_secret_basic\n  secret: {}\n  redirect_uri: {}\n{tls}",
        bank.issuer, BASIC_CLIENT_ID, crate::bank::BASIC_CLIENT_SECRET, crate::bank::REDIRECT_URI
    );
    let path = dir.join("target.yaml");
    tokio::fs::write(&path, profile).await?;
    Ok(path)
}

fn print_quick_start(
    bank: &RunningBank,
    dir: &std::path::Path,
    target: &std::path::Path,
    http: bool,
) {
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
    out!("  cargo run --release -- run --target {}", target.display());
    out!("Press Ctrl-C to stop.");
}
