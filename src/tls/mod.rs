//! HTTPS without a reverse proxy: rustls on ring, with the certificate
//! from PEM files (`files`) or from an ACME certificate authority
//! (`acme`), held by one resolver (`resolver`) that a renewal swaps
//! without a restart, and handshakes off the accept loop (`listener`).
//!
//! Nothing here knows axum; `server` puts these connections behind the
//! same `http::app` a plain listener serves.

pub mod acme;
pub mod files;
pub mod listener;
pub mod resolver;
pub mod validity;

pub use resolver::CertResolver;

use std::path::PathBuf;
use std::sync::Arc;

/// The protocol every HTTP connection negotiates (Burrow speaks HTTP/1.1).
pub const ALPN_HTTP1: &[u8] = b"http/1.1";
/// RFC 8737: a connection negotiating this is a certificate authority
/// checking a TLS-ALPN-01 challenge, never a client of the server.
pub const ALPN_ACME: &[u8] = b"acme-tls/1";

/// Why HTTPS could not be set up. Each message names the file or setting
/// and says what to do.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("cannot read {file}: {source}; check tls_cert/tls_key and the file's permissions")]
    Unreadable {
        file: PathBuf,
        source: std::io::Error,
    },
    #[error("{file} is larger than {max} bytes; it is not a certificate or key file")]
    TooLarge { file: PathBuf, max: u64 },
    #[error("{file} holds no PEM certificate (-----BEGIN CERTIFICATE-----); tls_cert must name the certificate chain, e.g. fullchain.pem")]
    NoCertificate { file: PathBuf },
    #[error("{file} holds no usable private key ({reason}); tls_key must name the unencrypted PEM key, e.g. privkey.pem")]
    BadKey { file: PathBuf, reason: String },
    #[error(
        "the key in {key} does not belong to the certificate in {cert}; give the matching pair"
    )]
    Mismatch { cert: PathBuf, key: PathBuf },
    #[error("cannot save {file}: {source}; check the data directory's permissions")]
    Unwritable {
        file: PathBuf,
        source: std::io::Error,
    },
    #[error("getting a certificate over ACME failed: {0}")]
    Acme(String),
}

/// rustls with ring, TLS 1.2 and 1.3, HTTP/1.1 (and the ACME challenge
/// protocol), with certificates from `resolver`.
pub fn server_config(resolver: Arc<CertResolver>) -> Arc<rustls::ServerConfig> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("ring supports the default protocol versions")
        .with_no_client_auth()
        .with_cert_resolver(resolver);
    config.alpn_protocols = vec![ALPN_HTTP1.to_vec(), ALPN_ACME.to_vec()];
    Arc::new(config)
}
