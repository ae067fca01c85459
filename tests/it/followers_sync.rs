//! Followers collection synchronisation (FEP-8fcf): the digest against a
//! vector worked out independently; the header on followers-only
//! deliveries, signed; the partial collection only for the asking
//! server; and two Burrows whose follow drifted apart repaired by one
//! delivery carrying the header.

use crate::common;
use burrow::federation::followers_sync::{digest, parse_header};
use burrow::store::relations::Rel;
use common::peer::Peer;
use common::*;
use serde_json::{json, Value};

#[test]
fn the_digest_matches_a_known_vector() {
    // sha256 of each id, XORed, in hex (computed outside Burrow).
    assert_eq!(
        digest(["https://example.com/users/alice"]),
        "31333f4587c5ace1557abd300fd4cb28519c041c6b26e95c2ce2b55a75b7ae13"
    );
    assert_eq!(
        digest([
            "https://example.com/users/alice",
            "https://example.com/users/bob"
        ]),
        "830d6bd2c4858569d2dba08ba290174a2a5a00d2c632457a0ee1fc83d0708309"
    );
    assert_eq!(digest([]), "0".repeat(64));
    let h = parse_header(
        "collectionId=\"https://a.example/users/x/followers\", url=\"https://a.example/users/x/followers_synchronization\", digest=\"ABC\"",
    )
    .unwrap();
    assert_eq!(h.collection_id, "https://a.example/users/x/followers");
    assert_eq!(h.digest, "abc");
    for bad in ["", "collectionId=\"x\"", "url=\"a", "=\"\"", "digest=x"] {
        assert_eq!(parse_header(bad), None, "{bad}");
    }
}

/// Has `who` on `peer` follow the owner of `s` and waits for the follow.
async fn follows_owner(s: &TestServer, who: &common::peer::Actor) {
    let follow = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": who.id(),
        "type": "Follow",
        "actor": who.uri,
        "object": s.url("/users/alice"),
    });
    who.send(s, follow).await;
}

#[tokio::test]
async fn followers_only_deliveries_carry_the_signed_header_and_the_part_is_served_per_server() {
    let s = TestServer::start().await;
    let peer = Peer::start().await;
    let other = Peer::start().await;
    let carol = peer.actor("carol", 41);
    let dave = peer.actor("dave", 42);
    let erin = other.actor("erin", 43);
    for a in [&carol, &dave] {
        follows_owner(&s, a).await;
    }
    follows_owner(&s, &erin).await;
    let api = Api {
        s: &s,
        token: token(&s, "read write").await,
    };
    for (vis, text) in [("public", "for everyone"), ("private", "for followers")] {
        let res = api
            .post("/api/v1/statuses", &[("status", text), ("visibility", vis)])
            .await;
        assert_eq!(res.status(), 200);
    }
    let creates = |text: &'static str| {
        let peer = &peer;
        move || {
            peer.received_with_headers()
                .iter()
                .any(|(_, v)| v["object"]["content"].as_str().unwrap_or("").contains(text))
        }
    };
    eventually("both posts reach the peer", creates("for everyone")).await;
    eventually("both posts reach the peer", creates("for followers")).await;
    let got = peer.received_with_headers();
    let header_of = |text: &str| {
        got.iter()
            .find(|(_, v)| v["object"]["content"].as_str().unwrap_or("").contains(text))
            .map(|(h, _)| h.clone())
            .unwrap()
    };
    assert!(header_of("for everyone")
        .get("collection-synchronization")
        .is_none());
    let h = header_of("for followers");
    let raw = h
        .get("collection-synchronization")
        .expect("a followers-only delivery carries the header")
        .to_str()
        .unwrap();
    let sync = parse_header(raw).unwrap();
    assert_eq!(sync.collection_id, s.url("/users/alice/followers"));
    assert_eq!(sync.url, s.url("/users/alice/followers_synchronization"));
    assert_eq!(sync.digest, digest([carol.uri.as_str(), dave.uri.as_str()]));
    let signature = h.get("signature").unwrap().to_str().unwrap();
    assert!(
        signature.contains("collection-synchronization"),
        "the header is signed: {signature}"
    );

    // The part is the asking server's followers only, and only when signed.
    let items = |v: Value| {
        let mut i: Vec<String> = v["orderedItems"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_str().unwrap().to_string())
            .collect();
        i.sort();
        i
    };
    let part = carol.get(&sync.url).await;
    assert_eq!(part.status(), 200);
    let mut want = vec![carol.uri.clone(), dave.uri.clone()];
    want.sort();
    assert_eq!(items(part.json().await.unwrap()), want);
    let theirs = erin.get(&sync.url).await.json::<Value>().await.unwrap();
    assert_eq!(items(theirs), vec![erin.uri.clone()]);
    let unsigned = client()
        .get(&sync.url)
        .header("accept", AP_ACCEPT)
        .send()
        .await
        .unwrap();
    assert_eq!(unsigned.status(), 401);
    assert!(unsigned.json::<Value>().await.unwrap()["error"].is_string());
}

#[tokio::test]
async fn a_follow_the_follower_forgot_is_undone_after_one_delivery() {
    let (a, b) = pair().await;
    let bob = follow_accepted(&a, &format!("bob@{}", b.host)).await;
    let alice_on_b = b
        .state
        .store
        .account_by_uri(&a.url("/users/alice"))
        .unwrap()
        .unwrap();
    assert!(b
        .state
        .store
        .has_relation(Rel::FollowedBy, alice_on_b.id)
        .unwrap());
    // Alice's side lost the follow (an Undo that never arrived there).
    let owner = a.state.store.owner_account().unwrap().unwrap();
    a.state
        .store
        .transact(|tx| {
            tx.remove_relation(owner.id, Rel::Following, bob.id)
                .map(|_| ())
        })
        .unwrap();
    let bob_api = Api {
        s: &b,
        token: token(&b, "write").await,
    };
    bob_api
        .post(
            "/api/v1/statuses",
            &[("status", "followers only"), ("visibility", "private")],
        )
        .await;
    eventually("bob's side lets alice go", || {
        !b.state
            .store
            .has_relation(Rel::FollowedBy, alice_on_b.id)
            .unwrap()
    })
    .await;
}

#[tokio::test]
async fn a_lost_accept_is_taken_as_given_after_one_delivery() {
    let (a, b) = pair().await;
    let bob = follow_accepted(&a, &format!("bob@{}", b.host)).await;
    // Alice's side never saw the Accept: still a request.
    let store = &a.state.store;
    let owner = store.owner_account().unwrap().unwrap();
    let r = store.relation(Rel::Following, bob.id).unwrap().unwrap();
    store
        .transact(|tx| {
            tx.remove_relation(owner.id, Rel::Following, bob.id)?;
            tx.set_relation(owner.id, Rel::Requested, bob.id, &r)
                .map(|_| ())
        })
        .unwrap();
    let bob_api = Api {
        s: &b,
        token: token(&b, "write").await,
    };
    bob_api
        .post(
            "/api/v1/statuses",
            &[("status", "followers only"), ("visibility", "private")],
        )
        .await;
    eventually("alice's side takes the follow as accepted", || {
        store.has_relation(Rel::Following, bob.id).unwrap()
    })
    .await;
    assert!(!store.has_relation(Rel::Requested, bob.id).unwrap());
}
