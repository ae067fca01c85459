//! Hostile peers against the inbox's bounds on work: an id minted on
//! someone else's server, a peer that never answers, a peer flooding the
//! queue, forged signatures naming any key URL, and a peer that is down
//! for a while. Each is met at the door or in the worker, and other peers'
//! activities still go through.

use crate::common;
use axum::extract::State;
use axum::http::{header, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use burrow::crypto::keys::{seeded_pkcs8, SigningKey};
use burrow::federation::inbox_queue::MAX_JOBS_PER_ACTOR;
use burrow::federation::keys::KEY_FETCH_BURST;
use burrow::federation::signatures::sign_request;
use burrow::ops::statuses;
use burrow::store::relations::Rel;
use common::*;
use reqwest::Method;
use serde_json::{json, Value};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Instant, SystemTime};

/// An actor that signs what it sends with its own key.
struct Peer {
    key: SigningKey,
    actor: String,
}

impl Peer {
    /// The owner of a test server started with `seed`.
    fn of(s: &TestServer, name: &str, seed: u64) -> Peer {
        Peer {
            key: SigningKey::from_pkcs8(&seeded_pkcs8(seed)).unwrap(),
            actor: s.url(&format!("/users/{name}")),
        }
    }

    async fn send(&self, to: &str, activity: &Value) -> reqwest::Response {
        let body = activity.to_string().into_bytes();
        let headers = sign_request(
            &self.key,
            &format!("{}#main-key", self.actor),
            &Method::POST,
            &url::Url::parse(to).unwrap(),
            &body,
            SystemTime::now(),
        )
        .unwrap();
        client()
            .post(to)
            .headers(headers)
            .body(body)
            .send()
            .await
            .unwrap()
    }
}

fn activity(id: &str, kind: &str, actor: &str, object: Value) -> Value {
    json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": id,
        "type": kind,
        "actor": actor,
        "object": object,
    })
}

async fn error_of(res: reqwest::Response) -> String {
    let body: Value = res.json().await.unwrap();
    body["error"].as_str().unwrap_or_default().to_string()
}

fn follows_alice(a: &TestServer, actor: &str) -> bool {
    a.state
        .store
        .account_by_uri(actor)
        .unwrap()
        .is_some_and(|acc| a.state.store.has_relation(Rel::FollowedBy, acc.id).unwrap())
}

/// A server that accepts connections and never answers; counts them.
async fn tarpit() -> (String, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let accepted = Arc::new(AtomicUsize::new(0));
    let count = accepted.clone();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            count.fetch_add(1, Ordering::SeqCst);
            held.push(socket);
        }
    });
    (base, accepted)
}

/// bob's reply to a post on the tarpit: applying it means fetching the
/// post it answers, which never comes.
fn reply_to_tarpit(bob: &Peer, tarpit: &str, n: u32) -> Value {
    activity(
        &format!("{}#creates/tarpit{n}", bob.actor),
        "Create",
        &bob.actor,
        json!({
            "id": format!("{}/statuses/tarpit{n}", bob.actor),
            "type": "Note",
            "attributedTo": bob.actor,
            "inReplyTo": format!("{tarpit}/notes/{n}"),
            "content": "<p>replying into the void</p>",
            "to": ["https://www.w3.org/ns/activitystreams#Public"],
        }),
    )
}

#[tokio::test]
async fn a_delete_pre_sent_by_another_server_does_not_suppress_the_real_one() {
    let (a, b) = pair().await;
    let m = TestServer::start_with(TestOptions {
        username: Some("mallory"),
        key_seed: 3,
        ..Default::default()
    })
    .await;
    follow_accepted(&a, &format!("bob@{}", b.host)).await;
    let post = statuses::NewStatus {
        text: "soon gone".into(),
        ..Default::default()
    };
    let status = statuses::post(&b.state, post).await.unwrap();
    eventually("alice has bob's post", || {
        a.state.store.status_by_uri(&status.uri).unwrap().is_some()
    })
    .await;

    // mallory guesses the id bob's server will give the Delete and sends
    // it first, signed by mallory.
    let mallory = Peer::of(&m, "mallory", 3);
    let squat = activity(
        &format!("{}#delete", status.uri),
        "Delete",
        &mallory.actor,
        json!(status.uri),
    );
    let res = mallory.send(&a.url("/inbox"), &squat).await;
    assert_eq!(res.status(), 400);
    assert!(error_of(res).await.contains("not on"));

    statuses::delete(&b.state, status.id).await.unwrap();
    eventually("bob's real Delete is applied", || {
        a.state.store.status_by_uri(&status.uri).unwrap().is_none()
    })
    .await;
}

#[tokio::test]
async fn ids_on_another_server_and_overlong_ids_are_refused_at_the_door() {
    let (a, b) = pair().await;
    let bob = Peer::of(&b, "bob", 2);
    let inbox = a.url("/users/alice/inbox");
    let alice = a.url("/users/alice");

    let foreign = activity(
        "https://elsewhere.example/follows/1",
        "Follow",
        &bob.actor,
        json!(alice),
    );
    let res = bob.send(&inbox, &foreign).await;
    assert_eq!(res.status(), 400);
    let err = error_of(res).await;
    assert!(
        err.contains("elsewhere.example") && err.contains("signer"),
        "{err}"
    );

    let long_id = format!("{}#follows/{}", bob.actor, "x".repeat(3000));
    let res = bob
        .send(
            &inbox,
            &activity(&long_id, "Follow", &bob.actor, json!(alice)),
        )
        .await;
    assert_eq!(res.status(), 400);
    assert!(error_of(res).await.contains("2048 bytes"));

    assert_eq!(a.state.store.inbox_queue_len(), 0);
    assert!(!follows_alice(&a, &bob.actor));

    // The same Follow with an id of bob's own is taken.
    let own = activity(
        &format!("{}#follows/1", bob.actor),
        "Follow",
        &bob.actor,
        json!(alice),
    );
    assert_eq!(bob.send(&inbox, &own).await.status(), 202);
    eventually("bob follows alice", || follows_alice(&a, &bob.actor)).await;
}

#[tokio::test]
async fn a_peer_that_never_answers_does_not_hold_up_another_peer() {
    let (a, b) = pair().await;
    let c = TestServer::start_with(TestOptions {
        username: Some("carol"),
        key_seed: 3,
        ..Default::default()
    })
    .await;
    let (tarpit, accepted) = tarpit().await;
    let bob = Peer::of(&b, "bob", 2);
    let res = bob
        .send(&a.url("/inbox"), &reply_to_tarpit(&bob, &tarpit, 1))
        .await;
    assert_eq!(res.status(), 202);
    eventually("the worker is stuck on the tarpit", || {
        accepted.load(Ordering::SeqCst) == 1
    })
    .await;

    let carol = Peer::of(&c, "carol", 3);
    let follow = activity(
        &format!("{}#follows/1", carol.actor),
        "Follow",
        &carol.actor,
        json!(a.url("/users/alice")),
    );
    assert_eq!(carol.send(&a.url("/inbox"), &follow).await.status(), 202);
    eventually("carol's Follow is applied and done", || {
        follows_alice(&a, &carol.actor) && a.state.store.inbox_queue_len() == 1
    })
    .await;
    // …while bob's reply still waits on the tarpit.
    assert_eq!(accepted.load(Ordering::SeqCst), 1);
    let reply = format!("{}/statuses/tarpit1", bob.actor);
    assert!(a.state.store.status_by_uri(&reply).unwrap().is_none());
}

#[tokio::test]
async fn an_actor_over_its_quota_is_told_to_wait_and_nothing_is_queued() {
    let (a, b) = pair().await;
    let (tarpit, accepted) = tarpit().await;
    let bob = Peer::of(&b, "bob", 2);
    let inbox = a.url("/inbox");
    // bob's first job holds his turn (his jobs run one at a time, in
    // order), so the rest wait in the queue.
    assert_eq!(
        bob.send(&inbox, &reply_to_tarpit(&bob, &tarpit, 1))
            .await
            .status(),
        202
    );
    eventually("the worker is stuck on the tarpit", || {
        accepted.load(Ordering::SeqCst) == 1
    })
    .await;
    let like = |n: usize| {
        activity(
            &format!("{}#likes/{n}", bob.actor),
            "Like",
            &bob.actor,
            json!(a.url("/users/alice/statuses/1")),
        )
    };
    for n in 1..MAX_JOBS_PER_ACTOR {
        assert_eq!(bob.send(&inbox, &like(n)).await.status(), 202, "like {n}");
    }
    assert_eq!(a.state.store.inbox_queue_len(), MAX_JOBS_PER_ACTOR);

    let over = like(MAX_JOBS_PER_ACTOR);
    let res = bob.send(&inbox, &over).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(res.headers().contains_key(header::RETRY_AFTER));
    assert!(error_of(res).await.contains("too many"));
    assert_eq!(a.state.store.inbox_queue_len(), MAX_JOBS_PER_ACTOR);
    // Not even its id was kept: sent again once there is room, it counts.
    let host = burrow::host::normalize(&b.host).unwrap();
    let id = over["id"].as_str().unwrap();
    assert!(!a.state.store.inbox_seen(&host, id).unwrap());
}

/// Answers every request with 404 and counts them.
async fn recorder() -> (String, Arc<AtomicUsize>) {
    let hits = Arc::new(AtomicUsize::new(0));
    let app = axum::Router::new()
        .fallback(|State(hits): State<Arc<AtomicUsize>>| async move {
            hits.fetch_add(1, Ordering::SeqCst);
            StatusCode::NOT_FOUND
        })
        .with_state(hits.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (base, hits)
}

#[tokio::test]
async fn forged_requests_cannot_make_the_server_fetch_keys_without_limit() {
    let a = TestServer::start().await;
    let (rec, hits) = recorder().await;
    let inbox = a.url("/inbox");
    let alice = a.url("/users/alice");

    // Unsigned, naming an actor on the recorder: refused, nothing fetched.
    let unsigned = activity(
        &format!("{rec}/actors/0#follows/1"),
        "Follow",
        &format!("{rec}/actors/0"),
        json!(alice),
    );
    let res = client()
        .post(&inbox)
        .header("content-type", "application/activity+json")
        .body(unsigned.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);

    // Well-formed signatures by keys nobody published, each naming
    // another key URL on the same host.
    let started = Instant::now();
    let mut deferred = 0;
    let sent = 2 * KEY_FETCH_BURST;
    for n in 1..=sent {
        let forger = Peer {
            key: SigningKey::from_pkcs8(&seeded_pkcs8(9)).unwrap(),
            actor: format!("{rec}/actors/{n}"),
        };
        let follow = activity(
            &format!("{}#follows/1", forger.actor),
            "Follow",
            &forger.actor,
            json!(alice),
        );
        let res = forger.send(&inbox, &follow).await;
        match res.status().as_u16() {
            401 => {}
            429 => {
                assert!(res.headers().contains_key(header::RETRY_AFTER));
                deferred += 1;
            }
            other => panic!("request {n} answered {other}"),
        }
    }
    // At most the burst, and what refilled while the test ran.
    let refilled = started.elapsed().as_secs() / 3 + 1;
    let fetched = hits.load(Ordering::SeqCst) as u64;
    assert!(
        fetched <= u64::from(KEY_FETCH_BURST) + refilled,
        "{fetched} key fetches for {sent} forged requests"
    );
    assert!(deferred > 0);
    assert_eq!(a.state.store.inbox_queue_len(), 0);
}

/// dan's server: serves dan (whose key signs his activities) and his note,
/// except that the note answers 503 while the server is "down".
struct Dan {
    base: String,
    up: AtomicBool,
    key: SigningKey,
    alice: String,
}

async fn dan_doc(State(d): State<Arc<Dan>>, uri: Uri) -> Response {
    let actor = format!("{}/users/dan", d.base);
    let doc = match uri.path() {
        "/users/dan" => json!({
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": actor,
            "type": "Person",
            "preferredUsername": "dan",
            "inbox": format!("{actor}/inbox"),
            "publicKey": {
                "id": format!("{actor}#main-key"),
                "owner": actor,
                "publicKeyPem": d.key.public_key_pem(),
            },
        }),
        "/notes/1" if d.up.load(Ordering::SeqCst) => json!({
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": format!("{}/notes/1", d.base),
            "type": "Note",
            "attributedTo": actor,
            "content": "<p>hello alice, from a server that was down</p>",
            "to": ["https://www.w3.org/ns/activitystreams#Public"],
            "cc": [d.alice],
            "tag": [{ "type": "Mention", "href": d.alice }],
        }),
        "/notes/1" => return StatusCode::SERVICE_UNAVAILABLE.into_response(),
        _ => return StatusCode::NOT_FOUND.into_response(),
    };
    (
        [(header::CONTENT_TYPE, "application/activity+json")],
        doc.to_string(),
    )
        .into_response()
}

#[tokio::test]
async fn an_activity_whose_object_is_briefly_unreachable_is_applied_later() {
    let a = TestServer::start().await;
    // Retries every few milliseconds instead of minutes.
    a.state
        .inbox_queue
        .first_retry_ms
        .store(50, Ordering::Relaxed);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let dan = Arc::new(Dan {
        base: format!("http://{}", listener.local_addr().unwrap()),
        up: AtomicBool::new(false),
        key: SigningKey::from_pkcs8(&seeded_pkcs8(5)).unwrap(),
        alice: a.url("/users/alice"),
    });
    let app = axum::Router::new()
        .fallback(dan_doc)
        .with_state(dan.clone());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    let note = format!("{}/notes/1", dan.base);
    let peer = Peer {
        key: SigningKey::from_pkcs8(&seeded_pkcs8(5)).unwrap(),
        actor: format!("{}/users/dan", dan.base),
    };
    let create = activity(
        &format!("{}#creates/1", peer.actor),
        "Create",
        &peer.actor,
        json!(note),
    );
    assert_eq!(peer.send(&a.url("/inbox"), &create).await.status(), 202);
    eventually("the first attempt failed and the job waits", || {
        a.state
            .store
            .inbox_jobs()
            .unwrap()
            .iter()
            .any(|j| j.attempts >= 1 && j.last_error.contains("503"))
    })
    .await;
    assert!(a.state.store.status_by_uri(&note).unwrap().is_none());

    dan.up.store(true, Ordering::SeqCst);
    eventually("dan's note arrives once his server is back", || {
        a.state.store.status_by_uri(&note).unwrap().is_some()
    })
    .await;
    eventually("the job is done", || a.state.store.inbox_queue_len() == 0).await;
}
