//! Peers that speak for what isn't theirs: an account posting as its
//! neighbour, a boost squatting another server's URI, undoing, accepting,
//! deleting or editing someone else's activity, a Move that can't finish,
//! and servers the owner blocked (however their name is spelled).
//!
//! A fake peer server (`Peer`) serves several actors on one host, signs
//! what they send to Burrow's inbox with their own keys, serves the
//! documents it "really" has, and records what Burrow delivers to it.

use crate::common;
use axum::extract::{OriginalUri, State as AxState};
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use burrow::crypto::keys::{seeded_pkcs8, SigningKey};
use burrow::federation::signatures::sign_request;
use burrow::store::accounts::Account;
use burrow::store::relations::{Rel, Relation};
use burrow::store::statuses::Status;
use common::*;
use reqwest::Method;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

const PUBLIC: &str = "https://www.w3.org/ns/activitystreams#Public";

#[derive(Clone, Default)]
struct PeerData {
    /// Documents served by path.
    docs: Arc<Mutex<HashMap<String, Value>>>,
    /// Bodies Burrow posted to any inbox here.
    received: Arc<Mutex<Vec<Value>>>,
}

/// One fake server with many accounts.
struct Peer {
    base: String,
    data: PeerData,
}

/// An account on a `Peer`, with its own key.
struct Actor {
    uri: String,
    key: SigningKey,
}

static NEXT: AtomicU64 = AtomicU64::new(1);

/// A fresh activity id under `actor`, so no two activities share one.
fn new_id(actor: &str) -> String {
    format!("{actor}#activities/{}", NEXT.fetch_add(1, Ordering::SeqCst))
}

async fn serve_doc(AxState(data): AxState<PeerData>, uri: OriginalUri) -> axum::response::Response {
    let doc = data.docs.lock().unwrap().get(uri.path()).cloned();
    match doc {
        Some(d) => (
            [(header::CONTENT_TYPE, "application/activity+json")],
            d.to_string(),
        )
            .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

async fn take_post(AxState(data): AxState<PeerData>, body: String) -> StatusCode {
    if let Ok(v) = serde_json::from_str(&body) {
        data.received.lock().unwrap().push(v);
    }
    StatusCode::ACCEPTED
}

impl Peer {
    async fn start() -> Peer {
        let data = PeerData::default();
        let app = axum::Router::new()
            .fallback(axum::routing::get(serve_doc).post(take_post))
            .with_state(data.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Peer { base, data }
    }

    fn host(&self) -> &str {
        self.base.trim_start_matches("http://")
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Serves `doc` at the path of its own `id`.
    fn serve(&self, doc: Value) {
        let id = doc["id"].as_str().unwrap();
        let path = url::Url::parse(id).unwrap().path().to_string();
        self.data.docs.lock().unwrap().insert(path, doc);
    }

    /// A new account `name` (key from `seed`), listing `also_known_as`.
    fn actor_aka(&self, name: &str, seed: u64, also_known_as: &[&str]) -> Actor {
        let key = SigningKey::from_pkcs8(&seeded_pkcs8(seed)).unwrap();
        let uri = self.url(&format!("/users/{name}"));
        self.serve(json!({
            "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
            "id": uri,
            "type": "Person",
            "preferredUsername": name,
            "inbox": format!("{uri}/inbox"),
            "outbox": format!("{uri}/outbox"),
            "followers": format!("{uri}/followers"),
            "alsoKnownAs": also_known_as,
            "publicKey": {
                "id": format!("{uri}#main-key"),
                "owner": uri,
                "publicKeyPem": key.public_key_pem(),
            },
        }));
        Actor { uri, key }
    }

    fn actor(&self, name: &str, seed: u64) -> Actor {
        self.actor_aka(name, seed, &[])
    }

    fn received(&self) -> Vec<Value> {
        self.data.received.lock().unwrap().clone()
    }
}

impl Actor {
    /// Posts `activity` signed with this actor's key to `s`'s shared
    /// inbox, and waits until it has been applied.
    async fn send(&self, s: &TestServer, activity: Value) {
        let status = self.send_status(s, &activity).await;
        assert_eq!(status, 202, "the request itself is validly signed");
        eventually("the inbox has applied it", || {
            s.state.store.inbox_queue_len() == 0
        })
        .await;
    }

    /// Posts `activity` signed with this actor's key to `s`'s shared
    /// inbox and returns the HTTP status.
    async fn send_status(&self, s: &TestServer, activity: &Value) -> u16 {
        let to = s.url("/inbox");
        let body = activity.to_string().into_bytes();
        let headers = sign_request(
            &self.key,
            &format!("{}#main-key", self.uri),
            &Method::POST,
            &url::Url::parse(&to).unwrap(),
            &body,
            SystemTime::now(),
        )
        .unwrap();
        let res = client()
            .post(&to)
            .headers(headers)
            .body(body)
            .send()
            .await
            .unwrap();
        res.status().as_u16()
    }

    /// An activity of `kind` by this actor about `object`.
    fn activity(&self, kind: &str, object: Value) -> Value {
        json!({
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": new_id(&self.uri),
            "type": kind,
            "actor": self.uri,
            "object": object,
        })
    }

    /// A public Note by this actor, with `content`.
    fn note(&self, n: u32, content: &str) -> Value {
        json!({
            "id": format!("{}/statuses/{n}", self.uri),
            "type": "Note",
            "attributedTo": self.uri,
            "content": content,
            "to": [PUBLIC],
            "published": "2024-11-13T10:00:00Z",
        })
    }
}

/// The account `s` has stored for `actor` (fetched if need be).
async fn known(s: &TestServer, actor: &Actor) -> Account {
    burrow::federation::fetch_actor(&s.state, &actor.uri)
        .await
        .expect("the actor can be fetched")
}

/// Records that the owner of `s` has `rel` with `actor` (as if a follow
/// had gone through earlier), keeping `activity_uri`.
async fn relate(s: &TestServer, rel: Rel, actor: &Actor, activity_uri: &str) -> Account {
    let a = known(s, actor).await;
    let store = &s.state.store;
    let owner = store.owner_account().unwrap().unwrap();
    let r = Relation {
        id: store.next_id(),
        activity_uri: activity_uri.into(),
        reblogs: true,
        ..Default::default()
    };
    store
        .transact(|tx| tx.set_relation(owner.id, rel, a.id, &r).map(|_| ()))
        .unwrap();
    a
}

fn status(s: &TestServer, uri: &str) -> Option<Status> {
    s.state.store.status_by_uri(uri).unwrap()
}

fn has(s: &TestServer, rel: Rel, a: &Account) -> bool {
    s.state.store.has_relation(rel, a.id).unwrap()
}

async fn local_post(s: &TestServer, text: &str) -> Status {
    burrow::ops::statuses::post(
        &s.state,
        burrow::ops::statuses::NewStatus {
            text: text.into(),
            ..Default::default()
        },
    )
    .await
    .unwrap()
}

#[tokio::test]
async fn an_account_cannot_post_as_its_neighbour() {
    let s = TestServer::start().await;
    let host = Peer::start().await;
    let mallory = host.actor("mallory", 11);
    let carol = host.actor("carol", 12);
    relate(&s, Rel::Following, &carol, "").await;

    // carol's real status, as her server serves it.
    let real = carol.note(1, "<p>what carol really said</p>");
    host.serve(real.clone());
    // mallory embeds a forged copy of it, and a status carol never wrote.
    let mut forged = real.clone();
    forged["content"] = json!("<p>carol never said this</p>");
    mallory.send(&s, mallory.activity("Create", forged)).await;
    let invented = carol.note(2, "<p>nor this</p>");
    mallory
        .send(&s, mallory.activity("Create", invented.clone()))
        .await;

    // The forged copy was replaced by the one fetched from carol's server.
    let stored = status(&s, real["id"].as_str().unwrap()).expect("the real status is stored");
    assert!(
        stored.content.contains("what carol really said"),
        "{}",
        stored.content
    );
    assert_eq!(stored.account_id, known(&s, &carol).await.id);
    // What carol's server doesn't have is not stored at all.
    assert!(status(&s, invented["id"].as_str().unwrap()).is_none());

    // carol herself is believed as sent.
    let own = carol.note(3, "<p>carol's own words</p>");
    carol.send(&s, carol.activity("Create", own.clone())).await;
    let stored = status(&s, own["id"].as_str().unwrap()).expect("carol's own post is stored");
    assert!(stored.content.contains("carol's own words"));
}

#[tokio::test]
async fn a_boost_cannot_squat_another_servers_status_uri() {
    let s = TestServer::start().await;
    let host = Peer::start().await;
    let other = Peer::start().await;
    let mallory = host.actor("mallory", 11);
    let dave = other.actor("dave", 13);
    let daves = dave.note(1, "<p>dave's post</p>");
    other.serve(daves.clone());
    let daves_uri = daves["id"].as_str().unwrap().to_string();
    let mine = local_post(&s, "a post to boost").await;

    let mut squat = mallory.activity("Announce", json!(mine.uri));
    squat["id"] = json!(daves_uri);
    squat["to"] = json!([PUBLIC]);
    // The inbox door refuses an id on another origin outright…
    assert_eq!(mallory.send_status(&s, &squat).await, 400);
    // …and the Announce rule holds on its own, for whatever reaches it.
    mallory
        .send(&s, mallory.activity("Follow", json!(s.url("/users/alice"))))
        .await;
    let signer = s.state.store.account_by_uri(&mallory.uri).unwrap().unwrap();
    assert!(burrow::ops::inbound::process(&s.state, &signer, &squat)
        .await
        .is_err());
    assert!(
        status(&s, &daves_uri).is_none(),
        "the boost squatted dave's URI"
    );
    assert_eq!(
        s.state
            .store
            .status(mine.id)
            .unwrap()
            .unwrap()
            .reblogs_count,
        0
    );

    // Undoing it can't tombstone dave's status either.
    let mut undone = json!({ "id": daves_uri, "type": "Announce", "actor": mallory.uri });
    undone["object"] = json!(mine.uri);
    mallory.send(&s, mallory.activity("Undo", undone)).await;
    assert!(!s.state.store.is_tombstoned(&daves_uri).unwrap());

    // A boost under mallory's own id is kept.
    let mut boost = mallory.activity("Announce", json!(mine.uri));
    boost["to"] = json!([PUBLIC]);
    let boost_id = boost["id"].as_str().unwrap().to_string();
    mallory.send(&s, boost).await;
    assert!(status(&s, &boost_id).is_some());
    assert_eq!(
        s.state
            .store
            .status(mine.id)
            .unwrap()
            .unwrap()
            .reblogs_count,
        1
    );
}

#[tokio::test]
async fn nobody_undoes_someone_elses_follow_or_boost() {
    let s = TestServer::start().await;
    let owner = s.url("/users/alice");
    let host = Peer::start().await;
    let mallory = host.actor("mallory", 11);
    let carol = host.actor("carol", 12);
    let mine = local_post(&s, "a post to boost").await;

    let follow = mallory.activity("Follow", json!(owner));
    mallory.send(&s, follow.clone()).await;
    let m = known(&s, &mallory).await;
    assert!(has(&s, Rel::FollowedBy, &m));

    // A Follow carol made, or one of someone else, undone by mallory.
    let carols =
        json!({ "id": new_id(&carol.uri), "type": "Follow", "actor": carol.uri, "object": owner });
    mallory.send(&s, mallory.activity("Undo", carols)).await;
    let elsewhere = json!({
        "id": new_id(&mallory.uri), "type": "Follow", "actor": mallory.uri,
        "object": host.url("/users/carol"),
    });
    mallory.send(&s, mallory.activity("Undo", elsewhere)).await;
    assert!(
        has(&s, Rel::FollowedBy, &m),
        "mallory's follow was undone by a follow that isn't it"
    );

    // carol boosts; mallory undoes carol's boost, embedded and by id.
    let mut boost = carol.activity("Announce", json!(mine.uri));
    boost["to"] = json!([PUBLIC]);
    let boost_id = boost["id"].as_str().unwrap().to_string();
    carol.send(&s, boost.clone()).await;
    assert!(status(&s, &boost_id).is_some());
    mallory
        .send(&s, mallory.activity("Undo", boost.clone()))
        .await;
    mallory
        .send(&s, mallory.activity("Undo", json!(boost_id)))
        .await;
    assert!(
        status(&s, &boost_id).is_some(),
        "carol's boost was undone by mallory"
    );
    assert!(!s.state.store.is_tombstoned(&boost_id).unwrap());

    // Each can undo their own.
    mallory.send(&s, mallory.activity("Undo", follow)).await;
    assert!(!has(&s, Rel::FollowedBy, &m));
    carol.send(&s, carol.activity("Undo", boost)).await;
    assert!(status(&s, &boost_id).is_none());
}

#[tokio::test]
async fn an_accept_or_reject_of_a_follow_never_sent_changes_nothing() {
    let s = TestServer::start().await;
    let owner = s.url("/users/alice");
    let host = Peer::start().await;
    let mallory = host.actor("mallory", 11);
    let carol = host.actor("carol", 12);
    let m = known(&s, &mallory).await;
    burrow::ops::follows::follow(&s.state, m.id, Default::default())
        .await
        .unwrap();
    let sent = s
        .state
        .store
        .relation(Rel::Requested, m.id)
        .unwrap()
        .unwrap();

    // Accepts of follows the owner never sent to mallory.
    let carols = json!({ "id": new_id(&carol.uri), "type": "Follow", "actor": carol.uri, "object": mallory.uri });
    mallory
        .send(&s, mallory.activity("Accept", carols.clone()))
        .await;
    mallory
        .send(&s, mallory.activity("Accept", json!(new_id(&owner))))
        .await;
    assert!(!has(&s, Rel::Following, &m), "accepted a follow never sent");
    assert!(has(&s, Rel::Requested, &m));

    // The real answer is taken.
    mallory
        .send(&s, mallory.activity("Accept", json!(sent.activity_uri)))
        .await;
    assert!(has(&s, Rel::Following, &m));

    // A Reject of some other follow leaves the owner's follow alone.
    mallory.send(&s, mallory.activity("Reject", carols)).await;
    assert!(
        has(&s, Rel::Following, &m),
        "a Reject of another follow ended the owner's"
    );
    let ours =
        json!({ "id": sent.activity_uri, "type": "Follow", "actor": owner, "object": mallory.uri });
    mallory.send(&s, mallory.activity("Reject", ours)).await;
    assert!(!has(&s, Rel::Following, &m));
}

#[tokio::test]
async fn only_the_author_deletes_or_edits_a_status() {
    let s = TestServer::start().await;
    let host = Peer::start().await;
    let mallory = host.actor("mallory", 11);
    let carol = host.actor("carol", 12);
    relate(&s, Rel::Following, &carol, "").await;
    let note = carol.note(1, "<p>original</p>");
    host.serve(note.clone());
    carol.send(&s, carol.activity("Create", note.clone())).await;
    let uri = note["id"].as_str().unwrap();
    assert!(status(&s, uri).is_some());

    let mut defaced = note.clone();
    defaced["content"] = json!("<p>defaced</p>");
    mallory
        .send(&s, mallory.activity("Update", defaced.clone()))
        .await;
    mallory
        .send(&s, mallory.activity("Delete", json!(uri)))
        .await;
    let kept = status(&s, uri).expect("mallory deleted carol's status");
    assert!(kept.content.contains("original"), "{}", kept.content);
    assert!(!s.state.store.is_tombstoned(uri).unwrap());

    // carol may.
    carol.send(&s, carol.activity("Update", defaced)).await;
    assert!(status(&s, uri).unwrap().content.contains("defaced"));
    carol.send(&s, carol.activity("Delete", json!(uri))).await;
    assert!(status(&s, uri).is_none());
}

#[tokio::test]
async fn a_move_that_cannot_finish_changes_nothing() {
    let s = TestServer::start().await;
    let host = Peer::start().await;
    let mallory = host.actor("mallory", 11);
    let stranger = host.actor("stranger", 12);
    let blocked = host.actor_aka("blocked", 13, &[&mallory.uri]);
    let new_home = host.actor_aka("newhome", 14, &[&mallory.uri]);
    let m = relate(&s, Rel::Following, &mallory, "").await;
    let b = known(&s, &blocked).await;
    burrow::ops::follows::block(&s.state, b.id).await.unwrap();
    let moving_to = |target: &Actor| {
        let mut a = mallory.activity("Move", json!(mallory.uri));
        a["target"] = json!(target.uri);
        a
    };

    // A target that doesn't name mallory, and one the owner blocks (the
    // follow can't move there): the account isn't marked moved and the
    // owner still follows it.
    for target in [&stranger, &blocked] {
        mallory.send(&s, moving_to(target)).await;
        let now = s.state.store.account(m.id).unwrap().unwrap();
        assert_eq!(
            now.moved_to, None,
            "a refused Move to {} marked the account",
            target.uri
        );
        assert!(
            has(&s, Rel::Following, &m),
            "a refused Move to {} ended the follow",
            target.uri
        );
    }
    assert!(!has(&s, Rel::Requested, &b));

    // A Move that can finish does all of it.
    mallory.send(&s, moving_to(&new_home)).await;
    let now = s.state.store.account(m.id).unwrap().unwrap();
    assert_eq!(now.moved_to.as_deref(), Some(new_home.uri.as_str()));
    assert!(!has(&s, Rel::Following, &m));
    assert!(has(&s, Rel::Requested, &known(&s, &new_home).await));
}

/// A minimal actor document for `id`, for accounts stored without a fetch.
fn actor_doc(id: &str) -> Value {
    json!({
        "id": id,
        "type": "Person",
        "preferredUsername": "someone",
        "inbox": format!("{id}/inbox"),
    })
}

#[tokio::test]
async fn domain_blocks_match_however_the_domain_is_written() {
    let s = TestServer::start().await;
    let api = Api {
        s: &s,
        token: token(&s, "read write").await,
    };
    for entered in ["BAD.example.", "bücher.example", "xn--caf-dma.example"] {
        let res = api
            .post("/api/v1/domain_blocks", &[("domain", entered)])
            .await;
        assert_eq!(res.status(), 200, "{entered}");
    }
    let listed = api.json("/api/v1/domain_blocks").await;
    let mut listed: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_str().unwrap())
        .collect();
    listed.sort();
    assert_eq!(
        listed,
        [
            "bad.example",
            "xn--bcher-kva.example",
            "xn--caf-dma.example"
        ]
    );

    // Accounts whose ids spell the domain another way are covered.
    let api = &api;
    let blocked = |id: &str| {
        let a = burrow::federation::actors::store_actor(&s.state, &actor_doc(id)).unwrap();
        let path = format!("/api/v1/accounts/relationships?id[]={}", a.id);
        async move { api.json(&path).await[0]["domain_blocking"] == json!(true) }
    };
    assert!(blocked("https://bad.example./users/a").await);
    assert!(blocked("https://media.Bad.Example:443/users/b").await);
    assert!(blocked("https://xn--bcher-kva.example/users/c").await);
    assert!(blocked("https://café.example/users/d").await);
    assert!(!blocked("https://good.example/users/e").await);

    // Unblocking in the other spelling lifts the block.
    let res = api
        .delete("/api/v1/domain_blocks?domain=xn--bcher-kva.example.")
        .await;
    assert_eq!(res.status(), 200);
    assert!(!blocked("https://bücher.example/users/f").await);
}

#[tokio::test]
async fn a_blocked_server_loses_its_followers_and_gets_nothing() {
    let s = TestServer::start().await;
    let owner = s.url("/users/alice");
    let api = Api {
        s: &s,
        token: token(&s, "read write").await,
    };
    let bad = Peer::start().await;
    let good = Peer::start().await;
    let mallory = bad.actor("mallory", 11);
    let eve = bad.actor("eve", 12);
    let gina = good.actor("gina", 13);
    mallory
        .send(&s, mallory.activity("Follow", json!(owner)))
        .await;
    gina.send(&s, gina.activity("Follow", json!(owner))).await;
    let (m, g) = (known(&s, &mallory).await, known(&s, &gina).await);
    let e = relate(&s, Rel::Following, &eve, "").await;
    assert!(has(&s, Rel::FollowedBy, &m) && has(&s, Rel::FollowedBy, &g));

    let res = api
        .post("/api/v1/domain_blocks", &[("domain", bad.host())])
        .await;
    assert_eq!(res.status(), 200);
    assert!(
        !has(&s, Rel::FollowedBy, &m),
        "the blocked server's follower stays"
    );
    assert!(
        !has(&s, Rel::Following, &e),
        "the owner still follows the blocked server"
    );
    assert!(has(&s, Rel::FollowedBy, &g));

    // A job queued for the blocked server before the block (waiting for a
    // retry, say) is dropped when its turn comes.
    let stale = burrow::store::queue::DeliveryJob {
        id: s.state.store.next_id(),
        inbox: format!("{}/inbox", mallory.uri),
        body: json!({ "type": "Create", "id": "queued-before-the-block" })
            .to_string()
            .into_bytes(),
        ..Default::default()
    };
    s.state
        .store
        .transact(|tx| tx.enqueue_delivery(&stale, burrow::time_fmt::now_ms()))
        .unwrap();
    s.state.delivery_wake.notify_one();

    let res = api
        .post(
            "/api/v1/statuses",
            &[("status", "for my followers"), ("visibility", "private")],
        )
        .await;
    assert_eq!(res.status(), 200);
    eventually("gina's server has the post", || {
        good.received().iter().any(|b| b["type"] == "Create")
    })
    .await;
    eventually("the queue is empty", || {
        s.state.store.delivery_queue_len() == 0
    })
    .await;
    let creates: Vec<Value> = bad
        .received()
        .into_iter()
        .filter(|b| b["type"] == "Create")
        .collect();
    assert!(creates.is_empty(), "the blocked server got {creates:?}");
}
