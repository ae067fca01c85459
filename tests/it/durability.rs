//! Durability under `kill -9`: the owner's app posts, favourites and
//! follows while the real server is killed with SIGKILL at seeded random
//! moments, round after round. After each kill, every write answered with
//! success is in the store and every delivery it owes is either received
//! by the peer or still queued; at the end every owed delivery arrives,
//! and nothing arrives twice unless a kill fell between its sending and
//! the record that it was sent.

use crate::common::binary::{owner_token, Site, OWNER};
use crate::common::{client, eventually};
use axum::extract::{Path as UrlPath, Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use burrow::config::{Config, Overrides};
use burrow::crypto::keys::{seeded_pkcs8, SigningKey};
use burrow::store::relations::{Rel, StatusRel};
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

/// Kill rounds in CI; `BURROW_KILL_ROUNDS=20` for the full run.
const DEFAULT_ROUNDS: usize = 5;
/// Seed of the kill moments; `BURROW_KILL_SEED` replays another run.
const DEFAULT_SEED: u64 = 0x5eed_b0220;
/// A kill falls this long after the writers start, uniformly at random
/// (the lower end catches the first writes after start-up).
const KILL_AFTER_MS: std::ops::Range<u64> = 50..1_500;
/// The owner's app writes from this many connections at once, so some
/// writes are in flight whenever the kill falls.
const WRITERS: usize = 3;
/// Longest wait for one write's answer; a healthy server answers in
/// milliseconds.
const WRITE_TIMEOUT: Duration = Duration::from_secs(10);
/// Seed of the peer's RSA key.
const PEER_KEY_SEED: u64 = 31;

/// A deterministic generator for the kill moments (splitmix64): the same
/// seed replays the same run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn in_range(&mut self, r: std::ops::Range<u64>) -> u64 {
        r.start + self.next() % (r.end - r.start)
    }
}

/// One POST the peer received.
struct Received {
    at: Instant,
    /// The inbox it was posted to.
    path: String,
    activity: Value,
}

/// A small ActivityPub server: `fan`, who follows the owner, and any
/// number of `uN` accounts the owner follows; every POST to any inbox is
/// recorded.
struct Peer {
    base: String,
    key: SigningKey,
    received: Mutex<Vec<Received>>,
}

impl Peer {
    fn actor(&self, name: &str) -> Value {
        let id = format!("{}/users/{name}", self.base);
        json!({
            "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
            "id": id,
            "type": "Person",
            "preferredUsername": name,
            "inbox": format!("{id}/inbox"),
            "outbox": format!("{id}/outbox"),
            "followers": format!("{id}/followers"),
            "endpoints": { "sharedInbox": format!("{}/inbox", self.base) },
            "publicKey": {
                "id": format!("{id}#main-key"),
                "owner": id,
                "publicKeyPem": self.key.public_key_pem(),
            }
        })
    }

    /// Activities received so far that match `what`.
    fn count(&self, what: impl Fn(&Value) -> bool) -> usize {
        let got = self.received.lock().unwrap();
        got.iter().filter(|r| what(&r.activity)).count()
    }
}

async fn actor_doc(State(p): State<Arc<Peer>>, UrlPath(name): UrlPath<String>) -> Response {
    (
        [("content-type", "application/activity+json")],
        p.actor(&name).to_string(),
    )
        .into_response()
}

async fn webfinger(
    State(p): State<Arc<Peer>>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let resource = q.get("resource").cloned().unwrap_or_default();
    let Some(name) = resource
        .strip_prefix("acct:")
        .and_then(|a| a.split_once('@'))
        .map(|(user, _)| user.to_string())
    else {
        return axum::http::StatusCode::NOT_FOUND.into_response();
    };
    let jrd = json!({
        "subject": resource,
        "links": [{
            "rel": "self",
            "type": "application/activity+json",
            "href": format!("{}/users/{name}", p.base),
        }],
    });
    ([("content-type", "application/jrd+json")], jrd.to_string()).into_response()
}

async fn inbox(
    State(p): State<Arc<Peer>>,
    uri: axum::http::Uri,
    body: axum::body::Bytes,
) -> axum::http::StatusCode {
    let activity: Value = serde_json::from_slice(&body).unwrap_or_default();
    p.received.lock().unwrap().push(Received {
        at: Instant::now(),
        path: uri.path().to_string(),
        activity,
    });
    axum::http::StatusCode::ACCEPTED
}

async fn start_peer() -> Arc<Peer> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let peer = Arc::new(Peer {
        base: format!("http://{}", listener.local_addr().unwrap()),
        key: SigningKey::from_pkcs8(&seeded_pkcs8(PEER_KEY_SEED)).unwrap(),
        received: Mutex::new(Vec::new()),
    });
    let app = axum::Router::new()
        .route("/.well-known/webfinger", get(webfinger))
        .route("/users/{name}", get(actor_doc))
        .route("/users/{name}/inbox", post(inbox))
        .route("/inbox", post(inbox))
        .with_state(peer.clone());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    peer
}

/// `fan` on the peer follows the owner with a signed Follow; returns once
/// the owner's Accept arrived (by then the follower is stored).
async fn fan_follows_owner(site: &Site, peer: &Peer) {
    let fan = format!("{}/users/fan", peer.base);
    let body = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{fan}#follows/1"),
        "type": "Follow",
        "actor": fan,
        "object": site.url(&format!("/users/{OWNER}")),
    })
    .to_string()
    .into_bytes();
    let inbox = url::Url::parse(&site.url(&format!("/users/{OWNER}/inbox"))).unwrap();
    let headers = burrow::federation::signatures::sign_request(
        &peer.key,
        &format!("{fan}#main-key"),
        &reqwest::Method::POST,
        &inbox,
        &body,
        SystemTime::now(),
    )
    .unwrap();
    let res = client()
        .post(inbox.as_str())
        .headers(headers)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 202, "{}", res.text().await.unwrap());
    eventually("the owner accepts fan's follow", || {
        peer.count(|a| a["type"] == "Accept") > 0
    })
    .await;
}

/// Writes the server answered with success.
#[derive(Default)]
struct Acked {
    /// (status id, its URI, the round it was answered in).
    statuses: Vec<(u64, String, usize)>,
    favourites: Vec<(u64, usize)>,
    /// (account id, actor URI, round).
    follows: Vec<(u64, String, usize)>,
}

/// What one writer did in a round.
#[derive(Default)]
struct Writes {
    acked: Acked,
    /// A write that failed while the server was meant to be up.
    failure: Option<String>,
}

/// Shared by the writers: who to follow next.
struct Plan {
    next_follow: AtomicUsize,
}

/// One connection of the owner's app: post, favourite what it posted,
/// follow the next peer account; over and over until `killed`.
async fn writer(
    base: String,
    token: String,
    peer_host: String,
    plan: Arc<Plan>,
    killed: Arc<AtomicBool>,
    round: usize,
    me: usize,
) -> Writes {
    let c = reqwest::Client::builder()
        .timeout(WRITE_TIMEOUT)
        .build()
        .unwrap();
    let mut w = Writes::default();
    let mut step = 0usize;
    let mut mine: Vec<u64> = Vec::new();
    while !killed.load(Ordering::SeqCst) {
        step += 1;
        let result: Result<(), String> = async {
            match step % 4 {
                // Favourite the newest status this writer posted.
                2 if !mine.is_empty() => {
                    let id = *mine.last().unwrap();
                    let res = c
                        .post(format!("{base}/api/v1/statuses/{id}/favourite"))
                        .bearer_auth(&token)
                        .send()
                        .await
                        .map_err(|e| format!("favourite: {e}"))?;
                    if res.status() != 200 {
                        return Err(format!("favourite answered {}", res.status()));
                    }
                    w.acked.favourites.push((id, round));
                }
                3 => {
                    let n = plan.next_follow.fetch_add(1, Ordering::SeqCst);
                    let handle = format!("@u{n}@{peer_host}");
                    let res = c
                        .get(format!("{base}/api/v2/search"))
                        .query(&[
                            ("q", handle.as_str()),
                            ("resolve", "true"),
                            ("type", "accounts"),
                        ])
                        .bearer_auth(&token)
                        .send()
                        .await
                        .map_err(|e| format!("resolve: {e}"))?;
                    let found: Value = res.json().await.map_err(|e| format!("resolve: {e}"))?;
                    let account = &found["accounts"][0];
                    let id = account["id"]
                        .as_str()
                        .ok_or_else(|| format!("{handle} did not resolve: {found}"))?
                        .to_string();
                    let uri = format!("http://{peer_host}/users/u{n}");
                    let res = c
                        .post(format!("{base}/api/v1/accounts/{id}/follow"))
                        .bearer_auth(&token)
                        .send()
                        .await
                        .map_err(|e| format!("follow: {e}"))?;
                    if res.status() != 200 {
                        return Err(format!("follow answered {}", res.status()));
                    }
                    w.acked.follows.push((id.parse().unwrap(), uri, round));
                }
                _ => {
                    let res = c
                        .post(format!("{base}/api/v1/statuses"))
                        .bearer_auth(&token)
                        .form(&[("status", format!("round {round}, writer {me}, step {step}"))])
                        .send()
                        .await
                        .map_err(|e| format!("post: {e}"))?;
                    if res.status() != 200 {
                        return Err(format!("posting answered {}", res.status()));
                    }
                    let v: Value = res.json().await.map_err(|e| format!("post: {e}"))?;
                    let id: u64 = v["id"].as_str().unwrap().parse().unwrap();
                    w.acked
                        .statuses
                        .push((id, v["uri"].as_str().unwrap().to_string(), round));
                    mine.push(id);
                }
            }
            Ok(())
        }
        .await;
        if let Err(e) = result {
            // An error after the kill is the kill; before it, a bug.
            if !killed.load(Ordering::SeqCst) {
                w.failure = Some(e);
            }
            return w;
        }
    }
    w
}

/// The store as the binary opens it (only while no server runs).
fn open_store(data: &Path) -> burrow::store::Store {
    let config = Config::load(data, &Overrides::default()).unwrap();
    burrow::server::open_store(data, &config).expect("the store opens after a kill")
}

/// What a queued job or a received activity is about: its type and the
/// id of its object.
fn about(activity: &Value) -> (String, String) {
    let kind = activity["type"].as_str().unwrap_or_default().to_string();
    let object = match &activity["object"] {
        Value::String(s) => s.clone(),
        o => o["id"].as_str().unwrap_or_default().to_string(),
    };
    (kind, object)
}

/// Deliveries every acknowledged write owes the peer: a Create of each
/// status to `fan`, a Follow to each followed account.
fn owed(acked: &Acked) -> Vec<(String, String)> {
    let creates = acked
        .statuses
        .iter()
        .map(|(_, uri, _)| ("Create".to_string(), uri.clone()));
    let follows = acked
        .follows
        .iter()
        .map(|(_, uri, _)| ("Follow".to_string(), uri.clone()));
    creates.chain(follows).collect()
}

/// With the server dead: every acknowledged write is stored, and every
/// delivery it owes was received or is still queued.
fn check_store(data: &Path, acked: &Acked, peer: &Peer, round: usize) -> usize {
    let store = open_store(data);
    let owner = store.owner_account().unwrap().unwrap();
    for (id, _, r) in &acked.statuses {
        assert!(
            store.status(*id).unwrap().is_some(),
            "after kill {round}: status {id}, acknowledged in round {r}, is lost"
        );
    }
    for (id, r) in &acked.favourites {
        assert!(
            store
                .status_rel(StatusRel::Favourite, *id, owner.id)
                .unwrap()
                .is_some(),
            "after kill {round}: the favourite of {id}, acknowledged in round {r}, is lost"
        );
    }
    for (id, uri, r) in &acked.follows {
        assert!(
            store.has_relation(Rel::Following, *id).unwrap()
                || store.has_relation(Rel::Requested, *id).unwrap(),
            "after kill {round}: the follow of {uri}, acknowledged in round {r}, is lost"
        );
    }
    let queued: Vec<(String, String)> = store
        .delivery_jobs()
        .unwrap()
        .iter()
        .map(|(_, job)| about(&serde_json::from_slice(&job.body).unwrap_or_default()))
        .collect();
    let received: Vec<(String, String)> = {
        let got = peer.received.lock().unwrap();
        got.iter().map(|r| about(&r.activity)).collect()
    };
    for item in owed(acked) {
        assert!(
            received.contains(&item) || queued.contains(&item),
            "after kill {round}: {item:?} was neither delivered nor queued"
        );
    }
    queued.len()
}

/// After a restart, the API shows the writes of the round before.
async fn check_api(base: &str, token: &str, acked: &Acked, round: usize) {
    let c = client();
    for (id, _, _) in acked.statuses.iter().filter(|s| s.2 == round) {
        let res = c
            .get(format!("{base}/api/v1/statuses/{id}"))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "status {id} after restart");
    }
    for (id, _) in acked.favourites.iter().filter(|f| f.1 == round) {
        let v: Value = c
            .get(format!("{base}/api/v1/statuses/{id}"))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(v["favourited"], true, "favourite of {id} after restart");
    }
    for (id, uri, _) in acked.follows.iter().filter(|f| f.2 == round) {
        let v: Value = c
            .get(format!("{base}/api/v1/accounts/relationships"))
            .query(&[("id[]", id.to_string())])
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let r = &v[0];
        assert!(
            r["following"] == true || r["requested"] == true,
            "follow of {uri} after restart: {v}"
        );
    }
}

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_writes_and_owed_deliveries_survive_kill_9() {
    let rounds: usize = env_or("BURROW_KILL_ROUNDS", DEFAULT_ROUNDS);
    let seed: u64 = env_or("BURROW_KILL_SEED", DEFAULT_SEED);
    let mut rng = Rng(seed);
    let peer = start_peer().await;
    let peer_host = peer.base.trim_start_matches("http://").to_string();
    let tmp = tempfile::tempdir().unwrap();
    let site = Site::init(tmp.path(), true);

    let server = site.serve();
    let token = owner_token(&site.base, "read write follow").await;
    fan_follows_owner(&site, &peer).await;
    // The set-up ends with a kill too.
    server.kill9();
    // Each kill, and the start of the next server after it. Between the
    // two no server runs, so a delivery received before a restart came
    // from a server that was then killed.
    let mut kills: Vec<Instant> = vec![Instant::now()];
    let mut restarts: Vec<Instant> = Vec::new();

    let plan = Arc::new(Plan {
        next_follow: AtomicUsize::new(0),
    });
    let mut acked = Acked::default();
    let mut queued_after_kill = Vec::new();
    for round in 0..rounds {
        restarts.push(Instant::now());
        let server = site.serve();
        if round > 0 {
            check_api(&site.base, &token, &acked, round - 1).await;
        }
        let killed = Arc::new(AtomicBool::new(false));
        let writers: Vec<_> = (0..WRITERS)
            .map(|me| {
                tokio::spawn(writer(
                    site.base.clone(),
                    token.clone(),
                    peer_host.clone(),
                    plan.clone(),
                    killed.clone(),
                    round,
                    me,
                ))
            })
            .collect();
        tokio::time::sleep(Duration::from_millis(rng.in_range(KILL_AFTER_MS))).await;
        // Writers learn of the kill before it falls: an error they see
        // after this is the kill's doing.
        killed.store(true, Ordering::SeqCst);
        server.kill9();
        kills.push(Instant::now());
        for w in writers {
            let w = w.await.unwrap();
            assert!(w.failure.is_none(), "round {round}: {:?}", w.failure);
            acked.statuses.extend(w.acked.statuses);
            acked.favourites.extend(w.acked.favourites);
            acked.follows.extend(w.acked.follows);
        }
        queued_after_kill.push(check_store(&site.data, &acked, &peer, round));
    }

    // Time passes: leases taken by the killed processes end (they hide a
    // job for `LEASE_MS` after a crash), then a last server delivers
    // everything still owed.
    {
        let store = open_store(&site.data);
        let far = i64::MAX / 4;
        let now = burrow::time_fmt::now_ms();
        store
            .lease_due_deliveries(far, now - far, usize::MAX)
            .unwrap();
        store.flush_sync().unwrap();
    }
    restarts.push(Instant::now());
    let server = site.serve();
    check_api(&site.base, &token, &acked, rounds - 1).await;
    let owed = owed(&acked);
    eventually("every owed delivery arrives", || {
        let got = peer.received.lock().unwrap();
        owed.iter()
            .all(|item| got.iter().any(|r| about(&r.activity) == *item))
    })
    .await;
    drop(server);

    // Nothing twice, except an activity whose delivery a kill cut between
    // the send and the record of it: then once more per such kill.
    let got = peer.received.lock().unwrap();
    let mut by_id: BTreeMap<String, Vec<&Received>> = BTreeMap::new();
    for r in got.iter() {
        let id = r.activity["id"].as_str().unwrap_or_default().to_string();
        by_id.entry(id).or_default().push(r);
    }
    let mut repeats = 0;
    // How long before its kill the earliest repeated delivery arrived.
    let mut widest = Duration::ZERO;
    for (id, copies) in &by_id {
        for pair in copies.windows(2) {
            let (first, again) = (pair[0], pair[1]);
            let restart = restarts.iter().position(|s| first.at < *s);
            assert!(
                matches!(restart, Some(j) if restarts[j] < again.at),
                "{id} was delivered twice by one server (to {} and {}, {:?} apart)",
                first.path,
                again.path,
                again.at - first.at
            );
            repeats += 1;
            if let Some(kill) = restart.and_then(|j| kills.get(j)) {
                widest = widest.max(kill.saturating_duration_since(first.at));
            }
        }
    }
    println!(
        "kill -9: {rounds} rounds (seed {seed:#x}); acknowledged {} statuses, {} favourites, \
         {} follows; jobs queued after each kill {queued_after_kill:?}; {} deliveries received, \
         {repeats} repeated after a kill (the earliest {widest:?} before its kill)",
        acked.statuses.len(),
        acked.favourites.len(),
        acked.follows.len(),
        got.len()
    );
}
