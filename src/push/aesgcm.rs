//! The legacy Web Push encoding: `Content-Encoding: aesgcm`, from
//! draft-ietf-webpush-encryption-04 and draft-ietf-httpbis-encryption-
//! encoding-03, which Mastodon sent up to 4.3 and still sends unless a
//! subscription says `standard`. Most phone apps (Mastodon for iOS and
//! Android, Ice Cubes, Ivory, Megalodon) decrypt only this.
//!
//! It differs from RFC 8291 (`ece`) in where things travel and in the
//! key schedule: the salt and our ephemeral public key go in the
//! `Encryption: salt=…` and `Crypto-Key: dh=…` headers, not the body; the
//! auth secret is mixed in with the info `Content-Encoding: auth\0`; the
//! content key and nonce infos end with a context naming both public keys
//! (`P-256\0`, then each key with its 2-byte length, the receiver's
//! first); and the record starts with a 2-byte padding length (0 here)
//! instead of ending with a delimiter.

use super::ece::{
    check_keys, check_seal, expand, ContentKeys, EceError, PUBLIC_KEY_LEN, SALT_LEN, TAG_LEN,
};
use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_128_GCM};
use ring::agreement::{self, EphemeralPrivateKey, UnparsedPublicKey, ECDH_P256};
use ring::hkdf::{self, HKDF_SHA256};
use ring::rand::{SecureRandom, SystemRandom};

/// Each record starts with the padding length, two octets, big-endian.
const PAD_LEN_BYTES: usize = 2;
/// The same ceiling as the standard coding (RFC 8030 §7.2, 4096 octets
/// of body) keeps one record under the draft's default record size of
/// 4096 plus its tag, so receivers read it as the one and last record.
pub const MAX_BODY_LEN: usize = super::ece::MAX_BODY_LEN;
/// What fits once the padding length and the tag are counted (4078
/// octets).
pub const MAX_PLAINTEXT_LEN: usize = MAX_BODY_LEN - PAD_LEN_BYTES - TAG_LEN;

/// One encrypted message and what its headers must carry.
#[derive(Debug, Clone, PartialEq)]
pub struct Sealed {
    /// For `Encryption: salt=…`.
    pub salt: [u8; SALT_LEN],
    /// Our ephemeral public key, for `Crypto-Key: dh=…`.
    pub dh: Vec<u8>,
    pub body: Vec<u8>,
}

/// `P-256\0 ‖ len ‖ receiver key ‖ len ‖ sender key`, both keys 65 bytes.
fn context(ua_public: &[u8], as_public: &[u8]) -> Vec<u8> {
    let mut c = Vec::with_capacity(6 + 2 + 2 * (2 + PUBLIC_KEY_LEN));
    c.extend_from_slice(b"P-256\0");
    for key in [ua_public, as_public] {
        c.extend_from_slice(&(PUBLIC_KEY_LEN as u16).to_be_bytes());
        c.extend_from_slice(key);
    }
    c
}

/// The key schedule of the draft: the auth secret salts the ECDH secret,
/// the message's salt and the context give the content key and nonce.
pub fn derive(
    shared_secret: &[u8],
    auth_secret: &[u8],
    ua_public: &[u8],
    as_public: &[u8],
    salt: &[u8],
) -> ContentKeys {
    let prk_auth = hkdf::Salt::new(HKDF_SHA256, auth_secret).extract(shared_secret);
    let mut ikm = [0u8; 32];
    expand(&prk_auth, &[b"Content-Encoding: auth\0"], &mut ikm);
    let prk = hkdf::Salt::new(HKDF_SHA256, salt).extract(&ikm);
    let context = context(ua_public, as_public);
    let mut keys = ContentKeys {
        cek: [0; 16],
        nonce: [0; 12],
    };
    expand(
        &prk,
        &[b"Content-Encoding: aesgcm\0", &context],
        &mut keys.cek,
    );
    expand(
        &prk,
        &[b"Content-Encoding: nonce\0", &context],
        &mut keys.nonce,
    );
    keys
}

fn aes_key(keys: &ContentKeys) -> LessSafeKey {
    LessSafeKey::new(UnboundKey::new(&AES_128_GCM, &keys.cek).expect("a 16-byte key suits AES-128"))
}

/// Encrypts `plaintext` given the ECDH secret agreed between `as_public`
/// (ours) and `ua_public` (the subscriber's); returns the body only.
pub fn seal(
    shared_secret: &[u8],
    ua_public: &[u8],
    as_public: &[u8],
    auth_secret: &[u8],
    salt: &[u8; SALT_LEN],
    plaintext: &[u8],
) -> Result<Vec<u8>, EceError> {
    check_seal(
        ua_public,
        as_public,
        auth_secret,
        plaintext.len(),
        MAX_PLAINTEXT_LEN,
    )?;
    let keys = derive(shared_secret, auth_secret, ua_public, as_public, salt);
    let mut record = Vec::with_capacity(PAD_LEN_BYTES + plaintext.len() + TAG_LEN);
    record.extend_from_slice(&[0, 0]);
    record.extend_from_slice(plaintext);
    // One record, counter 0: the nonce is used as derived, and every
    // message has its own salt and key pair.
    aes_key(&keys)
        .seal_in_place_append_tag(
            Nonce::assume_unique_for_key(keys.nonce),
            Aad::empty(),
            &mut record,
        )
        .map_err(|_| EceError::TooLong(plaintext.len()))?;
    Ok(record)
}

/// Encrypts with a given ephemeral key and salt; production goes through
/// [`encrypt`], fixed ones are for known-answer tests.
pub fn encrypt_with(
    ephemeral: EphemeralPrivateKey,
    salt: &[u8; SALT_LEN],
    ua_public: &[u8],
    auth_secret: &[u8],
    plaintext: &[u8],
) -> Result<Sealed, EceError> {
    check_keys(ua_public, auth_secret)?;
    let as_public = ephemeral
        .compute_public_key()
        .map_err(|_| EceError::Random)?;
    let secret = agreement::agree_ephemeral(
        ephemeral,
        &UnparsedPublicKey::new(&ECDH_P256, ua_public),
        |s| s.to_vec(),
    )
    .map_err(|_| EceError::BadPublicKey)?;
    let body = seal(
        &secret,
        ua_public,
        as_public.as_ref(),
        auth_secret,
        salt,
        plaintext,
    )?;
    Ok(Sealed {
        salt: *salt,
        dh: as_public.as_ref().to_vec(),
        body,
    })
}

/// Encrypts for the subscriber with a fresh key pair and salt.
pub fn encrypt(ua_public: &[u8], auth_secret: &[u8], plaintext: &[u8]) -> Result<Sealed, EceError> {
    let rng = SystemRandom::new();
    let ephemeral =
        EphemeralPrivateKey::generate(&ECDH_P256, &rng).map_err(|_| EceError::Random)?;
    let mut salt = [0u8; SALT_LEN];
    rng.fill(&mut salt).map_err(|_| EceError::Random)?;
    encrypt_with(ephemeral, &salt, ua_public, auth_secret, plaintext)
}

/// Decrypts a one-record message given the ECDH secret, the sender's key
/// (`dh`) and the salt from its headers: the receiving half of [`seal`].
pub fn open(
    shared_secret: &[u8],
    ua_public: &[u8],
    as_public: &[u8],
    auth_secret: &[u8],
    salt: &[u8],
    body: &[u8],
) -> Result<Vec<u8>, EceError> {
    check_keys(ua_public, auth_secret)?;
    if as_public.len() != PUBLIC_KEY_LEN || salt.len() != SALT_LEN {
        return Err(EceError::Malformed(
            "the dh key or salt has the wrong length",
        ));
    }
    if body.len() < PAD_LEN_BYTES + TAG_LEN || body.len() > MAX_BODY_LEN {
        return Err(EceError::Malformed("not one record of a push message"));
    }
    let keys = derive(shared_secret, auth_secret, ua_public, as_public, salt);
    let mut record = body.to_vec();
    let opened = aes_key(&keys)
        .open_in_place(
            Nonce::assume_unique_for_key(keys.nonce),
            Aad::empty(),
            &mut record,
        )
        .map_err(|_| EceError::Undecryptable)?;
    let (len, rest) = opened
        .split_first_chunk::<PAD_LEN_BYTES>()
        .ok_or(EceError::Malformed("no padding length"))?;
    let pad = u16::from_be_bytes(*len) as usize;
    let (padding, text) = rest
        .split_at_checked(pad)
        .ok_or(EceError::Malformed("the padding is longer than the record"))?;
    if padding.iter().any(|b| *b != 0) {
        return Err(EceError::Malformed("the padding is not zeros"));
    }
    Ok(text.to_vec())
}

/// Decrypts as the subscriber would, with its private key.
pub fn decrypt(
    ua_private: EphemeralPrivateKey,
    auth_secret: &[u8],
    as_public: &[u8],
    salt: &[u8],
    body: &[u8],
) -> Result<Vec<u8>, EceError> {
    let ua_public = ua_private
        .compute_public_key()
        .map_err(|_| EceError::Random)?;
    let secret = agreement::agree_ephemeral(
        ua_private,
        &UnparsedPublicKey::new(&ECDH_P256, as_public),
        |s| s.to_vec(),
    )
    .map_err(|_| EceError::Malformed("the dh key is not a valid P-256 point"))?;
    open(
        &secret,
        ua_public.as_ref(),
        as_public,
        auth_secret,
        salt,
        body,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;

    // The example of draft-ietf-webpush-encryption-04 (Appendix A), as
    // browsers' and libraries' test suites carry it.
    const PLAINTEXT: &str = "I am the walrus";
    const UA_PRIVATE: &str = "9FWl15_QUQAWDaD3k3l50ZBZQJ4au27F1V4F0uLSD_M";
    const UA_PUBLIC: &str =
        "BCEkBjzL8Z3C-oi2Q7oE5t2Np-p7osjGLg93qUP0wvqRT21EEWyf0cQDQcakQMqz4hQKYOQ3il2nNZct4HgAUQU";
    const AS_PRIVATE: &str = "nCScek-QpEjmOOlT-rQ38nZzvdPlqa00Zy0i6m2OJvY";
    const AS_PUBLIC: &str =
        "BNoRDbb84JGm8g5Z5CFxurSqsXWJ11ItfXEWYVLE85Y7CYkDjXsIEc4aqxYaQ1G8BqkXCJ6DPpDrWtdWj_mugHU";
    const AUTH: &str = "R29vIGdvbyBnJyBqb29iIQ";
    const SALT: &str = "lngarbyKfMoi9Z75xYXmkg";
    const CEK: &str = "AN2-xhvFWeYh5z0fcDu0Ww";
    const NONCE: &str = "JY1Okw5rw1Drkg9J";
    const BODY: &str = "6nqAQUME8hNqw5J3kl8cpVVJylXKYqZOeseZG8UueKpA";

    fn d(s: &str) -> Vec<u8> {
        URL_SAFE_NO_PAD.decode(s).unwrap()
    }

    fn fixed_key(scalar: &[u8]) -> EphemeralPrivateKey {
        #[allow(deprecated)]
        let rng = ring::test::rand::FixedSliceRandom { bytes: scalar };
        EphemeralPrivateKey::generate(&ECDH_P256, &rng).unwrap()
    }

    fn shared() -> Vec<u8> {
        agreement::agree_ephemeral(
            fixed_key(&d(AS_PRIVATE)),
            &UnparsedPublicKey::new(&ECDH_P256, d(UA_PUBLIC)),
            |s| s.to_vec(),
        )
        .unwrap()
    }

    #[test]
    fn key_schedule_matches_the_draft_example() {
        let keys = derive(&shared(), &d(AUTH), &d(UA_PUBLIC), &d(AS_PUBLIC), &d(SALT));
        assert_eq!(keys.cek.to_vec(), d(CEK));
        assert_eq!(keys.nonce.to_vec(), d(NONCE));
    }

    #[test]
    fn the_draft_example_encrypts_byte_for_byte_and_decrypts() {
        let salt: [u8; 16] = d(SALT).try_into().unwrap();
        let sealed = encrypt_with(
            fixed_key(&d(AS_PRIVATE)),
            &salt,
            &d(UA_PUBLIC),
            &d(AUTH),
            PLAINTEXT.as_bytes(),
        )
        .unwrap();
        assert_eq!(URL_SAFE_NO_PAD.encode(&sealed.body), BODY);
        assert_eq!(sealed.dh, d(AS_PUBLIC));
        let opened = decrypt(
            fixed_key(&d(UA_PRIVATE)),
            &d(AUTH),
            &d(AS_PUBLIC),
            &d(SALT),
            &d(BODY),
        )
        .unwrap();
        assert_eq!(opened, PLAINTEXT.as_bytes());
    }

    #[test]
    fn long_tampered_and_short_messages_are_refused() {
        let ua = d(UA_PUBLIC);
        let auth = d(AUTH);
        let long = vec![b'a'; MAX_PLAINTEXT_LEN + 1];
        assert_eq!(
            encrypt(&ua, &auth, &long),
            Err(EceError::TooLong(MAX_PLAINTEXT_LEN + 1))
        );
        assert_eq!(
            encrypt(&ua, &auth, &long[1..]).unwrap().body.len(),
            MAX_BODY_LEN
        );
        let mut body = d(BODY);
        body[3] ^= 1;
        let open_it = |b: &[u8]| open(&shared(), &ua, &d(AS_PUBLIC), &auth, &d(SALT), b);
        assert_eq!(open_it(&body), Err(EceError::Undecryptable));
        assert!(open_it(&body[..10]).is_err());
        assert!(open_it(&[]).is_err());
    }
}
