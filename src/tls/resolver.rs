//! The certificate every handshake gets, swappable while serving: a
//! renewal replaces it and the next handshake uses the new one, with no
//! restart and no dropped connection.

use super::ALPN_ACME;
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};

#[derive(Debug, Default)]
pub struct CertResolver {
    /// The server's certificate; `None` until ACME has issued the first
    /// one (handshakes fail until then, nothing else does).
    current: RwLock<Option<Arc<CertifiedKey>>>,
    /// TLS-ALPN-01 challenge certificates by domain, present only while a
    /// challenge is being validated; at most one per configured domain.
    challenges: Mutex<HashMap<String, Arc<CertifiedKey>>>,
}

impl CertResolver {
    pub fn new(current: Option<CertifiedKey>) -> CertResolver {
        CertResolver {
            current: RwLock::new(current.map(Arc::new)),
            challenges: Mutex::default(),
        }
    }

    /// Serves `key` from the next handshake on.
    pub fn set(&self, key: CertifiedKey) {
        *self.current.write().unwrap_or_else(|e| e.into_inner()) = Some(Arc::new(key));
    }

    pub fn current(&self) -> Option<Arc<CertifiedKey>> {
        self.current
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    pub fn set_challenge(&self, domain: &str, key: CertifiedKey) {
        self.challenges
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(domain.to_ascii_lowercase(), Arc::new(key));
    }

    pub fn clear_challenge(&self, domain: &str) {
        self.challenges
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&domain.to_ascii_lowercase());
    }
}

impl ResolvesServerCert for CertResolver {
    fn resolve(&self, hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        let validating = hello
            .alpn()
            .is_some_and(|mut protocols| protocols.any(|p| p == ALPN_ACME));
        if validating {
            // Only the challenge certificate answers the CA, never the
            // real one (RFC 8737 §3).
            let name = hello.server_name()?.to_ascii_lowercase();
            return self
                .challenges
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .get(&name)
                .cloned();
        }
        self.current()
    }
}
