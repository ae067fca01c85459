//! Verifying signed requests end to end: one server signs with its
//! owner's key, the other fetches the signer's actor over HTTP and
//! checks the signature; rotated keys are refetched, but not too often.

use crate::common;
use axum::extract::State;
use axum::http::{header, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use burrow::crypto::keys::{seeded_pkcs8, SigningKey};
use burrow::federation::keys::{verify_request, KeyError, VerifyError};
use burrow::federation::signatures::{sign_request, sign_request_rfc9421, SignatureError};
use common::*;
use reqwest::header::HeaderMap;
use reqwest::Method;
use serde_json::json;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::SystemTime;

const BODY: &[u8] = br#"{"type":"Follow"}"#;

fn key(seed: u64) -> SigningKey {
    SigningKey::from_pkcs8(&seeded_pkcs8(seed)).unwrap()
}

async fn pair() -> (TestServer, TestServer) {
    let alice = TestServer::start().await;
    let bob = TestServer::start_with(TestOptions {
        username: Some("bob"),
        key_seed: 2,
        ..Default::default()
    })
    .await;
    (alice, bob)
}

fn signed_to_bob_inbox(bob: &TestServer, key: &SigningKey, key_id: &str) -> HeaderMap {
    let url = url::Url::parse(&bob.url("/users/bob/inbox")).unwrap();
    sign_request(key, key_id, &Method::POST, &url, BODY, SystemTime::now()).unwrap()
}

#[tokio::test]
async fn a_request_signed_by_one_server_verifies_on_the_other() {
    let (alice, bob) = pair().await;
    let alice_key = alice.state.signing_key().unwrap();
    let key_id = alice.state.urls.key_id("alice");
    let headers = signed_to_bob_inbox(&bob, &alice_key, &key_id);

    let signer = verify_request(
        &bob.state,
        &Method::POST,
        "/users/bob/inbox",
        &headers,
        BODY,
    )
    .await
    .unwrap();
    assert_eq!(signer.uri, alice.url("/users/alice"));
    assert_eq!(signer.acct(), format!("alice@{}", alice.host));
    // The signer is now known to bob.
    assert!(bob
        .state
        .store
        .account_by_uri(&signer.uri)
        .unwrap()
        .is_some());

    // RFC 9421 from the same key verifies too.
    let url = url::Url::parse(&bob.url("/users/bob/inbox")).unwrap();
    let h9421 = sign_request_rfc9421(
        &alice_key,
        &key_id,
        &Method::POST,
        &url,
        BODY,
        SystemTime::now(),
    )
    .unwrap();
    let again = verify_request(&bob.state, &Method::POST, "/users/bob/inbox", &h9421, BODY)
        .await
        .unwrap();
    assert_eq!(again.id, signer.id);

    // A changed body is refused before any key is used.
    let err = verify_request(
        &bob.state,
        &Method::POST,
        "/users/bob/inbox",
        &headers,
        b"{}",
    )
    .await
    .unwrap_err();
    assert!(
        matches!(err, VerifyError::Signature(SignatureError::DigestMismatch)),
        "{err}"
    );
    // Another path than the one signed.
    let err = verify_request(&bob.state, &Method::POST, "/inbox", &headers, BODY)
        .await
        .unwrap_err();
    assert!(
        matches!(err, VerifyError::Signature(SignatureError::BadSignature(_))),
        "{err}"
    );

    // Someone else's key claiming to be alice.
    let forged = signed_to_bob_inbox(&bob, &key(7), &key_id);
    let err = verify_request(&bob.state, &Method::POST, "/users/bob/inbox", &forged, BODY)
        .await
        .unwrap_err();
    assert!(
        matches!(err, VerifyError::Signature(SignatureError::BadSignature(_))),
        "{err}"
    );
}

#[tokio::test]
async fn unknown_or_unreachable_signers_are_refused() {
    let (alice, bob) = pair().await;
    let key = alice.state.signing_key().unwrap();
    let headers = signed_to_bob_inbox(&bob, &key, &alice.url("/users/nobody#main-key"));
    let err = verify_request(
        &bob.state,
        &Method::POST,
        "/users/bob/inbox",
        &headers,
        BODY,
    )
    .await
    .unwrap_err();
    assert!(
        matches!(err, VerifyError::Key(KeyError::Fetch { .. })),
        "{err}"
    );
    assert!(err.to_string().contains("404"), "{err}");
}

/// A peer whose actor's key can change, counting fetches.
struct Peer {
    base: String,
    seed: AtomicU64,
    hits: AtomicUsize,
}

impl Peer {
    fn actor(&self, key_id: &str) -> serde_json::Value {
        let id = format!("{}/users/carol", self.base);
        json!({
            "id": id,
            "type": "Person",
            "preferredUsername": "carol",
            "inbox": format!("{id}/inbox"),
            "publicKey": {
                "id": key_id,
                "owner": id,
                "publicKeyPem": key(self.seed.load(Ordering::SeqCst)).public_key_pem(),
            }
        })
    }
}

async fn actor_doc(State(p): State<Arc<Peer>>) -> Response {
    p.hits.fetch_add(1, Ordering::SeqCst);
    let key_id = format!("{}/users/carol#main-key", p.base);
    let body = p.actor(&key_id).to_string();
    ([(header::CONTENT_TYPE, "application/activity+json")], body).into_response()
}

/// GoToSocial's layout: `…/users/NAME/main-key` serves a stub whose `id`
/// is the actor; the actor names `…/main-key` as its key.
async fn gts_doc(State(p): State<Arc<Peer>>, uri: Uri) -> Response {
    p.hits.fetch_add(1, Ordering::SeqCst);
    let key_id = format!("{}/gts/carol/main-key", p.base);
    let mut doc = p.actor(&key_id);
    doc["id"] = json!(format!("{}/gts/carol", p.base));
    doc["inbox"] = json!(format!("{}/gts/carol/inbox", p.base));
    doc["publicKey"]["owner"] = doc["id"].clone();
    if uri.path().ends_with("/main-key") {
        doc.as_object_mut().unwrap().remove("inbox");
    }
    let body = doc.to_string();
    ([(header::CONTENT_TYPE, "application/activity+json")], body).into_response()
}

async fn start_peer(seed: u64) -> Arc<Peer> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let peer = Arc::new(Peer {
        base: format!("http://{}", listener.local_addr().unwrap()),
        seed: AtomicU64::new(seed),
        hits: AtomicUsize::new(0),
    });
    let app = Router::new()
        .route("/users/carol", get(actor_doc))
        .route("/gts/carol", get(gts_doc))
        .route("/gts/carol/main-key", get(gts_doc))
        .with_state(peer.clone());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    peer
}

#[tokio::test]
async fn a_rotated_key_is_refetched_once_per_interval() {
    let bob = TestServer::start_with(TestOptions {
        username: Some("bob"),
        key_seed: 2,
        ..Default::default()
    })
    .await;
    let peer = start_peer(3).await;
    let key_id = format!("{}/users/carol#main-key", peer.base);
    let verify = |seed: u64| {
        let headers = signed_to_bob_inbox(&bob, &key(seed), &key_id);
        let state = bob.state.clone();
        async move { verify_request(&state, &Method::POST, "/users/bob/inbox", &headers, BODY).await }
    };

    verify(3).await.unwrap();
    assert_eq!(peer.hits.load(Ordering::SeqCst), 1);
    // Known now: no fetch.
    verify(3).await.unwrap();
    assert_eq!(peer.hits.load(Ordering::SeqCst), 1);

    // The peer rotates its key: one refetch, then it verifies.
    peer.seed.store(4, Ordering::SeqCst);
    let carol = verify(4).await.unwrap();
    assert_eq!(peer.hits.load(Ordering::SeqCst), 2);
    assert_eq!(
        carol.acct(),
        format!("carol@{}", peer.base.trim_start_matches("http://"))
    );

    // Another rotation right away: the refetch is rate-limited.
    peer.seed.store(5, Ordering::SeqCst);
    let err = verify(5).await.unwrap_err();
    assert!(
        matches!(err, VerifyError::Signature(SignatureError::BadSignature(_))),
        "{err}"
    );
    assert_eq!(peer.hits.load(Ordering::SeqCst), 2);
    // The stored key still works for what it signs.
    verify(4).await.unwrap();
}

#[tokio::test]
async fn gotosocial_style_key_ids_resolve_through_the_owner() {
    let bob = TestServer::start_with(TestOptions {
        username: Some("bob"),
        key_seed: 2,
        ..Default::default()
    })
    .await;
    let peer = start_peer(3).await;
    let key_id = format!("{}/gts/carol/main-key", peer.base);
    let headers = signed_to_bob_inbox(&bob, &key(3), &key_id);
    let carol = verify_request(
        &bob.state,
        &Method::POST,
        "/users/bob/inbox",
        &headers,
        BODY,
    )
    .await
    .unwrap();
    assert_eq!(carol.uri, format!("{}/gts/carol", peer.base));
    assert_eq!(carol.public_key_id, key_id);
    // Key stub, then the actor itself.
    assert_eq!(peer.hits.load(Ordering::SeqCst), 2);
    verify_request(
        &bob.state,
        &Method::POST,
        "/users/bob/inbox",
        &headers,
        BODY,
    )
    .await
    .unwrap();
    assert_eq!(peer.hits.load(Ordering::SeqCst), 2, "remembered");
}
