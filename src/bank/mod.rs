//! The embedded reference bank: a model ASPSP (axum) that serves every flow
//! probity tests, over HTTPS with a CA generated at start, with named
//! [`Fault`]s that make it non-conformant in one precise way each.

// Request helpers return `Result<_, axum::response::Response>` so that `?`
// hands the error response straight back to the handler (the axum idiom).
// A `Response` is 128 bytes and is built at most once per refused request, so
// boxing it would add noise at every call site for no measurable gain.
#![allow(clippy::result_large_err)]

pub mod ais;
pub mod clients;
mod discovery;
pub mod faults;
mod fields;
pub mod jws;
mod keys;
pub mod mtls;
pub mod oauth;
mod ob_errors;
pub mod ob_version;
pub mod obie;
pub mod op;
mod state;
mod store;
mod tls;

pub use faults::{Fault, FaultSet};
pub use tls::Pki;

use crate::http::{HttpSettings, TlsSettings};
use crate::target::{
    ClientAuthMethod, ClientKey, ClientProfile, ConsentDriver, ConsentSettings, FormPage,
    ScenarioValues, Target,
};
use axum::routing::{get, post, put};
use axum::Router;
use ob_version::ObVersion;
use state::Bank;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;

/// How to start a bank.
#[derive(Debug, Clone)]
pub struct BankConfig {
    /// Address to bind (default 127.0.0.1).
    pub bind: IpAddr,
    /// Port (0 = ephemeral).
    pub port: u16,
    /// Serve plain HTTP instead of HTTPS.
    pub plain_http: bool,
    /// Faults to switch on.
    pub faults: FaultSet,
    /// Refuse TLS connections without a client certificate (`serve --mtls`).
    pub require_client_cert: bool,
    /// Seconds a pushed `request_uri` lives (default 90): tests of its
    /// expiry shorten it.
    pub request_uri_lifetime_s: Option<i64>,
    /// Demand a server nonce in DPoP proofs (default yes), as RFC 9449 §8
    /// and §9 allow: DPoP clients must then follow `use_dpop_nonce`.
    pub dpop_nonces: bool,
}

impl Default for BankConfig {
    fn default() -> Self {
        BankConfig {
            bind: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: 0,
            plain_http: false,
            faults: FaultSet::none(),
            require_client_cert: false,
            request_uri_lifetime_s: None,
            dpop_nonces: true,
        }
    }
}

/// The client registered for `client_secret_basic`.
pub const BASIC_CLIENT_ID: &str = clients::BASIC;
/// Its secret. The bank is a local test fixture; this is not a credential.
pub const BASIC_CLIENT_SECRET: &str = "probity-basic-secret";
/// The redirect URI registered for the bank's clients.
pub const REDIRECT_URI: &str = "https://127.0.0.1/probity/callback";

/// A bank that is serving.
pub struct RunningBank {
    /// The issuer, e.g. `https://127.0.0.1:43123`.
    pub issuer: String,
    /// The bound address.
    pub addr: SocketAddr,
    /// Generated PKI (CA to trust, client certificate for mTLS).
    pub pki: Pki,
    handle: axum_server::Handle,
    state: Arc<Bank>,
}

/// Why the bank could not start.
#[derive(Debug, thiserror::Error)]
pub enum BankError {
    /// Key or certificate generation failed.
    #[error("cannot generate the bank's keys or certificates: {0}")]
    Crypto(String),
    /// The port could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// The I/O error.
        source: std::io::Error,
    },
}

impl RunningBank {
    /// Starts a bank on the current tokio runtime.
    pub async fn start(config: BankConfig) -> Result<RunningBank, BankError> {
        crate::jose::warm_up();
        crate::install_crypto_provider();
        let addr = SocketAddr::new(config.bind, config.port);
        let listener =
            std::net::TcpListener::bind(addr).map_err(|source| BankError::Bind { addr, source })?;
        listener
            .set_nonblocking(true)
            .map_err(|source| BankError::Bind { addr, source })?;
        let addr = listener
            .local_addr()
            .map_err(|source| BankError::Bind { addr, source })?;
        let scheme = if config.plain_http { "http" } else { "https" };
        let issuer = format!("{scheme}://{addr}");
        let faults = config.faults.clone();
        let (pki, bank) = tokio::task::spawn_blocking(move || prepare(addr, issuer, faults))
            .await
            .map_err(|e| BankError::Crypto(e.to_string()))??;
        let issuer = bank.issuer.clone();
        let mut bank = bank;
        if let Some(s) = config.request_uri_lifetime_s {
            bank.request_uri_lifetime = s;
        }
        bank.dpop_nonces = config.dpop_nonces;
        let state = Arc::new(bank);
        let app = router(state.clone());
        let handle = axum_server::Handle::new();
        let h = handle.clone();
        if config.plain_http {
            let app = app.layer(axum::Extension(mtls::PeerCertificate(None)));
            let server = axum_server::from_tcp(listener)
                .acceptor(mtls::NoDelay::new(
                    axum_server::accept::DefaultAcceptor::new(),
                ))
                .handle(h);
            tokio::spawn(async move { server.serve(app.into_make_service()).await });
        } else {
            let tls = pki
                .server_config(config.require_client_cert)
                .map_err(BankError::Crypto)?;
            let rustls = axum_server::tls_rustls::RustlsConfig::from_config(Arc::new(tls));
            let acceptor = mtls::NoDelay::new(mtls::PeerCertAcceptor::new(
                axum_server::tls_rustls::RustlsAcceptor::new(rustls),
            ));
            let server = axum_server::from_tcp(listener).acceptor(acceptor).handle(h);
            tokio::spawn(async move { server.serve(app.into_make_service()).await });
        }
        Ok(RunningBank {
            issuer,
            addr,
            pki,
            handle,
            state,
        })
    }

    /// A target profile for this bank, as `probity run` uses it: the
    /// headless basic client by default, every other client by its short
    /// name (`post`, `jwt`, `public`, `interactive`), and form-driver
    /// settings for the interactive pages.
    // `clients::registry` always registers the basic client.
    #[allow(clippy::expect_used)]
    pub fn target(&self) -> Target {
        let basic = self.state.client(BASIC_CLIENT_ID).expect("registered");
        let clients = self
            .state
            .clients
            .iter()
            .filter(|c| c.id != BASIC_CLIENT_ID)
            .map(|c| {
                (
                    c.id.trim_start_matches("probity-").to_string(),
                    profile_of(c),
                )
            });
        Target {
            name: format!("probity reference bank ({})", self.issuer),
            issuer: self.issuer.clone(),
            discovery_url: Target::discovery_url_for(&self.issuer),
            api_base: self.issuer.clone(),
            client: profile_of(basic),
            clients: clients.collect(),
            consent: consent_settings(),
            tls: TlsSettings {
                ca_pem: Some(self.pki.ca_pem.clone()),
                identity_pem: Some(format!(
                    "{}\n{}",
                    self.pki.client_cert_pem, self.pki.client_key_pem
                )),
            },
            // `BankConfig::plain_http` binds a loopback address by default;
            // such a bank is a development target.
            http: HttpSettings {
                insecure_http: self.issuer.starts_with("http://"),
                ..HttpSettings::default()
            },
            openapi: None,
            values: ScenarioValues {
                scope: "openid accounts".into(),
                resource_scope: "accounts".into(),
                login_hint: Some("alice".into()),
                login_hint_denied: Some("deny:alice".into()),
                login_hint_expired: Some("expire:alice".into()),
                ..ScenarioValues::default()
            },
            plans: vec![],
            variant: Default::default(),
            secret_fields: vec![],
        }
    }

    /// A registered client's private signing key (for private_key_jwt and
    /// signed request objects), as a JWK.
    pub fn client_key(&self, client_id: &str) -> Option<josekit::jwk::Jwk> {
        self.state.client(client_id).map(|c| c.key.clone())
    }

    /// The registered clients.
    pub fn clients(&self) -> &[clients::Client] {
        &self.state.clients
    }

    /// A registered client's secret, for the secret methods.
    pub fn client_secret(&self, client_id: &str) -> Option<&'static str> {
        self.state.client(client_id).and_then(|c| c.secret)
    }

    /// Stops serving.
    pub fn shutdown(&self) {
        self.handle.shutdown();
    }
}

impl Drop for RunningBank {
    fn drop(&mut self) {
        self.handle.shutdown();
    }
}

/// The client profile probity uses for a registered client.
fn profile_of(c: &clients::Client) -> ClientProfile {
    let auth_method = match c.auth {
        clients::AuthMethod::SecretBasic => ClientAuthMethod::ClientSecretBasic,
        clients::AuthMethod::SecretPost => ClientAuthMethod::ClientSecretPost,
        clients::AuthMethod::PrivateKeyJwt => ClientAuthMethod::PrivateKeyJwt,
        clients::AuthMethod::TlsClientAuth => ClientAuthMethod::TlsClientAuth,
        clients::AuthMethod::None => ClientAuthMethod::None,
    };
    let kid = c.key.key_id().unwrap_or_default().to_string();
    ClientProfile {
        id: c.id.into(),
        auth_method,
        secret: c.secret.map(str::to_string),
        redirect_uri: Some(REDIRECT_URI.into()),
        key: Some(ClientKey {
            jwk: c.key.clone(),
            kid,
            alg: crate::jose::signer_alg_for(&c.key).into(),
        }),
        assertion_audience: Default::default(),
    }
}

/// How the form driver finds and fills the bank's login and consent pages.
fn consent_settings() -> ConsentSettings {
    let page = |url: &str, form: &str, fields: &[(&str, &str)]| FormPage {
        url_contains: Some(url.into()),
        detect: None,
        form: form.into(),
        fields: fields
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    };
    ConsentSettings {
        driver: ConsentDriver::Form,
        login: Some(page(
            "/login",
            "form#login-form",
            &[
                ("username", clients::PSU_USERNAME),
                ("password", clients::PSU_PASSWORD),
            ],
        )),
        consent: Some(page(
            "/consent",
            "form#consent-form",
            &[("decision", "approve")],
        )),
        max_redirects: 10,
        manual: Default::default(),
        pages: serde_saphyr::from_str(PAGE_SCRIPTS).unwrap_or_default(),
        browser_timeout: std::time::Duration::from_secs(10),
    }
}

/// The browser driver's scripts for the bank's pages, as a profile writes
/// them (`consent.pages`): the plain login form, the `interactive-js` login
/// form inside its iframe, and either consent page (whose JavaScript
/// version shows its buttons only after a script runs).
pub const PAGE_SCRIPTS: &str = r#"
- name: login
  url_contains: /login
  detect: "iframe#login-frame"
  actions:
    - frame: "iframe#login-frame"
    - fill: { selector: "input[name=username]", value: alice }
    - fill: { selector: "input[name=password]", value: alice-password }
    - click: "button[type=submit]"
- name: login
  url_contains: /login
  detect: "form#login-form"
  actions:
    - fill: { selector: "input[name=username]", value: alice }
    - fill: { selector: "input[name=password]", value: alice-password }
    - click: "button[type=submit]"
- name: consent
  url_contains: /consent
  when: denies
  actions:
    - wait_for: "button[value=deny]"
    - click: "button[value=deny]"
- name: consent
  url_contains: /consent
  detect: '#consent-app'
  actions:
    - wait_for: "select[name=account]"
    - select: { selector: "select[name=account]", value: acc-1 }
    - click: "button[value=approve]"
- name: consent
  url_contains: /consent
  actions:
    - wait_for: "button[value=approve]"
    - click: "button[value=approve]"
"#;

/// Generates keys and certificates (CPU-bound: run off the async runtime).
fn prepare(addr: SocketAddr, issuer: String, faults: FaultSet) -> Result<(Pki, Bank), BankError> {
    let hosts = vec!["localhost".to_string(), addr.ip().to_string()];
    let pki = Pki::generate(&hosts).map_err(|e| BankError::Crypto(e.to_string()))?;
    let keys = keys::BankKeys::generate().map_err(|e| BankError::Crypto(e.to_string()))?;
    let small_rsa_jwk = if faults.has(Fault::JwksSmallRsaKey) {
        Some(keys::weak_rsa_jwk().map_err(|e| BankError::Crypto(e.to_string()))?)
    } else {
        None
    };
    let mtls_cert = mtls::thumbprint(&pki.client_cert_der());
    let clients = clients::registry(mtls_cert).map_err(|e| BankError::Crypto(e.to_string()))?;
    Ok((pki, Bank::new(issuer, keys, faults, small_rsa_jwk, clients)))
}

/// The OBIE payment initiation API of one version, every answer carrying
/// an interaction id.
fn pis_routes(bank: Arc<Bank>, version: ObVersion) -> Router<Arc<Bank>> {
    let base = version.pisp();
    Router::new()
        .route(
            &format!("{base}/domestic-payment-consents"),
            post(obie::create_consent),
        )
        .route(
            &format!("{base}/domestic-payment-consents/{{id}}"),
            get(obie::get_consent),
        )
        .route(
            &format!("{base}/domestic-payments"),
            post(obie::create_payment),
        )
        .route(
            &format!("{base}/domestic-payments/{{id}}"),
            get(obie::get_payment),
        )
        .route(
            &format!("{base}/domestic-payments/{{id}}/payment-details"),
            get(obie::payment_details),
        )
        .layer(axum::middleware::from_fn_with_state(
            bank.clone(),
            ob_errors::payment_api,
        ))
        .layer(axum::Extension(version))
        .layer(axum::middleware::from_fn_with_state(
            bank,
            obie::interaction_id,
        ))
}

/// The OBIE account information API of one version.
fn ais_routes(bank: Arc<Bank>, version: ObVersion) -> Router<Arc<Bank>> {
    let base = version.aisp();
    Router::new()
        .route(
            &format!("{base}/account-access-consents"),
            post(ais::create_consent),
        )
        .route(
            &format!("{base}/account-access-consents/{{id}}"),
            get(ais::get_consent).delete(ais::delete_consent),
        )
        .route(&format!("{base}/accounts"), get(ais::list))
        .route(
            &format!("{base}/accounts/{{id}}/balances"),
            get(ais::balances),
        )
        .route(
            &format!("{base}/accounts/{{id}}/transactions"),
            get(ais::transactions),
        )
        .layer(axum::middleware::from_fn_with_state(
            bank.clone(),
            ob_errors::account_api,
        ))
        .layer(axum::Extension(version))
        .layer(axum::middleware::from_fn_with_state(
            bank,
            ais::interaction_id,
        ))
}

/// Both OBIE APIs in every version the bank serves.
fn obie_routes(bank: Arc<Bank>) -> Router<Arc<Bank>> {
    ObVersion::ALL
        .into_iter()
        .fold(Router::new(), |router, version| {
            router
                .merge(pis_routes(bank.clone(), version))
                .merge(ais_routes(bank.clone(), version))
        })
}

fn op_routes() -> Router<Arc<Bank>> {
    let base = op::BASE;
    Router::new()
        .route(&format!("{base}/sepa-payments"), post(op::create))
        .route(
            &format!("{base}/sepa-payments/{{id}}"),
            get(op::get).delete(op::delete),
        )
        .route(
            &format!("{base}/sepa-payments/{{id}}/submissions/{{submission}}"),
            put(op::submit),
        )
        .route(
            &format!("{base}/authorizations/{{id}}"),
            get(op::get_authorization).delete(op::delete_authorization),
        )
}

fn router(bank: Arc<Bank>) -> Router {
    Router::new()
        .route(
            "/.well-known/openid-configuration",
            get(discovery::configuration),
        )
        .route("/jwks", get(discovery::jwks))
        .route(
            "/authorize",
            get(oauth::authorize::authorize).post(oauth::authorize::authorize_post),
        )
        .route("/par", post(oauth::par::par))
        .route("/bc-authorize", post(oauth::decoupled::ciba))
        .route("/headless/authorize", post(oauth::decoupled::headless))
        .route("/token", post(oauth::token::token))
        .route(
            "/login",
            get(oauth::interactive::login_page).post(oauth::interactive::login),
        )
        .route("/login/frame", get(oauth::interactive::login_frame))
        .route(
            "/consent",
            get(oauth::interactive::consent_page).post(oauth::interactive::consent),
        )
        .route(
            "/userinfo",
            get(oauth::resources::userinfo).post(oauth::resources::userinfo_post),
        )
        .merge(obie_routes(bank.clone()))
        .merge(op_routes())
        .route("/introspect", post(oauth::resources::introspect))
        .route("/revoke", post(oauth::resources::revoke))
        .layer(axum::middleware::from_fn_with_state(
            bank.clone(),
            oauth::dpop::resource_layer,
        ))
        .with_state(bank)
}
