//! Whole threads both ways: replies collections served in pages, replies
//! fetched by walking other servers' collections (within bounds, once per
//! while, never from a blocked server), and replies to the owner's posts
//! forwarded to the owner's followers.
//!
//! A `Site` is a fake server whose documents are made on request, so it
//! can serve an endless chain of replies or endless pages; it counts what
//! it was asked for and records what was posted to it.

use crate::common;
use axum::extract::{OriginalUri, State as AxState};
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use burrow::crypto::keys::{seeded_pkcs8, SigningKey};
use burrow::federation::replies::{
    MAX_ITEMS_PER_PAGE, MAX_PAGES_PER_COLLECTION, MAX_WALK_DEPTH, MAX_WALK_FETCHES,
    MAX_WALK_STATUSES,
};
use burrow::federation::signatures::sign_request;
use burrow::ops::statuses::{self, NewStatus};
use burrow::store::relations::{Rel, Relation};
use burrow::store::statuses::{Status, Visibility};
use common::*;
use reqwest::Method;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

const PUBLIC: &str = "https://www.w3.org/ns/activitystreams#Public";
/// Polls of a slow outcome (20 ms apart): a minute.
const WAIT_STEPS: usize = 3000;
/// Items on each of the wide thread's pages: far more than are read.
const WIDE_PAGE_ITEMS: usize = 10_000;

/// A request posted to a `Site`: its path and body.
type Posted = (String, Vec<u8>);

#[derive(Clone)]
struct SiteData {
    base: String,
    /// Requests by path and query.
    hits: Arc<Mutex<HashMap<String, usize>>>,
    /// What was posted here: (path, body).
    received: Arc<Mutex<Vec<Posted>>>,
}

/// The key seed of each actor a `Site` serves.
fn seed_of(name: &str) -> Option<u64> {
    match name {
        "evil" => Some(21),
        "fan" => Some(22),
        "pal" => Some(23),
        _ => None,
    }
}

fn key_of(name: &str) -> SigningKey {
    SigningKey::from_pkcs8(&seeded_pkcs8(seed_of(name).unwrap())).unwrap()
}

fn ap(doc: Value) -> axum::response::Response {
    (
        [(header::CONTENT_TYPE, "application/activity+json")],
        doc.to_string(),
    )
        .into_response()
}

fn note(base: &str, path: &str, in_reply_to: Option<String>, replies: Value) -> Value {
    json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{base}{path}"),
        "type": "Note",
        "attributedTo": format!("{base}/users/evil"),
        "inReplyTo": in_reply_to,
        "content": format!("<p>{path}</p>"),
        "to": [PUBLIC],
        "published": "2024-11-13T10:00:00Z",
        "replies": replies,
    })
}

/// Documents made on request:
/// - `/users/NAME`: an actor;
/// - `/chain/N`: a reply to `/chain/N-1`, whose replies page lists
///   `/chain/N+1`, without end;
/// - `/busy`: a post whose replies (Mastodon's shape, the first page
///   embedded) show one, `/busy/reply`;
/// - `/wide`: a post whose replies (GoToSocial's shape, `first` a link)
///   are pages of `WIDE_PAGE_ITEMS` replies each, each page linking the
///   next, without end; `/wide/n…` are those replies.
async fn serve(AxState(d): AxState<SiteData>, uri: OriginalUri) -> axum::response::Response {
    let path = uri.path();
    let full = uri
        .path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_default();
    *d.hits.lock().unwrap().entry(full).or_default() += 1;
    let base = &d.base;
    if let Some(name) = path.strip_prefix("/users/") {
        let Some(_) = seed_of(name) else {
            return StatusCode::NOT_FOUND.into_response();
        };
        let id = format!("{base}/users/{name}");
        return ap(json!({
            "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
            "id": id,
            "type": "Person",
            "preferredUsername": name,
            "inbox": format!("{id}/inbox"),
            "followers": format!("{id}/followers"),
            "publicKey": {
                "id": format!("{id}#main-key"),
                "owner": id,
                "publicKeyPem": key_of(name).public_key_pem(),
            },
        }));
    }
    if let Some(rest) = path.strip_prefix("/chain/") {
        if let Some(n) = rest.strip_suffix("/replies") {
            let n: u64 = n.parse().unwrap();
            return ap(json!({
                "@context": "https://www.w3.org/ns/activitystreams",
                "id": format!("{base}{path}"),
                "type": "CollectionPage",
                "partOf": format!("{base}{path}"),
                "items": [format!("{base}/chain/{}", n + 1)],
            }));
        }
        let n: u64 = rest.parse().unwrap();
        let parent = (n > 0).then(|| format!("{base}/chain/{}", n - 1));
        return ap(note(
            base,
            path,
            parent,
            json!(format!("{base}{path}/replies")),
        ));
    }
    if path == "/wide" {
        let replies = json!({
            "id": format!("{base}/wide/replies"),
            "type": "OrderedCollection",
            "first": format!("{base}/wide/replies?page=0"),
        });
        return ap(note(base, path, None, replies));
    }
    if path == "/wide/replies" {
        let page: usize = uri
            .query()
            .and_then(|q| q.strip_prefix("page="))
            .and_then(|p| p.parse().ok())
            .unwrap_or(0);
        let items: Vec<String> = (0..WIDE_PAGE_ITEMS)
            .map(|i| format!("{base}/wide/n{page}x{i}"))
            .collect();
        return ap(json!({
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": format!("{base}/wide/replies?page={page}"),
            "type": "OrderedCollectionPage",
            "partOf": format!("{base}/wide/replies"),
            "orderedItems": items,
            "next": format!("{base}/wide/replies?page={}", page + 1),
        }));
    }
    if path == "/busy" {
        let replies = json!({
            "id": format!("{base}/busy/replies"),
            "type": "Collection",
            "totalItems": 1,
            "first": {
                "type": "CollectionPage",
                "partOf": format!("{base}/busy/replies"),
                "items": [format!("{base}/busy/reply")],
            },
        });
        return ap(note(base, path, None, replies));
    }
    if path == "/busy/reply" {
        return ap(note(base, path, Some(format!("{base}/busy")), Value::Null));
    }
    if path.starts_with("/wide/n") {
        return ap(note(base, path, Some(format!("{base}/wide")), Value::Null));
    }
    StatusCode::NOT_FOUND.into_response()
}

async fn take(
    AxState(d): AxState<SiteData>,
    uri: OriginalUri,
    body: axum::body::Bytes,
) -> StatusCode {
    d.received
        .lock()
        .unwrap()
        .push((uri.path().to_string(), body.to_vec()));
    StatusCode::ACCEPTED
}

struct Site {
    data: SiteData,
}

impl Site {
    async fn start() -> Site {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let data = SiteData {
            base: format!("http://{}", listener.local_addr().unwrap()),
            hits: Default::default(),
            received: Default::default(),
        };
        let app = axum::Router::new()
            .fallback(axum::routing::get(serve).post(take))
            .with_state(data.clone());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Site { data }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.data.base)
    }

    fn host(&self) -> &str {
        self.data.base.trim_start_matches("http://")
    }

    /// Requests for paths starting with `prefix`.
    fn hits(&self, prefix: &str) -> usize {
        self.data
            .hits
            .lock()
            .unwrap()
            .iter()
            .filter(|(p, _)| p.starts_with(prefix))
            .map(|(_, n)| n)
            .sum()
    }

    fn received(&self) -> Vec<Posted> {
        self.data.received.lock().unwrap().clone()
    }

    /// Posts `activity` to `s`'s shared inbox signed by `name` here;
    /// returns the body as sent and the HTTP status.
    async fn send(&self, name: &str, s: &TestServer, activity: &Value) -> (Vec<u8>, u16) {
        let to = s.url("/inbox");
        let body = activity.to_string().into_bytes();
        let headers = sign_request(
            &key_of(name),
            &format!("{}#main-key", self.url(&format!("/users/{name}"))),
            &Method::POST,
            &url::Url::parse(&to).unwrap(),
            &body,
            SystemTime::now(),
        )
        .unwrap();
        let res = client()
            .post(&to)
            .headers(headers)
            .body(body.clone())
            .send()
            .await
            .unwrap();
        (body, res.status().as_u16())
    }

    /// `name` here follows the owner of `s`, and `s` has applied it.
    async fn follow(&self, name: &str, s: &TestServer) {
        let actor = self.url(&format!("/users/{name}"));
        let follow = json!({
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": format!("{actor}#follows/1"),
            "type": "Follow",
            "actor": actor,
            "object": s.url("/users/alice"),
        });
        assert_eq!(self.send(name, s, &follow).await.1, 202);
        applied(s).await;
    }
}

async fn applied(s: &TestServer) {
    eventually("the inbox has applied everything", || {
        s.state.store.inbox_queue_len() == 0
    })
    .await;
}

fn post(text: &str, reply_to: Option<u64>, visibility: Visibility) -> NewStatus {
    NewStatus {
        text: text.into(),
        in_reply_to_id: reply_to,
        visibility,
        ..Default::default()
    }
}

fn stored(s: &TestServer, uri: &str) -> Option<Status> {
    s.state.store.status_by_uri(uri).unwrap()
}

async fn api(s: &TestServer) -> Api<'_> {
    Api {
        s,
        token: token(s, "read write").await,
    }
}

/// Asks for the context of `id` until its descendants show `text`
/// (what a walk fetches arrives after the first answer).
async fn context_shows(api: &Api<'_>, id: u64, text: &str) {
    for _ in 0..WAIT_STEPS {
        let c = api.json(&format!("/api/v1/statuses/{id}/context")).await;
        let found = c["descendants"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["content"].as_str().unwrap_or("").contains(text));
        if found {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("the context of {id} never showed {text}");
}

fn walks_finished(s: &TestServer) -> u64 {
    s.state.walks.finished.load(Ordering::Relaxed)
}

/// Waits (bounded, longer than `eventually`: a walk makes hundreds of
/// requests) until `s` has finished `n` walks.
async fn walks_reach(s: &TestServer, n: u64) {
    for _ in 0..WAIT_STEPS {
        if walks_finished(s) >= n {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("{} walks finished, not {n}", walks_finished(s));
}

#[tokio::test]
async fn replies_are_served_in_pages_the_owners_first_and_only_what_anyone_may_see() {
    let (a, b) = pair().await;
    follow_accepted(&b, &format!("alice@{}", a.host)).await;
    let root = statuses::post(&a.state, post("root", None, Visibility::Public))
        .await
        .unwrap();
    // 25 replies by the owner: more than one page.
    let mut own = Vec::new();
    for i in 0..25 {
        let r = statuses::post(
            &a.state,
            post(&format!("self {i}"), Some(root.id), Visibility::Public),
        )
        .await
        .unwrap();
        own.push(r.uri);
    }
    // bob replies publicly and for his followers only.
    eventually("bob has the root", || stored(&b, &root.uri).is_some()).await;
    let root_on_b = stored(&b, &root.uri).unwrap().id;
    let open = statuses::post(&b.state, post("open", Some(root_on_b), Visibility::Public))
        .await
        .unwrap();
    let closed = statuses::post(
        &b.state,
        post("closed", Some(root_on_b), Visibility::Private),
    )
    .await
    .unwrap();
    eventually("alice has both replies", || {
        stored(&a, &open.uri).is_some() && stored(&a, &closed.uri).is_some()
    })
    .await;

    let base = format!("{}/replies", root.uri);
    let note = get_ap(&root.uri).await;
    assert_eq!(
        note["replies"]["first"]["next"],
        format!("{base}?page=true")
    );

    let coll = get_ap(&base).await;
    assert_eq!(coll["type"], "Collection");
    assert_eq!(coll["id"], base);
    let first = &coll["first"];
    assert_eq!(first["type"], "CollectionPage");
    assert_eq!(first["partOf"], base);
    let items = |p: &Value| -> Vec<String> {
        p["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i.as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(items(first), own[..20]);
    let next = first["next"].as_str().unwrap();
    assert!(
        next.contains("min_id=") && !next.contains("only_other"),
        "{next}"
    );

    let second = get_ap(next).await;
    assert_eq!(second["type"], "CollectionPage");
    assert_eq!(second["id"], next);
    assert_eq!(second["partOf"], base);
    assert_eq!(items(&second), own[20..]);
    let others_url = second["next"].as_str().unwrap();
    assert_eq!(
        others_url,
        format!("{base}?only_other_accounts=true&page=true")
    );

    // Others' replies: the public one; never the followers-only one, to an
    // unsigned fetch or anyone else.
    let others = get_ap(others_url).await;
    assert_eq!(items(&others), std::slice::from_ref(&open.uri));
    assert!(others.get("next").is_none(), "{others}");
    // Not even to a signed fetch by its own author, who may see it: the
    // list is the same for everyone who walks it.
    let signer = burrow::federation::fetcher::owner_signer(&b.state);
    let signed = b
        .state
        .fetcher
        .fetch_unchecked(others_url, signer.as_ref())
        .await
        .unwrap();
    assert_eq!(items(&signed.json), std::slice::from_ref(&open.uri));

    // Bad paging is refused with a reason.
    let res = client()
        .get(format!("{base}?page=true&min_id=nope"))
        .header("accept", AP_ACCEPT)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    let err: Value = res.json().await.unwrap();
    assert!(err["error"].as_str().unwrap().contains("min_id"), "{err}");
}

#[tokio::test]
async fn a_reply_to_a_reply_reaches_the_owner_and_the_owners_followers() {
    let (a, b) = pair().await;
    let c = TestServer::start_with(TestOptions {
        username: Some("carol"),
        key_seed: 3,
        ..Default::default()
    })
    .await;
    let d = TestServer::start_with(TestOptions {
        username: Some("dave"),
        key_seed: 4,
        ..Default::default()
    })
    .await;
    let alice = format!("alice@{}", a.host);
    follow_accepted(&d, &alice).await;
    follow_accepted(&b, &alice).await;
    follow_accepted(&c, &format!("bob@{}", b.host)).await;

    let root = statuses::post(&a.state, post("the root", None, Visibility::Public))
        .await
        .unwrap();
    eventually("bob has the root", || stored(&b, &root.uri).is_some()).await;
    let on_b = stored(&b, &root.uri).unwrap().id;
    let reply = statuses::post(
        &b.state,
        post("bob answers", Some(on_b), Visibility::Public),
    )
    .await
    .unwrap();
    // dave follows only alice: bob's reply reaches him because alice's
    // server forwards it.
    eventually("dave has bob's reply, forwarded", || {
        stored(&d, &reply.uri).is_some()
    })
    .await;
    assert_eq!(walks_finished(&d), 0, "no walk brought it");

    eventually("carol has bob's reply", || stored(&c, &reply.uri).is_some()).await;
    let on_c = stored(&c, &reply.uri).unwrap().id;
    let deep = statuses::post(
        &c.state,
        post("carol answers bob", Some(on_c), Visibility::Public),
    )
    .await
    .unwrap();
    assert!(
        deep.mentions.iter().all(|m| !m.url.contains(&a.host)),
        "alice is not mentioned"
    );
    eventually("bob has carol's reply", || stored(&b, &deep.uri).is_some()).await;
    assert!(stored(&a, &deep.uri).is_none(), "nobody sent it to alice");

    // alice opens her thread: what is stored shows at once, carol's reply
    // once the walk has fetched it.
    let alice_api = api(&a).await;
    context_shows(&alice_api, root.id, "bob answers").await;
    context_shows(&alice_api, root.id, "carol answers bob").await;

    // dave opens the thread on his server and sees the whole conversation.
    let dave_api = api(&d).await;
    let root_on_d = stored(&d, &root.uri).unwrap().id;
    context_shows(&dave_api, root_on_d, "carol answers bob").await;
    let deep_on_d = stored(&d, &deep.uri).unwrap();
    assert_eq!(
        deep_on_d.in_reply_to_id,
        Some(stored(&d, &reply.uri).unwrap().id)
    );
}

#[tokio::test]
async fn a_walk_stops_at_its_depth_and_is_not_repeated() {
    let a = TestServer::start().await;
    let site = Site::start().await;
    let top = site.url("/chain/0");
    let doc = burrow::federation::fetch_object(&a.state, &top)
        .await
        .unwrap();
    burrow::ops::inbound::store_remote_status(&a.state, &doc, 1)
        .await
        .unwrap()
        .unwrap();
    let api = api(&a).await;
    let id = stored(&a, &top).unwrap().id;
    api.json(&format!("/api/v1/statuses/{id}/context")).await;
    walks_reach(&a, 1).await;

    for n in 1..=MAX_WALK_DEPTH {
        assert!(
            stored(&a, &site.url(&format!("/chain/{n}"))).is_some(),
            "level {n}"
        );
    }
    let beyond = format!("/chain/{}", MAX_WALK_DEPTH + 1);
    assert!(stored(&a, &site.url(&beyond)).is_none());
    assert_eq!(
        site.hits(&beyond),
        0,
        "nothing below the last level is asked for"
    );
    let last_replies = format!("/chain/{MAX_WALK_DEPTH}/replies");
    assert_eq!(site.hits(&last_replies), 0);

    // Opened again within the while: no second walk. Another thread's
    // walk, filed after it, shows the walker got that far.
    let asked = site.hits("/chain/");
    api.json(&format!("/api/v1/statuses/{id}/context")).await;
    let other = statuses::post(&a.state, post("elsewhere", None, Visibility::Public))
        .await
        .unwrap();
    api.json(&format!("/api/v1/statuses/{}/context", other.id))
        .await;
    walks_reach(&a, 2).await;
    assert_eq!(walks_finished(&a), 2, "the thread was not walked twice");
    assert_eq!(site.hits("/chain/"), asked);
}

#[tokio::test]
async fn a_walk_over_endless_wide_pages_stops_at_its_bounds() {
    let a = TestServer::start().await;
    // Only the walk's own bounds stop it here, not a host's allowance.
    a.state.walks.host_refill_ms.store(0, Ordering::Relaxed);
    let site = Site::start().await;
    let top = site.url("/wide");
    let doc = burrow::federation::fetch_object(&a.state, &top)
        .await
        .unwrap();
    let top_status = burrow::ops::inbound::store_remote_status(&a.state, &doc, 1)
        .await
        .unwrap()
        .unwrap();
    let api = api(&a).await;
    api.json(&format!("/api/v1/statuses/{}/context", top_status.id))
        .await;
    walks_reach(&a, 1).await;

    let fetched = site.hits("/wide/n");
    let stored_replies = a.state.store.replies(top_status.id).unwrap().len();
    assert!(fetched > 0);
    assert!(stored_replies < MAX_WALK_STATUSES, "{stored_replies}");
    assert!(fetched <= MAX_WALK_STATUSES, "{fetched}");
    let pages = site.hits("/wide/replies");
    assert!(
        pages <= MAX_PAGES_PER_COLLECTION,
        "{pages} pages of one collection read"
    );
    assert!(site.hits("/") <= MAX_WALK_FETCHES + 1);
    // The walk looked at no more than the first items of each page.
    assert!(site.hits(&format!("/wide/n0x{MAX_ITEMS_PER_PAGE}")) == 0);
}

#[tokio::test]
async fn a_walk_never_asks_a_blocked_server() {
    let a = TestServer::start().await;
    let good = Site::start().await;
    let bad = Site::start().await;
    // A thread on the good server whose replies page names a status on
    // the blocked one.
    let top = good.url("/chain/0");
    let doc = burrow::federation::fetch_object(&a.state, &top)
        .await
        .unwrap();
    let top_status = burrow::ops::inbound::store_remote_status(&a.state, &doc, 1)
        .await
        .unwrap()
        .unwrap();
    let bad_top = bad.url("/chain/0");
    let doc = burrow::federation::fetch_object(&a.state, &bad_top)
        .await
        .unwrap();
    let bad_status = burrow::ops::inbound::store_remote_status(&a.state, &doc, 1)
        .await
        .unwrap()
        .unwrap();
    let api = api(&a).await;
    let res = api
        .post("/api/v1/domain_blocks", &[("domain", bad.host())])
        .await;
    assert_eq!(res.status(), 200);
    let before = bad.hits("/");

    // The blocked server's own thread, opened by the owner, is not walked
    // there; the good server's is.
    api.json(&format!("/api/v1/statuses/{}/context", bad_status.id))
        .await;
    api.json(&format!("/api/v1/statuses/{}/context", top_status.id))
        .await;
    walks_reach(&a, 2).await;
    assert_eq!(bad.hits("/"), before, "the blocked server was asked");
    assert!(good.hits("/chain/1") > 0);
}

#[tokio::test]
async fn replies_to_the_owner_are_forwarded_unchanged_to_followers_elsewhere() {
    let a = TestServer::start().await;
    let near = Site::start().await;
    let far = Site::start().await;
    // Followers on the replier's own server and on another.
    near.follow("fan", &a).await;
    far.follow("pal", &a).await;
    let root = statuses::post(&a.state, post("ask me", None, Visibility::Public))
        .await
        .unwrap();
    let evil = near.url("/users/evil");
    let reply = |n: u32, to: Value| {
        let id = near.url(&format!("/notes/{n}"));
        json!({
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": format!("{id}/activity"),
            "type": "Create",
            "actor": evil,
            "to": to.clone(),
            "object": {
                "id": id,
                "type": "Note",
                "attributedTo": evil,
                "inReplyTo": root.uri,
                "content": format!("<p>reply {n}</p>"),
                "to": to,
                "published": "2024-11-13T10:00:00Z",
            },
        })
    };
    let followers_only = reply(
        1,
        json!([format!("{evil}/followers"), a.url("/users/alice")]),
    );
    let (_, status) = near.send("evil", &a, &followers_only).await;
    assert_eq!(status, 202);
    let public = reply(2, json!([PUBLIC]));
    let (sent, status) = near.send("evil", &a, &public).await;
    assert_eq!(status, 202);
    applied(&a).await;
    assert!(stored(&a, &near.url("/notes/2")).is_some());

    let forwarded = |site: &Site| -> Vec<Vec<u8>> {
        site.received()
            .into_iter()
            .filter(|(_, body)| String::from_utf8_lossy(body).contains("/notes/"))
            .map(|(_, body)| body)
            .collect()
    };
    eventually("the far follower got the public reply", || {
        !forwarded(&far).is_empty()
    })
    .await;
    assert_eq!(forwarded(&far), [sent], "forwarded byte for byte, once");
    eventually("nothing more is queued", || {
        a.state.store.delivery_jobs().unwrap().is_empty()
    })
    .await;
    assert!(
        forwarded(&near).is_empty(),
        "nothing goes back to the replier's server"
    );

    // Its Delete follows the same way, judged before the status is gone.
    let delete = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": near.url("/notes/2#delete"),
        "type": "Delete",
        "actor": evil,
        "object": near.url("/notes/2"),
    });
    let (sent_delete, status) = near.send("evil", &a, &delete).await;
    assert_eq!(status, 202);
    applied(&a).await;
    assert!(stored(&a, &near.url("/notes/2")).is_none());
    eventually("the far follower got the Delete", || {
        forwarded(&far).len() == 2
    })
    .await;
    assert_eq!(forwarded(&far)[1], sent_delete);
}

#[tokio::test]
async fn a_forwarded_create_is_believed_only_as_its_origin_serves_it() {
    let a = TestServer::start().await;
    let site = Site::start().await;
    let root = statuses::post(&a.state, post("ask me", None, Visibility::Public))
        .await
        .unwrap();
    // `pal` passes on a Create by `evil` whose embedded note says what
    // the note's origin does not: `/wide/n…` notes are served as replies to
    // `/wide`, not to alice.
    let evil = site.url("/users/evil");
    let id = site.url("/wide/n9x9");
    let forged = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{id}/activity"),
        "type": "Create",
        "actor": evil,
        "object": {
            "id": id,
            "type": "Note",
            "attributedTo": evil,
            "inReplyTo": root.uri,
            "content": "<p>forged</p>",
            "to": [PUBLIC],
        },
    });
    let (_, status) = site.send("pal", &a, &forged).await;
    assert_eq!(status, 202, "a forwarded Create is taken in");
    applied(&a).await;
    assert!(
        stored(&a, &id).is_none(),
        "as its origin serves it, the note is nobody's business here"
    );

    // Anything else signed by someone other than its actor is refused.
    let mut update = forged.clone();
    update["type"] = json!("Update");
    update["id"] = json!(format!("{id}/update"));
    let (_, status) = site.send("pal", &a, &update).await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn a_followed_accounts_post_showing_replies_has_them_fetched() {
    let a = TestServer::start().await;
    let site = Site::start().await;
    let evil = burrow::federation::fetch_actor(&a.state, &site.url("/users/evil"))
        .await
        .unwrap();
    let store = &a.state.store;
    let owner = store.owner_account().unwrap().unwrap();
    let follow = Relation {
        id: store.next_id(),
        ..Default::default()
    };
    store
        .transact(|tx| {
            tx.set_relation(owner.id, Rel::Following, evil.id, &follow)
                .map(|_| ())
        })
        .unwrap();

    let busy = get_ap(&site.url("/busy")).await;
    let create = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{}/activity", site.url("/busy")),
        "type": "Create",
        "actor": evil.uri,
        "object": busy,
    });
    let mut events = a.state.events.subscribe();
    assert_eq!(site.send("evil", &a, &create).await.1, 202);
    walks_reach(&a, 1).await;
    let reply = stored(&a, &site.url("/busy/reply")).expect("the reply was fetched");
    let parent = stored(&a, &site.url("/busy")).unwrap().id;
    assert_eq!(reply.in_reply_to_id, Some(parent));
    // Apps hear of it: the post it answers changed (its reply count).
    let mut heard = Vec::new();
    while let Ok(e) = events.try_recv() {
        heard.push(e);
    }
    assert!(
        heard.contains(&burrow::events::Event::StatusUpdated(parent)),
        "{heard:?}"
    );
}

/// The value of `name` in a response's `Set-Cookie` headers.
fn set_cookie(res: &reqwest::Response, name: &str) -> Option<String> {
    res.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next()?.split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

/// Logs the owner in on the web; returns the session cookie.
async fn web_login(s: &TestServer) -> String {
    let res = client().get(s.url("/login")).send().await.unwrap();
    let nonce = set_cookie(&res, "burrow_login").expect("the login form sets its cookie");
    let res = client()
        .post(s.url("/login"))
        .header("cookie", format!("burrow_login={nonce}"))
        .form(&[
            ("csrf", nonce.as_str()),
            ("password", PASSWORD),
            ("next", "/web/home"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303, "the login was refused");
    set_cookie(&res, "burrow_session").expect("a session cookie")
}

/// Stores the post at `path` on `site` in `s`, as if met in a thread.
async fn met(s: &TestServer, site: &Site, path: &str) -> Status {
    let doc = burrow::federation::fetch_object(&s.state, &site.url(path))
        .await
        .unwrap();
    burrow::ops::inbound::store_remote_status(&s.state, &doc, 1)
        .await
        .unwrap()
        .unwrap()
}

#[tokio::test]
async fn only_the_owner_opening_a_thread_starts_a_walk() {
    let a = TestServer::start().await;
    let site = Site::start().await;
    let busy = met(&a, &site, "/busy").await;
    let chain = met(&a, &site, "/chain/0").await;

    // A visitor reads a thread through the API, without a token: nothing
    // is fetched for them.
    let res = client()
        .get(a.url(&format!("/api/v1/statuses/{}/context", busy.id)))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);

    // The owner opens another thread on the web; its walk, filed after
    // anything the visitors could have filed, is the only one.
    let session = web_login(&a).await;
    let res = client()
        .get(a.url(&format!("/web/statuses/{}", chain.id)))
        .header("cookie", format!("burrow_session={session}"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    walks_reach(&a, 1).await;
    assert!(stored(&a, &site.url("/chain/1")).is_some());
    assert_eq!(walks_finished(&a), 1);
    assert_eq!(
        site.hits("/busy/reply"),
        0,
        "a visitor made the server fetch"
    );
}
