//! Moving between Burrow instances over loopback: aliases, a `Move` out
//! that carries followers on a third instance over, and what a moved
//! account refuses.

use crate::common;
use burrow::ops::{follows, moving, OpError};
use burrow::store::relations::Rel;
use common::*;

#[tokio::test]
async fn moving_out_carries_followers_and_refuses_new_ones() {
    let (a, b) = pair().await;
    let c = TestServer::start_with(TestOptions {
        username: Some("carol"),
        key_seed: 3,
        ..Default::default()
    })
    .await;
    let alice = a.state.store.owner_account().unwrap().unwrap();
    let bob = b.state.store.owner_account().unwrap().unwrap();
    let carol = c.state.store.owner_account().unwrap().unwrap();
    let alice_at_c = follow_accepted(&c, &format!("alice@{}", a.host)).await;

    // Without the alias on the target, the move is refused and nothing changes.
    let bob_handle = format!("@bob@{}", b.host);
    let refused = moving::move_to(&a.state, &bob_handle).await;
    assert!(
        matches!(&refused, Err(OpError::Forbidden(m)) if m.contains("alsoKnownAs")),
        "{refused:?}"
    );
    let doc = get_ap(&alice.uri).await;
    assert!(doc.get("movedTo").is_none(), "{doc}");

    // The alias, given as a handle, is resolved and shown in the actor.
    let alias = format!("@alice@{}", a.host);
    moving::add_alias(&b.state, &alias).await.unwrap();
    let doc = get_ap(&bob.uri).await;
    assert_eq!(doc["alsoKnownAs"], serde_json::json!([alice.uri]), "{doc}");

    moving::move_to(&a.state, &bob_handle).await.unwrap();
    let doc = get_ap(&alice.uri).await;
    assert_eq!(doc["movedTo"], serde_json::json!(bob.uri), "{doc}");

    // Carol's server got the Move, followed Bob, and Bob accepted.
    let carol_at_b = || b.state.store.account_by_uri(&carol.uri).unwrap();
    eventually("carol follows bob", || {
        carol_at_b()
            .map(|acc| b.state.store.has_relation(Rel::FollowedBy, acc.id).unwrap())
            .unwrap_or(false)
    })
    .await;
    assert!(!c
        .state
        .store
        .has_relation(Rel::Following, alice_at_c.id)
        .unwrap());

    // A new Follow of the moved account is rejected.
    follows::follow(&c.state, alice_at_c.id, Default::default())
        .await
        .unwrap();
    eventually("the follow request is answered", || {
        !c.state
            .store
            .has_relation(Rel::Requested, alice_at_c.id)
            .unwrap()
    })
    .await;
    assert!(!c
        .state
        .store
        .has_relation(Rel::Following, alice_at_c.id)
        .unwrap());
    assert!(a
        .state
        .store
        .account_by_uri(&carol.uri)
        .unwrap()
        .map(|acc| !a.state.store.has_relation(Rel::FollowedBy, acc.id).unwrap())
        .unwrap_or(true));

    // Removing the alias takes it out of the actor again.
    moving::remove_alias(&b.state, &alice.uri).await.unwrap();
    let doc = get_ap(&bob.uri).await;
    assert!(doc.get("alsoKnownAs").is_none(), "{doc}");
}
