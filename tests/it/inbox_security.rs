//! Hostile and broken inbound requests: each is refused (401/413) or
//! dropped, and nothing reaches the store.

use crate::common;
use burrow::crypto::keys::{seeded_pkcs8, SigningKey};
use burrow::federation::signatures::sign_request;
use common::*;
use reqwest::Method;
use serde_json::{json, Value};
use std::time::{Duration, SystemTime};

struct Peer {
    key: SigningKey,
    actor: String,
}

impl Peer {
    /// bob on server `b` (seed 2), whose actor alice's server can fetch.
    fn bob(b: &TestServer) -> Peer {
        Peer {
            key: SigningKey::from_pkcs8(&seed_key(2)).unwrap(),
            actor: b.url("/users/bob"),
        }
    }

    async fn send(
        &self,
        to: &str,
        body: &[u8],
        now: SystemTime,
        tweak: impl FnOnce(&mut reqwest::header::HeaderMap),
    ) -> reqwest::Response {
        let url = url::Url::parse(to).unwrap();
        let mut headers = sign_request(
            &self.key,
            &format!("{}#main-key", self.actor),
            &Method::POST,
            &url,
            body,
            now,
        )
        .unwrap();
        tweak(&mut headers);
        client()
            .post(to)
            .headers(headers)
            .body(body.to_vec())
            .send()
            .await
            .unwrap()
    }
}

fn seed_key(seed: u64) -> Vec<u8> {
    seeded_pkcs8(seed)
}

fn follow(actor: &str, alice: &str) -> Vec<u8> {
    json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{actor}#follows/1"),
        "type": "Follow",
        "actor": actor,
        "object": alice,
    })
    .to_string()
    .into_bytes()
}

fn nothing_queued(a: &TestServer) -> bool {
    a.state.store.inbox_queue_len() == 0
        && a.state
            .store
            .relation_accounts(burrow::store::relations::Rel::FollowedBy)
            .unwrap()
            .is_empty()
}

#[tokio::test]
async fn a_correctly_signed_follow_is_accepted() {
    let (a, b) = pair().await;
    let bob = Peer::bob(&b);
    let res = bob
        .send(
            &a.url("/users/alice/inbox"),
            &follow(&bob.actor, &a.url("/users/alice")),
            SystemTime::now(),
            |_| {},
        )
        .await;
    assert_eq!(res.status(), 202);
    eventually("bob follows alice", || {
        !a.state
            .store
            .relation_accounts(burrow::store::relations::Rel::FollowedBy)
            .unwrap()
            .is_empty()
    })
    .await;
}

#[tokio::test]
async fn unsigned_and_tampered_requests_are_refused_with_401() {
    let (a, b) = pair().await;
    let bob = Peer::bob(&b);
    let inbox = a.url("/users/alice/inbox");
    let body = follow(&bob.actor, &a.url("/users/alice"));

    // No signature at all.
    let res = client()
        .post(&inbox)
        .header("content-type", "application/activity+json")
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    let err: Value = res.json().await.unwrap();
    assert!(err["error"].as_str().unwrap().contains("signature"));

    // A digest that doesn't match the body.
    let res = bob
        .send(&inbox, &body, SystemTime::now(), |h| {
            h.insert(
                "digest",
                "SHA-256=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
                    .parse()
                    .unwrap(),
            );
        })
        .await;
    assert_eq!(res.status(), 401);

    // Signed two hours ago.
    let stale = SystemTime::now() - Duration::from_secs(2 * 3600);
    assert_eq!(bob.send(&inbox, &body, stale, |_| {}).await.status(), 401);

    // Signed by bob, but the activity claims to be carol's.
    let forged = follow(&b.url("/users/carol"), &a.url("/users/alice"));
    assert_eq!(
        bob.send(&inbox, &forged, SystemTime::now(), |_| {})
            .await
            .status(),
        401
    );

    // Signed with a key that isn't bob's.
    let mallory = Peer {
        key: SigningKey::from_pkcs8(&seed_key(7)).unwrap(),
        actor: bob.actor.clone(),
    };
    assert_eq!(
        mallory
            .send(&inbox, &body, SystemTime::now(), |_| {})
            .await
            .status(),
        401
    );

    assert!(nothing_queued(&a));
}

#[tokio::test]
async fn a_body_over_one_mebibyte_is_refused() {
    let (a, b) = pair().await;
    let bob = Peer::bob(&b);
    let mut activity: Value =
        serde_json::from_slice(&follow(&bob.actor, &a.url("/users/alice"))).unwrap();
    activity["padding"] = json!("x".repeat(2 * 1024 * 1024));
    let body = activity.to_string().into_bytes();
    let res = bob
        .send(&a.url("/inbox"), &body, SystemTime::now(), |_| {})
        .await;
    assert_eq!(res.status(), 413);
    assert!(nothing_queued(&a));
}

#[tokio::test]
async fn an_object_claimed_for_another_host_is_not_trusted() {
    let (a, b) = pair().await;
    let c = TestServer::start_with(TestOptions {
        username: Some("carol"),
        key_seed: 3,
        ..Default::default()
    })
    .await;
    // alice follows bob, so bob's posts would be stored.
    follow_accepted(&a, &format!("bob@{}", b.host)).await;

    let bob = Peer::bob(&b);
    // bob sends a Create whose Note claims to live on carol's server.
    let fake_id = c.url("/users/carol/statuses/1");
    let create = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{}#creates/1", bob.actor),
        "type": "Create",
        "actor": bob.actor,
        "object": {
            "id": fake_id,
            "type": "Note",
            "attributedTo": c.url("/users/carol"),
            "content": "<p>carol never said this</p>",
            "to": ["https://www.w3.org/ns/activitystreams#Public"],
        },
    })
    .to_string()
    .into_bytes();
    let res = bob
        .send(&a.url("/inbox"), &create, SystemTime::now(), |_| {})
        .await;
    assert_eq!(res.status(), 202, "the request itself is validly signed");
    eventually("the job is processed", || {
        a.state.store.inbox_queue_len() == 0
    })
    .await;
    assert!(a.state.store.status_by_uri(&fake_id).unwrap().is_none());
}
