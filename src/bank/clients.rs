//! The clients registered at the bank, each with its authentication method
//! and consent mode.

use josekit::jwk::alg::ec::{EcCurve, EcKeyPair};
use josekit::jwk::Jwk;

/// How the PSU's consent is obtained for a client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConsentMode {
    /// The authorize request answers 302 straight to the redirect URI (Ozone headless).
    Headless,
    /// HTML login and consent pages with a session cookie.
    Interactive,
    /// The same, built the way many ASPSPs build them: the login form
    /// inside an iframe, the consent buttons written by a script. Only a
    /// real browser gets through.
    InteractiveJs,
}

/// How a client authenticates at the token endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMethod {
    /// HTTP Basic.
    SecretBasic,
    /// Form fields.
    SecretPost,
    /// RFC 7523 client assertion.
    PrivateKeyJwt,
    /// RFC 8705 mutual TLS with the registered certificate.
    TlsClientAuth,
    /// Public client.
    None,
}

impl AuthMethod {
    /// The registered name.
    pub fn name(self) -> &'static str {
        match self {
            AuthMethod::SecretBasic => "client_secret_basic",
            AuthMethod::SecretPost => "client_secret_post",
            AuthMethod::PrivateKeyJwt => "private_key_jwt",
            AuthMethod::TlsClientAuth => "tls_client_auth",
            AuthMethod::None => "none",
        }
    }
}

/// A registered client.
#[derive(Clone)]
pub struct Client {
    /// `client_id`.
    pub id: &'static str,
    /// Token endpoint authentication.
    pub auth: AuthMethod,
    /// Secret, for the secret methods.
    pub secret: Option<&'static str>,
    /// Consent mode.
    pub consent: ConsentMode,
    /// The client's signing key (private part kept so tests and `serve` can
    /// hand it to probity; the bank itself uses only the public part).
    pub key: Jwk,
    /// Whether unsigned (`alg: none`) request objects are accepted, as Ozone does.
    pub allow_unsigned_request: bool,
    /// `x5t#S256` of the certificate registered for `tls_client_auth`.
    pub cert_thumbprint: Option<String>,
    /// Registered as a FAPI 2.0 client: its requests must be pushed with
    /// PKCE S256 and `response_type=code`, and its client assertions
    /// addressed to the issuer alone (FAPI 2.0 SP §5.3.2).
    pub fapi2: bool,
    /// Registered with `dpop_bound_access_tokens` (RFC 9449 §5.2): a token
    /// request without a DPoP proof is refused, even with a certificate.
    pub dpop_bound: bool,
}

/// Client ids.
pub const BASIC: &str = "probity-basic";
/// Client ids.
pub const POST: &str = "probity-post";
/// Client ids.
pub const JWT: &str = "probity-jwt";
/// Client ids.
pub const PUBLIC: &str = "probity-public";
/// Client ids.
pub const INTERACTIVE: &str = "probity-interactive";
/// Client ids.
pub const MTLS: &str = "probity-mtls";
/// Client ids.
pub const INTERACTIVE_JS: &str = "probity-interactive-js";

/// Client ids.
pub const FAPI2: &str = "probity-fapi2";
/// Client ids.
pub const FAPI2_SECOND: &str = "probity-fapi2-second";
/// Client ids.
pub const FAPI2_MTLS: &str = "probity-fapi2-mtls";
/// Client ids.
pub const FAPI2_MTLS_DPOP: &str = "probity-fapi2-mtls-dpop";

/// The registered clients, with fresh EC keys (the FAPI 2 client's is RSA); the mTLS client is bound to
/// the certificate with thumbprint `mtls_cert`.
pub fn registry(mtls_cert: String) -> Result<Vec<Client>, josekit::JoseError> {
    let key = |kid: &str| -> Result<Jwk, josekit::JoseError> {
        let mut k = EcKeyPair::generate(EcCurve::P256)?.to_jwk_key_pair();
        k.set_key_id(kid);
        Ok(k)
    };
    let rsa_key = |kid: &str| -> Result<Jwk, josekit::JoseError> {
        let mut k = josekit::jwk::alg::rsa::RsaKeyPair::generate(2048)?.to_jwk_key_pair();
        k.set_key_id(kid);
        Ok(k)
    };
    Ok(vec![
        Client {
            id: BASIC,
            auth: AuthMethod::SecretBasic,
            secret: Some("probity-basic-secret"),
            consent: ConsentMode::Headless,
            key: key("basic-key")?,
            allow_unsigned_request: true,
            cert_thumbprint: None,
            fapi2: false,
            dpop_bound: false,
        },
        Client {
            id: POST,
            auth: AuthMethod::SecretPost,
            secret: Some("probity-post-secret"),
            consent: ConsentMode::Headless,
            key: key("post-key")?,
            allow_unsigned_request: false,
            cert_thumbprint: None,
            fapi2: false,
            dpop_bound: false,
        },
        Client {
            id: JWT,
            auth: AuthMethod::PrivateKeyJwt,
            secret: None,
            consent: ConsentMode::Headless,
            key: key("jwt-key")?,
            allow_unsigned_request: false,
            cert_thumbprint: None,
            fapi2: false,
            dpop_bound: false,
        },
        Client {
            id: PUBLIC,
            auth: AuthMethod::None,
            secret: None,
            consent: ConsentMode::Interactive,
            key: key("public-key")?,
            allow_unsigned_request: false,
            cert_thumbprint: None,
            fapi2: false,
            dpop_bound: false,
        },
        Client {
            id: INTERACTIVE,
            auth: AuthMethod::SecretBasic,
            secret: Some("probity-interactive-secret"),
            consent: ConsentMode::Interactive,
            key: key("interactive-key")?,
            allow_unsigned_request: false,
            cert_thumbprint: None,
            fapi2: false,
            dpop_bound: false,
        },
        Client {
            id: INTERACTIVE_JS,
            auth: AuthMethod::SecretBasic,
            secret: Some("probity-interactive-js-secret"),
            consent: ConsentMode::InteractiveJs,
            key: key("interactive-js-key")?,
            allow_unsigned_request: false,
            cert_thumbprint: None,
            fapi2: false,
            dpop_bound: false,
        },
        Client {
            id: MTLS,
            auth: AuthMethod::TlsClientAuth,
            secret: None,
            consent: ConsentMode::Headless,
            key: key("mtls-key")?,
            allow_unsigned_request: false,
            cert_thumbprint: Some(mtls_cert.clone()),
            fapi2: false,
            dpop_bound: false,
        },
        // An RSA key (PS256), so that an RS256 assertion by the same key can
        // be sent and refused (FAPI 2.0 SP §5.4.1).
        fapi2_client(
            FAPI2,
            AuthMethod::PrivateKeyJwt,
            rsa_key("fapi2-key")?,
            None,
        ),
        fapi2_client(
            FAPI2_SECOND,
            AuthMethod::PrivateKeyJwt,
            key("fapi2-second-key")?,
            None,
        ),
        fapi2_client(
            FAPI2_MTLS,
            AuthMethod::TlsClientAuth,
            key("fapi2-mtls-key")?,
            Some(mtls_cert.clone()),
        ),
        // Authenticates by certificate, but its tokens are DPoP-bound.
        Client {
            dpop_bound: true,
            ..fapi2_client(
                FAPI2_MTLS_DPOP,
                AuthMethod::TlsClientAuth,
                key("fapi2-mtls-dpop-key")?,
                Some(mtls_cert),
            )
        },
    ])
}

fn fapi2_client(
    id: &'static str,
    auth: AuthMethod,
    key: Jwk,
    cert_thumbprint: Option<String>,
) -> Client {
    Client {
        id,
        auth,
        secret: None,
        // Its PSU logs in and consents on pages, as at a real ASPSP: a
        // visit to the authorization endpoint comes before completion.
        consent: ConsentMode::Interactive,
        key,
        allow_unsigned_request: false,
        cert_thumbprint,
        fapi2: true,
        dpop_bound: false,
    }
}

/// The PSU's username at the bank.
pub const PSU_USERNAME: &str = "alice";
/// The PSU's password (a local test fixture, not a credential).
pub const PSU_PASSWORD: &str = "alice-password";

/// Whether a redirect URI is registered: the clients' `REDIRECT_URI`, or its
/// loopback form `http://127.0.0.1:{any port}/probity/callback` for apps that
/// listen locally (RFC 8252 §7.3: the port is not part of the match).
pub fn redirect_registered(uri: &str) -> bool {
    if uri == crate::bank::REDIRECT_URI {
        return true;
    }
    let Ok(u) = url::Url::parse(uri) else {
        return false;
    };
    let loopback = matches!(u.host_str(), Some("127.0.0.1") | Some("[::1]"));
    u.scheme() == "http"
        && loopback
        && u.path() == "/probity/callback"
        && u.query().is_none()
        && u.fragment().is_none()
}
