//! The owner's RSA key: generated once (by `rsa`, since ring can't),
//! stored as PKCS#8, used through ring for every signature.

use super::der;
use base64::Engine;
use ring::rand::SystemRandom;
use ring::signature::{self, RsaKeyPair, UnparsedPublicKey};
use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

/// What Mastodon generates; ring signs with 2048 to 4096 bits.
pub const KEY_BITS: usize = 2048;

#[derive(Debug, thiserror::Error)]
#[error("the stored private key is unusable ({0}); restore the data directory from a backup")]
pub struct KeyError(String);

/// A fresh key from the operating system's randomness, PKCS#8 DER.
pub fn generate_pkcs8() -> Vec<u8> {
    generate_with(&mut rand_core::OsRng)
}

/// A deterministic key for tests: the same seed always gives the same key,
/// and each seed is generated only once per process.
pub fn seeded_pkcs8(seed: u64) -> Vec<u8> {
    static CACHE: OnceLock<Mutex<HashMap<u64, Vec<u8>>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    // The lock is held while generating: parallel tests asking for the
    // same seed wait for one generation instead of each doing their own.
    let mut keys = cache.lock().unwrap_or_else(|e| e.into_inner());
    keys.entry(seed)
        .or_insert_with(|| {
            use rand_core::SeedableRng;
            generate_with(&mut rand_chacha::ChaCha8Rng::seed_from_u64(seed))
        })
        .clone()
}

fn generate_with<R: rand_core::CryptoRngCore>(rng: &mut R) -> Vec<u8> {
    use rsa::pkcs8::EncodePrivateKey;
    let key = rsa::RsaPrivateKey::new(rng, KEY_BITS).expect("RSA key generation");
    key.to_pkcs8_der()
        .expect("PKCS#8 encoding of a fresh key")
        .as_bytes()
        .to_vec()
}

/// A private key ready to sign.
pub struct SigningKey {
    pair: RsaKeyPair,
    rng: SystemRandom,
}

impl SigningKey {
    pub fn from_pkcs8(der: &[u8]) -> Result<SigningKey, KeyError> {
        let pair = RsaKeyPair::from_pkcs8(der).map_err(|e| KeyError(e.to_string()))?;
        Ok(SigningKey {
            pair,
            rng: SystemRandom::new(),
        })
    }

    /// RSASSA-PKCS1-v1_5 with SHA-256 (`rsa-sha256`).
    pub fn sign(&self, message: &[u8]) -> Vec<u8> {
        let mut sig = vec![0u8; self.pair.public().modulus_len()];
        self.pair
            .sign(&signature::RSA_PKCS1_SHA256, &self.rng, message, &mut sig)
            .expect("signing with a validated key");
        sig
    }

    /// SPKI PEM (`BEGIN PUBLIC KEY`), as `publicKeyPem` carries it.
    pub fn public_key_pem(&self) -> String {
        let spki = der::pkcs1_to_spki(self.pair.public().as_ref());
        pem_encode("PUBLIC KEY", &spki)
    }
}

fn pem_encode(label: &str, der: &[u8]) -> String {
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(chunk).expect("base64 is ASCII"));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

/// The smallest RSA key accepted from a peer. 1024-bit keys have been
/// within reach of well-funded attackers for years; Mastodon has made
/// 2048 bits since its first release, so only abandoned software or
/// forged actors still use less.
pub const MIN_PEER_KEY_BITS: usize = 2048;

/// Why a peer's `publicKeyPem` is not used.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PublicKeyError {
    #[error("not an RSA public key in PEM (SPKI or PKCS#1) that can be read")]
    Unreadable,
    #[error(
        "the RSA key has {bits} bits; keys of fewer than {MIN_PEER_KEY_BITS} bits are refused"
    )]
    TooShort { bits: usize },
}

/// A remote RSA public key, parsed from `publicKeyPem`.
#[derive(Clone, Debug, PartialEq)]
pub struct PublicKey {
    pkcs1: Vec<u8>,
}

impl PublicKey {
    /// Accepts SPKI (`BEGIN PUBLIC KEY`) and PKCS#1 (`BEGIN RSA PUBLIC KEY`)
    /// of at least `MIN_PEER_KEY_BITS`.
    pub fn parse_pem(pem: &str) -> Result<PublicKey, PublicKeyError> {
        let mut label = None;
        let mut body = String::new();
        for line in pem.lines().map(str::trim) {
            if let Some(l) = line.strip_prefix("-----BEGIN ") {
                label = Some(l.trim_end_matches('-').to_string());
            } else if line.starts_with("-----END ") {
                break;
            } else if label.is_some() {
                body.push_str(line);
            }
        }
        let der = base64::engine::general_purpose::STANDARD
            .decode(body.as_bytes())
            .map_err(|_| PublicKeyError::Unreadable)?;
        let pkcs1 = match label.as_deref() {
            Some("PUBLIC KEY") => der::spki_to_pkcs1(&der)
                .ok_or(PublicKeyError::Unreadable)?
                .to_vec(),
            Some("RSA PUBLIC KEY") => der,
            _ => return Err(PublicKeyError::Unreadable),
        };
        let bits = der::rsa_modulus_bits(&pkcs1).ok_or(PublicKeyError::Unreadable)?;
        if bits < MIN_PEER_KEY_BITS {
            return Err(PublicKeyError::TooShort { bits });
        }
        Ok(PublicKey { pkcs1 })
    }

    /// `parse_pem`, for callers that need no reason.
    pub fn from_pem(pem: &str) -> Option<PublicKey> {
        Self::parse_pem(pem).ok()
    }

    /// Checks an `rsa-sha256` signature. ring refuses keys under 2048
    /// bits here too, whatever `parse_pem` let through.
    pub fn verify(&self, message: &[u8], sig: &[u8]) -> bool {
        UnparsedPublicKey::new(&signature::RSA_PKCS1_2048_8192_SHA256, &self.pkcs1)
            .verify(message, sig)
            .is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeded_keys_sign_and_their_pem_verifies() {
        let der = seeded_pkcs8(1);
        assert_eq!(der, seeded_pkcs8(1));
        let key = SigningKey::from_pkcs8(&der).unwrap();
        let pem = key.public_key_pem();
        assert!(pem.starts_with("-----BEGIN PUBLIC KEY-----\n"));
        let public = PublicKey::from_pem(&pem).unwrap();
        let sig = key.sign(b"hello");
        assert!(public.verify(b"hello", &sig));
        assert!(!public.verify(b"hellO", &sig));
    }

    #[test]
    fn keys_under_2048_bits_are_refused_by_name() {
        use rand_core::SeedableRng;
        use rsa::pkcs8::{EncodePublicKey, LineEnding};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        let weak = rsa::RsaPrivateKey::new(&mut rng, 1024).unwrap();
        let pem = weak
            .to_public_key()
            .to_public_key_pem(LineEnding::LF)
            .unwrap();
        assert_eq!(
            PublicKey::parse_pem(&pem),
            Err(PublicKeyError::TooShort { bits: 1024 })
        );
        let strong = SigningKey::from_pkcs8(&seeded_pkcs8(1)).unwrap();
        assert!(PublicKey::parse_pem(&strong.public_key_pem()).is_ok());
    }

    #[test]
    fn garbage_pem_is_refused() {
        assert!(PublicKey::from_pem("nonsense").is_none());
        assert!(
            PublicKey::from_pem("-----BEGIN PUBLIC KEY-----\n!!!\n-----END PUBLIC KEY-----")
                .is_none()
        );
    }
}
