//! Inbound HTTP signatures: draft-cavage `Signature` and
//! `Authorization: Signature …`, and RFC 9421 `Signature-Input` with
//! `Signature`, read and checked exactly as the inbox does, then verified
//! with a fixed key.
//!
//! Input: one selector byte (method, scheme), then text shaped like a
//! request head: the first line is the path and query, each further line
//! up to an empty one is `name: value` (header values may hold any byte
//! a header may), and the rest is the body.
#![no_main]

use burrow::crypto::keys::PublicKey;
use burrow::federation::signatures::{check, Request};
use libfuzzer_sys::fuzz_target;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use reqwest::Method;
use std::sync::OnceLock;
use std::time::{Duration, UNIX_EPOCH};

/// The clock the checks run against, so that dated seeds stay inside the
/// signature window run after run.
const NOW_UNIX: u64 = 1_700_000_000;

const METHODS: [&str; 4] = ["POST", "GET", "PUT", "DELETE"];

/// The key `seeds/signatures/cavage_*_signed` were signed with (only its
/// public half is kept). A fixed PEM, not a generated key: key generation
/// would dominate every fork of the fuzzer.
const PUBLIC_KEY_PEM: &str = "\
-----BEGIN PUBLIC KEY-----\n\
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEApZHtOqgCYtncOAc0rdIi\n\
Pez01KrFtt+cNVnbJoaod7uoWSu9TnqDRQ94N9pvkWx3wcImKS7ox0VNMy0MgFk2\n\
xNg5p1l081CQcelQ6JwWj/0fQuF6Fxy3KJXUXHih4hthMJRWtvg+2iZtwLT8C7Nr\n\
W+J76wmfALTv15dwOoGoEilN3AGqBkp0+bq5xbOzwvVZINTjOLEsPtHpupRGtjkO\n\
6V9mY6P1XshQXNUCRQbgk2oykP7k+ati5snSfuENq4Q/FFr8hNGzD4mAjiIjG2wy\n\
6q2EdI+PlC0pqjVLGQ47rbYdz1RPjntPsV1XYHS2XhWecYfi2nuINyAhXZ6f4+ep\n\
dQIDAQAB\n\
-----END PUBLIC KEY-----\n\
";

fn key() -> &'static PublicKey {
    static KEY: OnceLock<PublicKey> = OnceLock::new();
    KEY.get_or_init(|| PublicKey::from_pem(PUBLIC_KEY_PEM).expect("a valid public key"))
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let method = Method::from_bytes(
        METHODS
            .get(usize::from(selector >> 1) % METHODS.len())
            .copied()
            .unwrap_or("POST")
            .as_bytes(),
    )
    .expect("a known method");
    let scheme = if selector & 1 == 0 { "https" } else { "http" };
    let (head, body) = match rest.windows(2).position(|w| w == b"\n\n") {
        Some(i) => (
            rest.get(..i).unwrap_or(rest),
            rest.get(i + 2..).unwrap_or(&[]),
        ),
        None => (rest, &[][..]),
    };
    let mut lines = head.split(|b| *b == b'\n');
    let path = String::from_utf8_lossy(lines.next().unwrap_or(b"/inbox")).into_owned();
    let mut headers = HeaderMap::new();
    for line in lines {
        let Some(colon) = line.iter().position(|b| *b == b':') else {
            continue;
        };
        let (name, value) = line.split_at(colon);
        let value = value.get(1..).unwrap_or(&[]);
        let value = value.strip_prefix(b" ").unwrap_or(value);
        if let (Ok(n), Ok(v)) = (HeaderName::from_bytes(name), HeaderValue::from_bytes(value)) {
            headers.append(n, v);
        }
    }
    let req = Request {
        method: &method,
        scheme,
        path_and_query: &path,
        headers: &headers,
        body,
    };
    let now = UNIX_EPOCH + Duration::from_secs(NOW_UNIX);
    if let Ok(checked) = check(&req, now) {
        let _ = checked.verify(key());
    }
});
