//! Web Push message encryption: RFC 8291 on top of the `aes128gcm`
//! content coding of RFC 8188, with ring.
//!
//! A push message is one record: `salt(16) ‖ rs(4, BE) ‖ idlen(1) ‖
//! keyid(65, our ephemeral public key) ‖ AES-128-GCM(plaintext ‖ 0x02)`.
//! The key schedule is split from the key agreement ([`seal`] takes the
//! ECDH secret) so the RFC's worked example can be checked byte for byte
//! with its published secret, and so the receiving side ([`open`],
//! [`decrypt`]) shares every step with the sending side.
//!
//! ring's ECDH keys are ephemeral only: production draws a fresh key and
//! salt per message ([`encrypt`]); [`encrypt_with`] takes them as
//! parameters so tests can pin them.

use ring::aead::{self, Aad, LessSafeKey, Nonce, UnboundKey, AES_128_GCM};
use ring::agreement::{self, EphemeralPrivateKey, UnparsedPublicKey, ECDH_P256};
use ring::hkdf::{self, KeyType, HKDF_SHA256};
use ring::rand::{SecureRandom, SystemRandom};

/// Length of an uncompressed P-256 point (`0x04 ‖ x ‖ y`).
pub const PUBLIC_KEY_LEN: usize = 65;
/// RFC 8291 §3.2: the user agent's authentication secret is 16 octets.
pub const AUTH_SECRET_LEN: usize = 16;
pub const SALT_LEN: usize = 16;
/// Header of one `aes128gcm` message carrying our public key as key id.
pub const HEADER_LEN: usize = SALT_LEN + 4 + 1 + PUBLIC_KEY_LEN;
pub(super) const TAG_LEN: usize = 16;
/// RFC 8030 §7.2: push services must accept at least 4096 octets of
/// body; more may be refused, so one message never exceeds it.
pub const MAX_BODY_LEN: usize = 4096;
/// The record size we announce: the whole body fits in one record.
pub const RECORD_SIZE: u32 = 4096;
/// What fits in one message once header, padding delimiter and tag are
/// counted (3993 octets).
pub const MAX_PLAINTEXT_LEN: usize = MAX_BODY_LEN - HEADER_LEN - 1 - TAG_LEN;

/// RFC 8188 §2: the padding delimiter of the last (here only) record.
const LAST_RECORD: u8 = 0x02;

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum EceError {
    #[error("the subscription's p256dh key is not an uncompressed P-256 public key (65 bytes starting with 0x04)")]
    BadPublicKey,
    #[error("the subscription's auth secret must be {AUTH_SECRET_LEN} bytes, not {0}")]
    BadAuthSecret(usize),
    #[error("the message is {0} bytes; at most {MAX_PLAINTEXT_LEN} fit in one push message")]
    TooLong(usize),
    #[error("the push message is malformed: {0}")]
    Malformed(&'static str),
    #[error("the push message does not decrypt with this key")]
    Undecryptable,
    #[error("the system random number generator failed")]
    Random,
}

/// The AES-GCM key and nonce of a message (RFC 8291 §3.4, RFC 8188 §2.2-2.3).
#[derive(Debug, PartialEq)]
pub struct ContentKeys {
    pub cek: [u8; 16],
    pub nonce: [u8; 12],
}

/// An output length for ring's HKDF.
struct Len(usize);

impl KeyType for Len {
    fn len(&self) -> usize {
        self.0
    }
}

/// HKDF-Expand into `out`; shared with the legacy coding in `aesgcm`.
pub(super) fn expand(prk: &hkdf::Prk, info: &[&[u8]], out: &mut [u8]) {
    // Lengths here are fixed and far below HKDF's 255 × 32 limit, so
    // ring cannot refuse them.
    prk.expand(info, Len(out.len()))
        .and_then(|okm| okm.fill(out))
        .expect("HKDF output lengths are fixed and valid");
}

/// The key schedule: the ECDH secret and the auth secret give the IKM,
/// the salt gives the content key and nonce.
pub fn derive(
    shared_secret: &[u8],
    auth_secret: &[u8],
    ua_public: &[u8],
    as_public: &[u8],
    salt: &[u8],
) -> ContentKeys {
    let prk_key = hkdf::Salt::new(HKDF_SHA256, auth_secret).extract(shared_secret);
    let mut ikm = [0u8; 32];
    expand(
        &prk_key,
        &[b"WebPush: info\0", ua_public, as_public],
        &mut ikm,
    );
    let prk = hkdf::Salt::new(HKDF_SHA256, salt).extract(&ikm);
    let mut keys = ContentKeys {
        cek: [0; 16],
        nonce: [0; 12],
    };
    expand(&prk, &[b"Content-Encoding: aes128gcm\0"], &mut keys.cek);
    expand(&prk, &[b"Content-Encoding: nonce\0"], &mut keys.nonce);
    keys
}

pub(super) fn check_keys(ua_public: &[u8], auth_secret: &[u8]) -> Result<(), EceError> {
    if ua_public.len() != PUBLIC_KEY_LEN || ua_public[0] != 0x04 {
        return Err(EceError::BadPublicKey);
    }
    if auth_secret.len() != AUTH_SECRET_LEN {
        return Err(EceError::BadAuthSecret(auth_secret.len()));
    }
    Ok(())
}

/// What both codings check before sealing: the subscriber's keys, our
/// public key's length, and that the message fits the coding's `max`.
pub(super) fn check_seal(
    ua_public: &[u8],
    as_public: &[u8],
    auth_secret: &[u8],
    plaintext_len: usize,
    max: usize,
) -> Result<(), EceError> {
    check_keys(ua_public, auth_secret)?;
    if as_public.len() != PUBLIC_KEY_LEN {
        return Err(EceError::BadPublicKey);
    }
    if plaintext_len > max {
        return Err(EceError::TooLong(plaintext_len));
    }
    Ok(())
}

/// Encrypts `plaintext` for a subscriber, given the ECDH secret already
/// agreed between `as_public` (ours) and `ua_public` (theirs).
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
    let mut body = Vec::with_capacity(HEADER_LEN + plaintext.len() + 1 + TAG_LEN);
    body.extend_from_slice(salt);
    body.extend_from_slice(&RECORD_SIZE.to_be_bytes());
    body.push(PUBLIC_KEY_LEN as u8);
    body.extend_from_slice(as_public);
    let mut record = Vec::with_capacity(plaintext.len() + 1 + TAG_LEN);
    record.extend_from_slice(plaintext);
    record.push(LAST_RECORD);
    let key = LessSafeKey::new(
        UnboundKey::new(&AES_128_GCM, &keys.cek).expect("a 16-byte key suits AES-128"),
    );
    // One record, sequence number 0: the nonce is used as derived. Every
    // message has its own salt and key pair, so no (key, nonce) repeats.
    key.seal_in_place_append_tag(
        Nonce::assume_unique_for_key(keys.nonce),
        Aad::empty(),
        &mut record,
    )
    .map_err(|_| EceError::TooLong(plaintext.len()))?;
    body.extend_from_slice(&record);
    Ok(body)
}

/// Encrypts with a given ephemeral key and salt. Production goes through
/// [`encrypt`]; a fixed key and salt are for known-answer tests only.
pub fn encrypt_with(
    ephemeral: EphemeralPrivateKey,
    salt: &[u8; SALT_LEN],
    ua_public: &[u8],
    auth_secret: &[u8],
    plaintext: &[u8],
) -> Result<Vec<u8>, EceError> {
    check_keys(ua_public, auth_secret)?;
    let as_public = ephemeral
        .compute_public_key()
        .map_err(|_| EceError::Random)?;
    let secret = agreement::agree_ephemeral(
        ephemeral,
        &UnparsedPublicKey::new(&ECDH_P256, ua_public),
        |s| s.to_vec(),
    )
    // ring refuses points that are not on the curve.
    .map_err(|_| EceError::BadPublicKey)?;
    seal(
        &secret,
        ua_public,
        as_public.as_ref(),
        auth_secret,
        salt,
        plaintext,
    )
}

/// Encrypts `plaintext` for the subscriber whose keys are `ua_public`
/// (`p256dh`) and `auth_secret` (`auth`), with a fresh key pair and salt.
pub fn encrypt(
    ua_public: &[u8],
    auth_secret: &[u8],
    plaintext: &[u8],
) -> Result<Vec<u8>, EceError> {
    let rng = SystemRandom::new();
    let ephemeral =
        EphemeralPrivateKey::generate(&ECDH_P256, &rng).map_err(|_| EceError::Random)?;
    let mut salt = [0u8; SALT_LEN];
    rng.fill(&mut salt).map_err(|_| EceError::Random)?;
    encrypt_with(ephemeral, &salt, ua_public, auth_secret, plaintext)
}

/// True when `ua_public` is a P-256 point ring will agree with; checked
/// when a subscription is made, so a bad key is refused then rather than
/// failing silently at every notification.
pub fn valid_public_key(ua_public: &[u8]) -> bool {
    if ua_public.len() != PUBLIC_KEY_LEN || ua_public[0] != 0x04 {
        return false;
    }
    let Ok(ephemeral) = EphemeralPrivateKey::generate(&ECDH_P256, &SystemRandom::new()) else {
        return false;
    };
    agreement::agree_ephemeral(
        ephemeral,
        &UnparsedPublicKey::new(&ECDH_P256, ua_public),
        |_| (),
    )
    .is_ok()
}

/// The parts of a received message.
pub struct Header<'a> {
    pub salt: &'a [u8],
    pub record_size: u32,
    pub as_public: &'a [u8],
    pub record: &'a [u8],
}

/// Splits a one-record `aes128gcm` message whose key id is a P-256 key.
pub fn parse(body: &[u8]) -> Result<Header<'_>, EceError> {
    if body.len() < HEADER_LEN + 1 + TAG_LEN {
        return Err(EceError::Malformed("shorter than a header and one record"));
    }
    let record_size = u32::from_be_bytes([body[16], body[17], body[18], body[19]]);
    if body[20] as usize != PUBLIC_KEY_LEN {
        return Err(EceError::Malformed("the key id is not a P-256 public key"));
    }
    let record = &body[HEADER_LEN..];
    if record.len() > record_size as usize {
        return Err(EceError::Malformed("more than one record"));
    }
    Ok(Header {
        salt: &body[..SALT_LEN],
        record_size,
        as_public: &body[21..HEADER_LEN],
        record,
    })
}

/// Decrypts a message given the ECDH secret between the subscriber's key
/// and the key in its header: the receiving half of [`seal`].
pub fn open(
    shared_secret: &[u8],
    ua_public: &[u8],
    auth_secret: &[u8],
    body: &[u8],
) -> Result<Vec<u8>, EceError> {
    check_keys(ua_public, auth_secret)?;
    let h = parse(body)?;
    let keys = derive(shared_secret, auth_secret, ua_public, h.as_public, h.salt);
    let key = LessSafeKey::new(
        UnboundKey::new(&AES_128_GCM, &keys.cek).expect("a 16-byte key suits AES-128"),
    );
    let mut record = h.record.to_vec();
    let opened = key
        .open_in_place(
            aead::Nonce::assume_unique_for_key(keys.nonce),
            Aad::empty(),
            &mut record,
        )
        .map_err(|_| EceError::Undecryptable)?;
    // Padding is zeros after the delimiter; the delimiter of the last
    // record is 0x02.
    let end = opened
        .iter()
        .rposition(|b| *b != 0)
        .ok_or(EceError::Malformed("the record has no padding delimiter"))?;
    if opened[end] != LAST_RECORD {
        return Err(EceError::Malformed("the record is not marked as the last"));
    }
    Ok(opened[..end].to_vec())
}

/// Decrypts a message as the subscriber would, with its private key
/// (ring holds it as an `EphemeralPrivateKey`, so it serves one message).
pub fn decrypt(
    ua_private: EphemeralPrivateKey,
    auth_secret: &[u8],
    body: &[u8],
) -> Result<Vec<u8>, EceError> {
    let ua_public = ua_private
        .compute_public_key()
        .map_err(|_| EceError::Random)?;
    let h = parse(body)?;
    let secret = agreement::agree_ephemeral(
        ua_private,
        &UnparsedPublicKey::new(&ECDH_P256, h.as_public),
        |s| s.to_vec(),
    )
    .map_err(|_| EceError::Malformed("the key id is not a valid P-256 point"))?;
    open(&secret, ua_public.as_ref(), auth_secret, body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;

    // RFC 8291 §5 and Appendix A.
    const PLAINTEXT: &str = "When I grow up, I want to be a watermelon";
    const UA_PUBLIC: &str =
        "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4";
    const AS_PUBLIC: &str =
        "BP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A8";
    const AUTH: &str = "BTBZMqHH6r4Tts7J_aSIgg";
    const SALT: &str = "DGv6ra1nlYgDCS1FRnbzlw";
    const SHARED: &str = "kyrL1jIIOHEzg3sM2ZWRHDRB62YACZhhSlknJ672kSs";
    const CEK: &str = "oIhVW04MRdy2XN9CiKLxTg";
    const NONCE: &str = "4h_95klXJ5E_qnoN";
    const BODY: &str = "DGv6ra1nlYgDCS1FRnbzlwAAEABBBP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A_yl95bQpu6cVPTpK4Mqgkf1CXztLVBSt2Ks3oZwbuwXPXLWyouBWLVWGNWQexSgSxsj_Qulcy4a-fN";

    fn d(s: &str) -> Vec<u8> {
        URL_SAFE_NO_PAD.decode(s).unwrap()
    }

    #[test]
    fn key_schedule_matches_rfc_8291_appendix_a() {
        let keys = derive(&d(SHARED), &d(AUTH), &d(UA_PUBLIC), &d(AS_PUBLIC), &d(SALT));
        assert_eq!(keys.cek.to_vec(), d(CEK));
        assert_eq!(keys.nonce.to_vec(), d(NONCE));
    }

    #[test]
    fn seal_and_open_match_rfc_8291_section_5() {
        let salt: [u8; 16] = d(SALT).try_into().unwrap();
        let body = seal(
            &d(SHARED),
            &d(UA_PUBLIC),
            &d(AS_PUBLIC),
            &d(AUTH),
            &salt,
            PLAINTEXT.as_bytes(),
        )
        .unwrap();
        assert_eq!(URL_SAFE_NO_PAD.encode(&body), BODY);
        let opened = open(&d(SHARED), &d(UA_PUBLIC), &d(AUTH), &d(BODY)).unwrap();
        assert_eq!(opened, PLAINTEXT.as_bytes());
    }

    #[test]
    fn bad_keys_and_long_messages_are_refused() {
        let salt = [0u8; 16];
        let ua = d(UA_PUBLIC);
        let auth = d(AUTH);
        assert_eq!(
            seal(&d(SHARED), &ua[..64], &d(AS_PUBLIC), &auth, &salt, b"x"),
            Err(EceError::BadPublicKey)
        );
        assert_eq!(
            encrypt(&ua, &auth[..8], b"x"),
            Err(EceError::BadAuthSecret(8))
        );
        let long = vec![b'a'; MAX_PLAINTEXT_LEN + 1];
        assert_eq!(
            encrypt(&ua, &auth, &long),
            Err(EceError::TooLong(MAX_PLAINTEXT_LEN + 1))
        );
        let fits = encrypt(&ua, &auth, &long[1..]).unwrap();
        assert_eq!(fits.len(), MAX_BODY_LEN);
        let mut off_curve = ua.clone();
        off_curve[40] ^= 0xff;
        assert!(!valid_public_key(&off_curve));
        assert!(valid_public_key(&ua));
        assert_eq!(
            encrypt(&off_curve, &auth, b"x"),
            Err(EceError::BadPublicKey)
        );
    }

    #[test]
    fn tampered_messages_do_not_open() {
        let mut body = d(BODY);
        let last = body.len() - 1;
        body[last] ^= 1;
        assert_eq!(
            open(&d(SHARED), &d(UA_PUBLIC), &d(AUTH), &body),
            Err(EceError::Undecryptable)
        );
        assert!(parse(&body[..50]).is_err());
    }
}
