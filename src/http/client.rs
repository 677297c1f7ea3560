//! The per-target HTTP client: TLS trust, client identity, limits.

use crate::ConfigError;
use std::time::Duration;

/// Limits applied to every exchange with a target.
#[derive(Debug, Clone)]
pub struct HttpSettings {
    /// Whole-exchange timeout (connect, send, read the body).
    pub timeout: Duration,
    /// Largest response body read; a larger body fails the exchange.
    pub max_body_bytes: usize,
    /// The profile's `insecure_http: true`: a development target on a
    /// loopback host, reached over plain http. Only then may credentials
    /// travel in cleartext, and only to loopback hosts.
    pub insecure_http: bool,
}

impl Default for HttpSettings {
    fn default() -> Self {
        HttpSettings {
            timeout: Duration::from_secs(10),
            max_body_bytes: 5 * 1024 * 1024,
            insecure_http: false,
        }
    }
}

/// Trust and identity for TLS connections to a target.
#[derive(Debug, Clone, Default)]
pub struct TlsSettings {
    /// Extra CA certificates (PEM) trusted besides the public roots.
    pub ca_pem: Option<String>,
    /// Client certificate chain followed by its private key (PEM), for mTLS.
    pub identity_pem: Option<String>,
}

/// A client builder with the target's trust and limits, no identity.
fn base(tls: &TlsSettings, settings: &HttpSettings) -> Result<reqwest::ClientBuilder, ConfigError> {
    let mut builder = reqwest::Client::builder()
        .use_rustls_tls()
        .tcp_nodelay(true)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(settings.timeout)
        .connect_timeout(settings.timeout)
        .user_agent(concat!("probity/", env!("CARGO_PKG_VERSION")));
    if let Some(pem) = &tls.ca_pem {
        for cert in reqwest::Certificate::from_pem_bundle(pem.as_bytes())
            .map_err(|e| ConfigError::Other(format!("CA bundle is not valid PEM: {e}")))?
        {
            builder = builder.add_root_certificate(cert);
        }
    }
    Ok(builder)
}

/// An HTTP client bound to one target. Cheap to share behind an `Arc`.
#[derive(Debug, Clone)]
pub struct HttpClient {
    pub(super) inner: reqwest::Client,
    /// The same client without the TLS client certificate, when there is
    /// one: a request that must show the server refuses a token request
    /// without its holder-of-key (FAPI 2.0 SP §5.3.2.1).
    pub(super) without_certificate: Option<reqwest::Client>,
    pub(super) settings: HttpSettings,
}

impl HttpClient {
    /// Builds the client: redirects are never followed (steps decide), public
    /// roots plus the target's CA are trusted, the client certificate is
    /// presented when the server asks for one.
    pub fn new(tls: &TlsSettings, settings: HttpSettings) -> Result<Self, ConfigError> {
        crate::install_crypto_provider();
        let build = |b: reqwest::ClientBuilder| {
            b.build()
                .map_err(|e| ConfigError::Other(format!("cannot build the HTTP client: {e}")))
        };
        let Some(pem) = &tls.identity_pem else {
            return Ok(HttpClient {
                inner: build(base(tls, &settings)?)?,
                without_certificate: None,
                settings,
            });
        };
        let identity = reqwest::Identity::from_pem(pem.as_bytes()).map_err(|e| {
            ConfigError::Other(format!("client certificate or key is not valid PEM: {e}"))
        })?;
        Ok(HttpClient {
            inner: build(base(tls, &settings)?.identity(identity))?,
            without_certificate: Some(build(base(tls, &settings)?)?),
            settings,
        })
    }

    /// The limits in force.
    pub fn settings(&self) -> &HttpSettings {
        &self.settings
    }
}
