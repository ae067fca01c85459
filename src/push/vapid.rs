//! VAPID (RFC 8292): how we identify ourselves to push services. One
//! P-256 key pair per server, made on first use and kept in the store;
//! apps subscribe with its public half (`vapid_key`, `server_key`), and
//! push services then accept messages only with a token it signed.

use crate::store::push::VapidKey;
use crate::store::{Store, StoreError};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use ring::rand::SystemRandom;
use ring::signature::{EcdsaKeyPair, KeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};

/// How long a token is valid. RFC 8292 §2 allows at most 24 hours; half
/// of that leaves room for our clock and the push service's to differ.
pub const JWT_LIFETIME_SECS: i64 = 12 * 60 * 60;

#[derive(Debug, thiserror::Error)]
pub enum VapidError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the stored VAPID key is unusable; the data directory may be damaged")]
    BadKey,
    #[error("`{0}` is not a URL a push message can be sent to")]
    BadEndpoint(String),
}

fn generate() -> VapidKey {
    let rng = SystemRandom::new();
    let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
        .expect("the system random number generator works");
    let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng)
        .expect("ring parses the key it just made");
    VapidKey {
        pkcs8: pkcs8.as_ref().to_vec(),
        public_key: pair.public_key().as_ref().to_vec(),
    }
}

/// The server's key pair, made on first use.
pub fn key(store: &Store) -> Result<VapidKey, StoreError> {
    store.vapid_key(generate)
}

/// The public key as apps want it: the uncompressed point in base64url
/// without padding (what browsers' `applicationServerKey` takes).
pub fn public_key(store: &Store) -> Result<String, StoreError> {
    Ok(URL_SAFE_NO_PAD.encode(key(store)?.public_key))
}

/// The `aud` of a token: the push service's origin (`https://host[:port]`).
pub fn audience(endpoint: &str) -> Result<String, VapidError> {
    let url = url::Url::parse(endpoint).map_err(|_| VapidError::BadEndpoint(endpoint.into()))?;
    match url.origin() {
        o @ url::Origin::Tuple(..) => Ok(o.ascii_serialization()),
        url::Origin::Opaque(_) => Err(VapidError::BadEndpoint(endpoint.into())),
    }
}

/// A signed ES256 JWT for `audience`, valid until `now_secs +
/// JWT_LIFETIME_SECS`. `subject` is how the push service can reach us
/// (`mailto:` or our https URL).
pub fn jwt(
    key: &VapidKey,
    audience: &str,
    subject: &str,
    now_secs: i64,
) -> Result<String, VapidError> {
    let rng = SystemRandom::new();
    let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &key.pkcs8, &rng)
        .map_err(|_| VapidError::BadKey)?;
    let header = URL_SAFE_NO_PAD.encode(br#"{"typ":"JWT","alg":"ES256"}"#);
    let claims = serde_json::json!({
        "aud": audience,
        "exp": now_secs + JWT_LIFETIME_SECS,
        "sub": subject,
    });
    let claims = URL_SAFE_NO_PAD.encode(claims.to_string());
    let signing_input = format!("{header}.{claims}");
    let sig = pair
        .sign(&rng, signing_input.as_bytes())
        .map_err(|_| VapidError::BadKey)?;
    Ok(format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(sig)))
}

/// The `Authorization` header value for a message to `endpoint`.
pub fn authorization(
    key: &VapidKey,
    endpoint: &str,
    subject: &str,
    now_secs: i64,
) -> Result<String, VapidError> {
    let token = jwt(key, &audience(endpoint)?, subject, now_secs)?;
    Ok(format!(
        "vapid t={token}, k={}",
        URL_SAFE_NO_PAD.encode(&key.public_key)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ring::signature::{UnparsedPublicKey, ECDSA_P256_SHA256_FIXED};

    #[test]
    fn tokens_verify_with_the_public_key_and_carry_the_claims() {
        let key = generate();
        assert_eq!(key.public_key.len(), 65);
        let header = authorization(
            &key,
            "https://push.example:8443/wpush/v2/abc",
            "mailto:me@example.net",
            1_000,
        )
        .unwrap();
        let rest = header.strip_prefix("vapid t=").unwrap();
        let (token, k) = rest.split_once(", k=").unwrap();
        assert_eq!(URL_SAFE_NO_PAD.decode(k).unwrap(), key.public_key);
        let (input, sig) = token.rsplit_once('.').unwrap();
        UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, &key.public_key)
            .verify(input.as_bytes(), &URL_SAFE_NO_PAD.decode(sig).unwrap())
            .unwrap();
        let claims: serde_json::Value = serde_json::from_slice(
            &URL_SAFE_NO_PAD
                .decode(input.split_once('.').unwrap().1)
                .unwrap(),
        )
        .unwrap();
        assert_eq!(claims["aud"], "https://push.example:8443");
        assert_eq!(claims["exp"], 1_000 + JWT_LIFETIME_SECS);
        assert_eq!(claims["sub"], "mailto:me@example.net");
        assert!(audience("mailto:x@y").is_err());
    }
}
