//! The delivery queue against a peer that fails, then recovers: the
//! activity arrives after retries, even with a restart of the sender in
//! between (jobs live in the store, not in memory).

use crate::common;
use axum::routing::post;
use burrow::store::accounts::Account;
use burrow::store::relations::{Rel, Relation};
use common::*;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// A peer inbox that answers 500 to the first `failures` requests.
async fn flaky_inbox(failures: usize) -> (String, Arc<AtomicUsize>, Arc<Mutex<Vec<String>>>) {
    let hits = Arc::new(AtomicUsize::new(0));
    let bodies = Arc::new(Mutex::new(Vec::new()));
    let (h, b) = (hits.clone(), bodies.clone());
    let app = axum::Router::new().route(
        "/inbox",
        post(move |body: String| {
            let (h, b) = (h.clone(), b.clone());
            async move {
                if h.fetch_add(1, Ordering::SeqCst) < failures {
                    axum::http::StatusCode::INTERNAL_SERVER_ERROR
                } else {
                    b.lock().unwrap().push(body);
                    axum::http::StatusCode::ACCEPTED
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (base, hits, bodies)
}

fn add_follower(s: &TestServer, peer: &str) {
    let store = &s.state.store;
    let owner = store.owner_account().unwrap().unwrap();
    let follower = Account {
        id: store.next_id(),
        username: "peer".into(),
        domain: Some(peer.trim_start_matches("http://").into()),
        uri: format!("{peer}/users/peer"),
        inbox: format!("{peer}/inbox"),
        ..Default::default()
    };
    store.put_account(&follower).unwrap();
    let r = Relation {
        id: store.next_id(),
        ..Default::default()
    };
    store
        .transact(|tx| {
            tx.set_relation(owner.id, Rel::FollowedBy, follower.id, &r)
                .map(|_| ())
        })
        .unwrap();
}

fn fast_retries(s: &TestServer) {
    s.state.delivery_first_retry_ms.store(50, Ordering::Relaxed);
}

/// True when the one job is waiting for a retry rather than in flight
/// (in-flight jobs are leased minutes ahead).
fn waiting_for_retry(s: &TestServer) -> bool {
    let now = burrow::time_fmt::now_ms();
    matches!(s.state.store.next_delivery_due().unwrap(), Some(due) if due < now + 30_000)
}

#[tokio::test]
async fn a_failing_peer_gets_the_activity_after_retries_and_a_restart() {
    let (peer, hits, bodies) = flaky_inbox(2).await;
    let s = TestServer::start().await;
    fast_retries(&s);
    add_follower(&s, &peer);
    let st = burrow::ops::statuses::post(
        &s.state,
        burrow::ops::statuses::NewStatus {
            text: "survives".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    eventually("two failed attempts", || {
        hits.load(Ordering::SeqCst) >= 2 && waiting_for_retry(&s)
    })
    .await;
    assert!(bodies.lock().unwrap().is_empty());

    // Restart the sender: the job is still in its store.
    let dir = s.stop().await;
    let s = TestServer::start_in(dir, TestOptions::default()).await;
    fast_retries(&s);
    eventually("delivered after restart", || {
        !bodies.lock().unwrap().is_empty()
    })
    .await;
    let body: serde_json::Value = serde_json::from_str(&bodies.lock().unwrap()[0]).unwrap();
    assert_eq!(body["type"], "Create");
    assert_eq!(body["object"]["id"], st.uri);
    assert_eq!(hits.load(Ordering::SeqCst), 3);
    eventually("queue emptied", || s.state.store.delivery_queue_len() == 0).await;
}

#[tokio::test]
async fn a_gone_inbox_is_dropped_with_its_follower() {
    let hits = Arc::new(AtomicUsize::new(0));
    let h = hits.clone();
    let app = axum::Router::new().route(
        "/inbox",
        post(move || {
            h.fetch_add(1, Ordering::SeqCst);
            async { axum::http::StatusCode::GONE }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let peer = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let s = TestServer::start().await;
    add_follower(&s, &peer);
    burrow::ops::statuses::post(
        &s.state,
        burrow::ops::statuses::NewStatus {
            text: "hello".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    eventually("the follower is dropped", || {
        s.state
            .store
            .relation_accounts(Rel::FollowedBy)
            .unwrap()
            .is_empty()
    })
    .await;
    assert_eq!(hits.load(Ordering::SeqCst), 1);
    assert_eq!(s.state.store.delivery_queue_len(), 0);
}
