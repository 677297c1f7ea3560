//! Mutual TLS: a rustls acceptor that hands the client certificate (if the
//! client presented one) to handlers as a request extension.

use axum::middleware::AddExtension;
use axum::Extension;
use axum_server::accept::Accept;
use axum_server::tls_rustls::RustlsAcceptor;
use base64::Engine;
use futures::future::BoxFuture;
use sha2::Digest;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_rustls::server::TlsStream;
use tower::Layer;

/// The client certificate of the connection a request came on.
#[derive(Debug, Clone, Default)]
pub struct PeerCertificate(pub Option<Vec<u8>>);

impl PeerCertificate {
    /// The RFC 8705 `x5t#S256` thumbprint: base64url SHA-256 of the DER.
    pub fn thumbprint(&self) -> Option<String> {
        self.0.as_ref().map(|der| thumbprint(der))
    }
}

/// `x5t#S256` of a DER certificate.
pub fn thumbprint(der: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(der))
}

/// Wraps the rustls acceptor to attach the [`PeerCertificate`].
#[derive(Clone)]
pub struct PeerCertAcceptor {
    inner: RustlsAcceptor,
}

impl PeerCertAcceptor {
    /// Wraps an acceptor.
    pub fn new(inner: RustlsAcceptor) -> Self {
        PeerCertAcceptor { inner }
    }
}

impl<I, S> Accept<I, S> for PeerCertAcceptor
where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    S: Send + 'static,
{
    type Stream = TlsStream<I>;
    type Service = AddExtension<S, PeerCertificate>;
    type Future = BoxFuture<'static, std::io::Result<(Self::Stream, Self::Service)>>;

    fn accept(&self, stream: I, service: S) -> Self::Future {
        let acceptor = self.inner.clone();
        Box::pin(async move {
            let (stream, service) = acceptor.accept(stream, service).await?;
            let der = stream
                .get_ref()
                .1
                .peer_certificates()
                .and_then(|c| c.first())
                .map(|c| c.as_ref().to_vec());
            Ok((stream, Extension(PeerCertificate(der)).layer(service)))
        })
    }
}

/// Sets `TCP_NODELAY` on every accepted connection before `inner` sees it:
/// without it a response written in two segments waits for the client's
/// delayed ACK (40 ms on Linux) — most of a one-flow run's time.
#[derive(Clone)]
pub struct NoDelay<A> {
    inner: A,
}

impl<A> NoDelay<A> {
    /// Wraps an acceptor.
    pub fn new(inner: A) -> Self {
        NoDelay { inner }
    }
}

impl<A, S> Accept<tokio::net::TcpStream, S> for NoDelay<A>
where
    A: Accept<tokio::net::TcpStream, S>,
{
    type Stream = A::Stream;
    type Service = A::Service;
    type Future = A::Future;

    fn accept(&self, stream: tokio::net::TcpStream, service: S) -> Self::Future {
        // Best effort: a socket that refuses the option still serves.
        let _ = stream.set_nodelay(true);
        self.inner.accept(stream, service)
    }
}
