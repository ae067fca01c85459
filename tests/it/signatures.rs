//! HTTP signatures: what we sign verifies, what Mastodon signs verifies,
//! and every kind of tampering is refused with a reason.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use burrow::crypto::keys::{seeded_pkcs8, PublicKey, SigningKey};
use burrow::federation::signatures::{
    self, check, sign_request, sign_request_rfc9421, verify, Request, Scheme, SignatureError,
};
use reqwest::header::{HeaderMap, HeaderValue};
use reqwest::Method;
use std::time::{Duration, SystemTime};

const KEY_ID: &str = "https://a.example/users/alice#main-key";
const INBOX: &str = "https://b.example/users/bob/inbox";
const BODY: &[u8] = br#"{"type":"Follow","actor":"https://a.example/users/alice"}"#;

fn key(seed: u64) -> (SigningKey, PublicKey) {
    let k = SigningKey::from_pkcs8(&seeded_pkcs8(seed)).unwrap();
    let p = PublicKey::from_pem(&k.public_key_pem()).unwrap();
    (k, p)
}

fn now() -> SystemTime {
    // A fixed instant keeps failures reproducible.
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_767_323_045)
}

/// What the receiving side sees of a request to `url`.
fn run(
    method: &Method,
    url: &str,
    headers: &HeaderMap,
    body: &[u8],
    at: SystemTime,
    key: &PublicKey,
) -> Result<String, SignatureError> {
    let url = url::Url::parse(url).unwrap();
    let pq = match url.query() {
        Some(q) => format!("{}?{q}", url.path()),
        None => url.path().to_string(),
    };
    let req = Request {
        method,
        scheme: url.scheme(),
        path_and_query: &pq,
        headers,
        body,
    };
    verify(&req, at, key)
}

fn signed_post(seed: u64) -> HeaderMap {
    let (k, _) = key(seed);
    sign_request(
        &k,
        KEY_ID,
        &Method::POST,
        &url::Url::parse(INBOX).unwrap(),
        BODY,
        now(),
    )
    .unwrap()
}

#[test]
fn signed_post_and_get_verify() {
    let (k, p) = key(1);
    let h = signed_post(1);
    assert_eq!(h["host"], "b.example");
    assert!(h["digest"].to_str().unwrap().starts_with("SHA-256="));
    assert!(h["date"].to_str().unwrap().ends_with("GMT"));
    let sig = h["signature"].to_str().unwrap();
    assert!(sig.contains("algorithm=\"rsa-sha256\""), "{sig}");
    assert!(
        sig.contains("headers=\"(request-target) host date digest content-type\""),
        "{sig}"
    );
    assert_eq!(
        run(&Method::POST, INBOX, &h, BODY, now(), &p).unwrap(),
        KEY_ID
    );

    let url = "https://b.example:8443/users/bob/outbox?page=true";
    let h = sign_request(
        &k,
        KEY_ID,
        &Method::GET,
        &url::Url::parse(url).unwrap(),
        b"",
        now(),
    )
    .unwrap();
    assert_eq!(h["host"], "b.example:8443");
    assert!(h["signature"]
        .to_str()
        .unwrap()
        .contains("headers=\"(request-target) host date accept\""));
    assert!(h.get("digest").is_none());
    run(&Method::GET, url, &h, b"", now(), &p).unwrap();
}

#[test]
fn tampering_is_refused() {
    let (_, p) = key(1);
    let h = signed_post(1);
    let ok = |h: &HeaderMap, body: &[u8]| run(&Method::POST, INBOX, h, body, now(), &p);
    ok(&h, BODY).unwrap();

    // A signed header changed.
    let mut t = h.clone();
    t.insert("host", HeaderValue::from_static("evil.example"));
    assert!(matches!(ok(&t, BODY), Err(SignatureError::BadSignature(_))));

    // Another path.
    assert!(matches!(
        run(
            &Method::POST,
            "https://b.example/inbox",
            &h,
            BODY,
            now(),
            &p
        ),
        Err(SignatureError::BadSignature(_))
    ));

    // Body changed under a correct-looking signature.
    assert_eq!(
        ok(&h, b"{\"type\":\"Delete\"}"),
        Err(SignatureError::DigestMismatch)
    );

    // Digest replaced by one for the new body: the signature breaks.
    let mut t = h.clone();
    let evil = br#"{"type":"Delete"}"#;
    t.insert(
        "digest",
        HeaderValue::from_str(&signatures::digest_header(evil)).unwrap(),
    );
    assert!(matches!(ok(&t, evil), Err(SignatureError::BadSignature(_))));

    // Digest in an algorithm we don't read.
    let mut t = h.clone();
    t.insert("digest", HeaderValue::from_static("SHA-512=abcd"));
    assert!(matches!(
        ok(&t, BODY),
        Err(SignatureError::UnsupportedDigest(_))
    ));

    // Stale and future dates.
    for off in [2 * 3600, 0] {
        let at = if off > 0 {
            now() + Duration::from_secs(off)
        } else {
            now() - Duration::from_secs(7200)
        };
        let err = run(&Method::POST, INBOX, &h, BODY, at, &p).unwrap_err();
        assert!(matches!(err, SignatureError::OutsideWindow(_)), "{err}");
        assert!(err.to_string().contains("clock"));
    }
    // Within the window is fine.
    run(
        &Method::POST,
        INBOX,
        &h,
        BODY,
        now() + Duration::from_secs(50 * 60),
        &p,
    )
    .unwrap();

    // A covered header missing from the request.
    let mut t = h.clone();
    t.remove("date");
    assert_eq!(
        ok(&t, BODY),
        Err(SignatureError::HeaderAbsent("date".into()))
    );

    // Wrong key.
    let (_, other) = key(2);
    assert!(matches!(
        run(&Method::POST, INBOX, &h, BODY, now(), &other),
        Err(SignatureError::BadSignature(_))
    ));

    // Not signed at all.
    assert_eq!(ok(&HeaderMap::new(), BODY), Err(SignatureError::Unsigned));
}

/// Builds a draft-cavage signature by hand, the way Mastodon's request
/// class does, with the header list chosen by the caller.
fn mastodon_style(
    headers_list: &str,
    method: &Method,
    target: &str,
    headers: &mut HeaderMap,
    extra: &str,
) {
    let (k, _) = key(1);
    let mut lines = Vec::new();
    for name in headers_list.split(' ') {
        let value = match name {
            "(request-target)" => format!("{} {target}", method.as_str().to_lowercase()),
            "(created)" => "1767323000".to_string(),
            h => headers[h].to_str().unwrap().to_string(),
        };
        lines.push(format!("{name}: {value}"));
    }
    let sig = B64.encode(k.sign(lines.join("\n").as_bytes()));
    headers.insert(
        "signature",
        HeaderValue::from_str(&format!(
            "keyId=\"{KEY_ID}\",algorithm=\"rsa-sha256\",headers=\"{headers_list}\",signature=\"{sig}\"{extra}"
        ))
        .unwrap(),
    );
}

#[test]
fn a_mastodon_built_signature_verifies() {
    let (_, p) = key(1);
    let mut h = HeaderMap::new();
    h.insert("host", HeaderValue::from_static("b.example"));
    h.insert(
        "date",
        HeaderValue::from_str(&httpdate::fmt_http_date(now())).unwrap(),
    );
    h.insert(
        "digest",
        HeaderValue::from_str(&format!(
            "SHA-256={}",
            B64.encode(ring::digest::digest(&ring::digest::SHA256, BODY))
        ))
        .unwrap(),
    );
    h.insert(
        "content-type",
        HeaderValue::from_static("application/activity+json"),
    );
    mastodon_style(
        "(request-target) host date digest content-type",
        &Method::POST,
        "/users/bob/inbox",
        &mut h,
        "",
    );
    assert_eq!(
        run(&Method::POST, INBOX, &h, BODY, now(), &p).unwrap(),
        KEY_ID
    );

    // A shorter list is the sender's choice, as long as it covers enough.
    let mut h2 = h.clone();
    mastodon_style(
        "(request-target) host date digest",
        &Method::POST,
        "/users/bob/inbox",
        &mut h2,
        "",
    );
    run(&Method::POST, INBOX, &h2, BODY, now(), &p).unwrap();

    // hs2019 with (created) instead of date.
    let mut h3 = h.clone();
    mastodon_style(
        "(request-target) (created) host digest",
        &Method::POST,
        "/users/bob/inbox",
        &mut h3,
        ",created=1767323000",
    );
    let v = h3["signature"]
        .to_str()
        .unwrap()
        .replace("rsa-sha256", "hs2019");
    h3.insert("signature", HeaderValue::from_str(&v).unwrap());
    run(&Method::POST, INBOX, &h3, BODY, now(), &p).unwrap();

    // Sent as `Authorization: Signature …` (older Pleroma does).
    let mut h4 = h.clone();
    let sig = h4.remove("signature").unwrap();
    h4.insert(
        "authorization",
        HeaderValue::from_str(&format!("Signature {}", sig.to_str().unwrap())).unwrap(),
    );
    run(&Method::POST, INBOX, &h4, BODY, now(), &p).unwrap();
}

#[test]
fn weak_header_lists_are_refused() {
    let (_, p) = key(1);
    let mut h = HeaderMap::new();
    h.insert("host", HeaderValue::from_static("b.example"));
    h.insert(
        "date",
        HeaderValue::from_str(&httpdate::fmt_http_date(now())).unwrap(),
    );
    h.insert(
        "digest",
        HeaderValue::from_str(&signatures::digest_header(BODY)).unwrap(),
    );
    let cases = [
        (
            "(request-target) host date",
            Method::POST,
            "`digest` on a POST",
        ),
        ("(request-target) date", Method::GET, "`host` on a GET"),
        ("(request-target) host digest", Method::POST, "`date`"),
        ("host date", Method::GET, "`(request-target)`"),
    ];
    for (list, method, needle) in cases {
        let mut t = h.clone();
        mastodon_style(list, &method, "/users/bob/inbox", &mut t, "");
        let body: &[u8] = if method == Method::POST { BODY } else { b"" };
        let err = run(&method, INBOX, &t, body, now(), &p).unwrap_err();
        assert!(
            matches!(err, SignatureError::NotCovered(_)) && err.to_string().contains(needle),
            "{list}: {err}"
        );
    }
}

#[test]
fn rfc9421_signatures_verify_and_tampering_fails() {
    let (k, p) = key(1);
    let url = url::Url::parse(INBOX).unwrap();
    let h = sign_request_rfc9421(&k, KEY_ID, &Method::POST, &url, BODY, now()).unwrap();
    let input = h["signature-input"].to_str().unwrap();
    assert!(
        input.starts_with("sig1=(\"@method\" \"@target-uri\" \"content-digest\""),
        "{input}"
    );
    assert!(input.contains(";keyid=\"https://a.example/users/alice#main-key\""));
    assert!(h["content-digest"]
        .to_str()
        .unwrap()
        .starts_with("sha-256=:"));
    let req = Request {
        method: &Method::POST,
        scheme: "https",
        path_and_query: "/users/bob/inbox",
        headers: &h,
        body: BODY,
    };
    let checked = check(&req, now()).unwrap();
    assert_eq!(checked.scheme, Scheme::Rfc9421);
    assert_eq!(checked.key_id, KEY_ID);
    checked.verify(&p).unwrap();

    assert_eq!(
        run(&Method::POST, INBOX, &h, b"{}", now(), &p),
        Err(SignatureError::DigestMismatch)
    );
    assert!(matches!(
        run(
            &Method::POST,
            "https://b.example/inbox",
            &h,
            BODY,
            now(),
            &p
        ),
        Err(SignatureError::BadSignature(_))
    ));
    assert!(matches!(
        run(
            &Method::POST,
            INBOX,
            &h,
            BODY,
            now() + Duration::from_secs(3 * 3600),
            &p
        ),
        Err(SignatureError::OutsideWindow(_))
    ));
    let (_, other) = key(2);
    assert!(matches!(
        run(&Method::POST, INBOX, &h, BODY, now(), &other),
        Err(SignatureError::BadSignature(_))
    ));

    let get_url = "https://b.example/users/bob?x=1";
    let h = sign_request_rfc9421(
        &k,
        KEY_ID,
        &Method::GET,
        &url::Url::parse(get_url).unwrap(),
        b"",
        now(),
    )
    .unwrap();
    run(&Method::GET, get_url, &h, b"", now(), &p).unwrap();
}

/// An RFC 9421 signature built by hand with other derived components and
/// non-canonical spacing, as another implementation might send it.
#[test]
fn rfc9421_derived_components_are_rebuilt() {
    let (k, p) = key(1);
    let created = 1_767_323_000;
    let digest = format!(
        "sha-256=:{}:",
        B64.encode(ring::digest::digest(&ring::digest::SHA256, BODY))
    );
    let params = format!(
        "(\"@method\" \"@authority\" \"@path\" \"@query\" \"@request-target\" \"content-digest\");created={created};keyid=\"{KEY_ID}\""
    );
    let base = format!(
        "\"@method\": POST\n\"@authority\": b.example\n\"@path\": /users/bob/inbox\n\"@query\": ?a=b\n\"@request-target\": /users/bob/inbox?a=b\n\"content-digest\": {digest}\n\"@signature-params\": {params}"
    );
    let sig = B64.encode(k.sign(base.as_bytes()));
    let mut h = HeaderMap::new();
    h.insert("host", HeaderValue::from_static("B.example"));
    h.insert("content-digest", HeaderValue::from_str(&digest).unwrap());
    h.insert(
        "signature-input",
        HeaderValue::from_str(&format!(
            "sig1={}",
            params
                .replace(";created", "; created")
                .replacen('(', "( ", 1)
        ))
        .unwrap(),
    );
    h.insert(
        "signature",
        HeaderValue::from_str(&format!("sig1=:{sig}:")).unwrap(),
    );
    run(
        &Method::POST,
        "https://b.example/users/bob/inbox?a=b",
        &h,
        BODY,
        now(),
        &p,
    )
    .unwrap();

    // Without content-digest a POST is refused before any key is used.
    let mut t = h.clone();
    t.insert(
        "signature-input",
        HeaderValue::from_str(&format!(
            "sig1=(\"@method\" \"@target-uri\");created={created};keyid=\"{KEY_ID}\""
        ))
        .unwrap(),
    );
    assert_eq!(
        run(&Method::POST, INBOX, &t, BODY, now(), &p),
        Err(SignatureError::NotCovered("`content-digest` on a POST"))
    );
    // An algorithm we can't check.
    t.insert(
        "signature-input",
        HeaderValue::from_str(&format!(
            "sig1=(\"@method\" \"@target-uri\" \"content-digest\");created={created};keyid=\"{KEY_ID}\";alg=\"ed25519\""
        ))
        .unwrap(),
    );
    assert_eq!(
        run(&Method::POST, INBOX, &t, BODY, now(), &p),
        Err(SignatureError::UnsupportedAlgorithm("ed25519".into()))
    );
}
