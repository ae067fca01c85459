//! The fetcher against a small server on loopback that misbehaves in
//! every way a hostile peer might: private addresses, huge or
//! compressed-huge bodies, wrong content types, lying ids, redirect
//! chains and loops.

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use burrow::config::Config;
use burrow::crypto::keys::{seeded_pkcs8, PublicKey, SigningKey};
use burrow::federation::fetcher::{
    is_activity_json, is_public_ip, resolve_public, FetchError, Fetcher, Signer, MAX_BODY_BYTES,
};
use burrow::federation::signatures;
use serde_json::json;
use std::io::Write;
use std::net::IpAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::SystemTime;

const AP: &str = "application/activity+json";

struct Peer {
    base: String,
    hits: AtomicUsize,
    /// The key signed requests must verify with.
    key: PublicKey,
}

type S = State<Arc<Peer>>;

fn doc(ct: &str, body: String) -> Response {
    ([(header::CONTENT_TYPE, ct.to_string())], body).into_response()
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    enc.write_all(data).unwrap();
    enc.finish().unwrap()
}

async fn object(State(p): S, uri: Uri) -> Response {
    let id = format!("{}{}", p.base, uri.path());
    let ct = match uri.path() {
        "/ld" => "application/ld+json; profile=\"https://www.w3.org/ns/activitystreams\"",
        "/ld-noprofile" => "application/ld+json",
        "/html" => "text/html",
        _ => AP,
    };
    let id = if uri.path() == "/liar" {
        "https://elsewhere.example/actor".to_string()
    } else {
        id
    };
    doc(ct, json!({ "id": id, "type": "Note" }).to_string())
}

/// Valid JSON of `n` bytes or more.
fn big_json(n: usize) -> String {
    json!({ "id": "x", "pad": "a".repeat(n) }).to_string()
}

async fn big(State(_): S) -> Response {
    doc(AP, big_json(MAX_BODY_BYTES + 1))
}

async fn gzipped(State(p): S, Path(kind): Path<String>) -> Response {
    let body = if kind == "bomb" {
        big_json(8 * MAX_BODY_BYTES)
    } else {
        json!({ "id": format!("{}/gzip/{kind}", p.base), "type": "Note" }).to_string()
    };
    let packed = gzip(body.as_bytes());
    if kind == "bomb" {
        assert!(packed.len() < MAX_BODY_BYTES / 4);
    }
    (
        [
            (header::CONTENT_TYPE, AP),
            (header::CONTENT_ENCODING, "gzip"),
        ],
        packed,
    )
        .into_response()
}

async fn redirect(State(p): S, Path(n): Path<u32>) -> Response {
    if n == 0 {
        return doc(
            AP,
            json!({ "id": format!("{}/r/0", p.base), "type": "Note" }).to_string(),
        );
    }
    (
        StatusCode::FOUND,
        [(header::LOCATION, format!("/r/{}", n - 1))],
    )
        .into_response()
}

async fn looping(State(_): S) -> Response {
    (StatusCode::MOVED_PERMANENTLY, [(header::LOCATION, "/loop")]).into_response()
}

fn verify(p: &Peer, method: &reqwest::Method, uri: &Uri, h: &HeaderMap, body: &[u8]) -> bool {
    let pq = uri.path_and_query().map(|x| x.as_str()).unwrap_or("/");
    let req = signatures::Request {
        method,
        scheme: "http",
        path_and_query: pq,
        headers: h,
        body,
    };
    signatures::verify(&req, SystemTime::now(), &p.key).is_ok()
}

async fn signed(State(p): S, uri: Uri, h: HeaderMap) -> Response {
    if !verify(&p, &reqwest::Method::GET, &uri, &h, b"") {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    doc(
        AP,
        json!({ "id": format!("{}/signed", p.base), "type": "Note" }).to_string(),
    )
}

async fn inbox(State(p): S, uri: Uri, h: HeaderMap, body: axum::body::Bytes) -> StatusCode {
    if verify(&p, &reqwest::Method::POST, &uri, &h, &body) {
        StatusCode::ACCEPTED
    } else {
        StatusCode::UNAUTHORIZED
    }
}

async fn webfinger(State(p): S) -> Response {
    doc(
        "application/jrd+json; charset=utf-8",
        json!({
            "subject": "acct:carol@x",
            "links": [
                { "rel": "http://webfinger.net/rel/profile-page", "type": "text/html", "href": format!("{}/@carol", p.base) },
                { "rel": "self", "type": AP, "href": format!("{}/users/carol", p.base) }
            ]
        })
        .to_string(),
    )
}

async fn count(State(p): S, req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    p.hits.fetch_add(1, Ordering::SeqCst);
    next.run(req).await
}

async fn start_peer() -> Arc<Peer> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let key = PublicKey::from_pem(&signing_key().public_key_pem()).unwrap();
    let peer = Arc::new(Peer {
        base,
        hits: AtomicUsize::new(0),
        key,
    });
    let app = Router::new()
        .route("/big", get(big))
        .route("/gzip/{kind}", get(gzipped))
        .route("/r/{n}", get(redirect))
        .route("/loop", get(looping))
        .route("/signed", get(signed))
        .route("/inbox", post(inbox))
        .route("/.well-known/webfinger", get(webfinger))
        .fallback(get(object))
        .layer(axum::middleware::from_fn_with_state(peer.clone(), count))
        .with_state(peer.clone());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    peer
}

fn signing_key() -> SigningKey {
    SigningKey::from_pkcs8(&seeded_pkcs8(1)).unwrap()
}

fn fetcher(allow_private: bool) -> Fetcher {
    let mut config = Config::default();
    config.federation.allow_private_network = allow_private;
    Fetcher::new(&config)
}

#[tokio::test]
async fn private_addresses_are_refused_before_any_request() {
    let peer = start_peer().await;
    let f = fetcher(false);
    let port = peer.base.rsplit(':').next().unwrap();
    for url in [
        format!("{}/actor", peer.base),
        format!("http://localhost:{port}/actor"),
        format!("http://[::ffff:127.0.0.1]:{port}/actor"),
    ] {
        let err = f.fetch_object(&url, None).await.unwrap_err();
        assert!(matches!(err, FetchError::PrivateAddress(_)), "{url}: {err}");
        assert!(err.to_string().contains("allow_private_network"));
    }
    let err = f
        .post_activity(
            &format!("{}/inbox", peer.base),
            b"{}",
            &Signer {
                key: Arc::new(signing_key()),
                key_id: "https://a.example/users/a#main-key".into(),
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(err, FetchError::PrivateAddress(_)), "{err}");
    let err = f
        .webfinger(&format!("carol@localhost:{port}"))
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            FetchError::PrivateAddress(_) | FetchError::Network { .. }
        ),
        "{err}"
    );
    assert_eq!(peer.hits.load(Ordering::SeqCst), 0);

    // The same fetcher with the switch on reaches it.
    let doc = fetcher(true)
        .fetch_object(&format!("{}/actor", peer.base), None)
        .await
        .unwrap();
    assert_eq!(doc.id(), Some(format!("{}/actor", peer.base).as_str()));
    assert_eq!(peer.hits.load(Ordering::SeqCst), 1);
}

/// Redirect targets go through `check_url` (literals) and the resolver
/// (names); both refuse what a second, private host would be.
#[tokio::test]
async fn the_address_checks_cover_every_private_range() {
    let f = fetcher(false);
    for bad in [
        "http://127.0.0.1/",
        "http://10.1.2.3/",
        "http://172.16.0.1/",
        "http://192.168.1.1/",
        "http://169.254.169.254/latest/meta-data",
        "http://100.64.0.1/",
        "http://0.0.0.0/",
        "http://224.0.0.1/",
        "http://192.0.2.1/",
        "http://[::1]/",
        "http://[fe80::1]/",
        "http://[fd00::1]/",
        "http://[::ffff:10.0.0.1]/",
        "http://[64:ff9b::7f00:1]/",
        "http://[2001:db8::1]/",
        "http://2130706433/",
    ] {
        assert!(
            matches!(f.check_url(bad), Err(FetchError::PrivateAddress(_))),
            "{bad}"
        );
        assert!(fetcher(true).check_url(bad).is_ok(), "{bad}");
    }
    assert!(matches!(
        f.check_url("file:///etc/passwd"),
        Err(FetchError::BadUrl(_))
    ));
    assert!(f.check_url("https://93.184.216.34/").is_ok());
    assert!(f.check_url("https://[2606:4700::1]/").is_ok());
    for ip in ["8.8.8.8", "2a00:1450::1"] {
        assert!(is_public_ip(ip.parse::<IpAddr>().unwrap()), "{ip}");
    }
    // Names are checked after resolution.
    let err = resolve_public("localhost", false).await.unwrap_err();
    assert!(err.to_string().contains("non-public"), "{err}");
    assert!(!resolve_public("localhost", true).await.unwrap().is_empty());
}

#[tokio::test]
async fn oversized_bodies_are_refused_even_when_compressed() {
    let peer = start_peer().await;
    let f = fetcher(true);
    let err = f
        .fetch_object(&format!("{}/big", peer.base), None)
        .await
        .unwrap_err();
    assert!(matches!(err, FetchError::TooLarge(_)), "{err}");
    let err = f
        .fetch_object(&format!("{}/gzip/bomb", peer.base), None)
        .await
        .unwrap_err();
    assert!(matches!(err, FetchError::TooLarge(_)), "{err}");
    // A small compressed document is read normally.
    let url = format!("{}/gzip/small", peer.base);
    assert_eq!(
        f.fetch_object(&url, None).await.unwrap().id(),
        Some(url.as_str())
    );
}

#[tokio::test]
async fn only_activitystreams_content_types_are_accepted() {
    let peer = start_peer().await;
    let f = fetcher(true);
    for (path, ok) in [("/ld", true), ("/ld-noprofile", false), ("/html", false)] {
        let res = f.fetch_object(&format!("{}{path}", peer.base), None).await;
        match (ok, res) {
            (true, Ok(_)) => {}
            (false, Err(FetchError::WrongContentType { .. })) => {}
            (_, other) => panic!("{path}: {other:?}"),
        }
    }
    assert!(is_activity_json("application/activity+json; charset=utf-8"));
    assert!(is_activity_json(
        "application/ld+json;profile=\"https://www.w3.org/ns/activitystreams https://example.org/x\""
    ));
    assert!(!is_activity_json("application/json"));
}

#[tokio::test]
async fn a_document_must_carry_the_id_it_was_fetched_from() {
    let peer = start_peer().await;
    let err = fetcher(true)
        .fetch_object(&format!("{}/liar", peer.base), None)
        .await
        .unwrap_err();
    assert!(matches!(err, FetchError::IdMismatch { .. }), "{err}");
    assert!(err.to_string().contains("elsewhere.example"));
}

#[tokio::test]
async fn redirects_are_capped_and_loops_refused() {
    let peer = start_peer().await;
    let f = fetcher(true);
    // Three hops on the same host: allowed, and the final URL's id counts.
    let doc = f
        .fetch_object(&format!("{}/r/3", peer.base), None)
        .await
        .unwrap();
    assert_eq!(doc.url.as_str(), format!("{}/r/0", peer.base));
    let before = peer.hits.load(Ordering::SeqCst);
    let err = f
        .fetch_object(&format!("{}/r/4", peer.base), None)
        .await
        .unwrap_err();
    assert!(matches!(err, FetchError::TooManyRedirects(_)), "{err}");
    // The fourth redirect is not followed.
    assert_eq!(peer.hits.load(Ordering::SeqCst) - before, 4);
    let err = f
        .fetch_object(&format!("{}/loop", peer.base), None)
        .await
        .unwrap_err();
    assert!(matches!(err, FetchError::RedirectLoop(_)), "{err}");
}

#[tokio::test]
async fn signed_gets_and_deliveries_verify_at_the_peer() {
    let peer = start_peer().await;
    let f = fetcher(true);
    let signer = Signer {
        key: Arc::new(signing_key()),
        key_id: "https://a.example/users/a#main-key".into(),
    };
    let url = format!("{}/signed", peer.base);
    let err = f.fetch_object(&url, None).await.unwrap_err();
    assert!(
        matches!(err, FetchError::Status { status: 401, .. }),
        "{err}"
    );
    f.fetch_object(&url, Some(&signer)).await.unwrap();

    let status = f
        .post_activity(
            &format!("{}/inbox", peer.base),
            br#"{"type":"Follow"}"#,
            &signer,
        )
        .await
        .unwrap();
    assert_eq!(status, 202);
    // Signed by someone else: the peer refuses, and we report its answer.
    let other = Signer {
        key: Arc::new(SigningKey::from_pkcs8(&seeded_pkcs8(2)).unwrap()),
        key_id: signer.key_id.clone(),
    };
    let status = f
        .post_activity(&format!("{}/inbox", peer.base), b"{}", &other)
        .await
        .unwrap();
    assert_eq!(status, 401);
}

#[tokio::test]
async fn webfinger_finds_the_actor_link() {
    let peer = start_peer().await;
    let host = peer.base.trim_start_matches("http://");
    let f = fetcher(true);
    for acct in [
        format!("carol@{host}"),
        format!("acct:carol@{host}"),
        format!("@carol@{host}"),
    ] {
        let url = f.webfinger(&acct).await.unwrap();
        assert_eq!(url.as_str(), format!("{}/users/carol", peer.base));
    }
    for bad in ["carol", "@", "carol@", "a@b/c"] {
        assert!(
            matches!(f.webfinger(bad).await, Err(FetchError::BadAcct(_))),
            "{bad}"
        );
    }
}
