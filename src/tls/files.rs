//! A certificate chain and its key from PEM files (`server.tls_cert`,
//! `server.tls_key`), as certbot and most CAs hand them out.

use super::TlsError;
use rustls::sign::CertifiedKey;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use std::io::Read;
use std::path::Path;

/// Certificate chains and keys are a few KiB; a bigger file is a mistake
/// (a wrong path to a log or an image), and reading it whole would cost
/// memory for nothing.
pub const MAX_PEM_BYTES: u64 = 1024 * 1024;

/// Reads `path`, at most `MAX_PEM_BYTES`.
pub fn read_limited(path: &Path) -> Result<Vec<u8>, TlsError> {
    let unreadable = |source| TlsError::Unreadable {
        file: path.to_path_buf(),
        source,
    };
    let file = std::fs::File::open(path).map_err(unreadable)?;
    let mut bytes = Vec::new();
    file.take(MAX_PEM_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(unreadable)?;
    if bytes.len() as u64 > MAX_PEM_BYTES {
        return Err(TlsError::TooLarge {
            file: path.to_path_buf(),
            max: MAX_PEM_BYTES,
        });
    }
    Ok(bytes)
}

/// The chain in `cert` with the key in `key`, checked to belong together.
pub fn load(cert: &Path, key: &Path) -> Result<CertifiedKey, TlsError> {
    let chain = parse_chain(&read_limited(cert)?, cert)?;
    let key_der = parse_key(&read_limited(key)?, key)?;
    certified(chain, key_der, cert, key)
}

pub fn parse_chain(pem: &[u8], file: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let chain: Vec<_> = CertificateDer::pem_slice_iter(pem)
        .filter_map(Result::ok)
        .collect();
    if chain.is_empty() {
        return Err(TlsError::NoCertificate {
            file: file.to_path_buf(),
        });
    }
    Ok(chain)
}

pub fn parse_key(pem: &[u8], file: &Path) -> Result<PrivateKeyDer<'static>, TlsError> {
    PrivateKeyDer::from_pem_slice(pem).map_err(|e| TlsError::BadKey {
        file: file.to_path_buf(),
        reason: match e {
            rustls_pki_types::pem::Error::NoItemsFound => "no PRIVATE KEY block".to_string(),
            other => other.to_string(),
        },
    })
}

/// Pairs a chain with its key for ring, refusing a key of another
/// certificate (which would fail every handshake, confusingly).
pub fn certified(
    chain: Vec<CertificateDer<'static>>,
    key_der: PrivateKeyDer<'static>,
    cert: &Path,
    key: &Path,
) -> Result<CertifiedKey, TlsError> {
    let signing =
        rustls::crypto::ring::sign::any_supported_type(&key_der).map_err(|e| TlsError::BadKey {
            file: key.to_path_buf(),
            reason: e.to_string(),
        })?;
    let certified = CertifiedKey::new(chain, signing);
    match certified.keys_match() {
        Ok(()) | Err(rustls::Error::InconsistentKeys(rustls::InconsistentKeys::Unknown)) => {
            Ok(certified)
        }
        Err(_) => Err(TlsError::Mismatch {
            cert: cert.to_path_buf(),
            key: key.to_path_buf(),
        }),
    }
}
