//! Remote servers on loopback: `HOSTS` hosts, each its own address in
//! 127.0.0.0/8 (all of it is loopback on Linux), one listener for all.
//! They serve actor documents and WebFinger, sign what they send to
//! Burrow, accept the owner's follows, and count what Burrow delivers.

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use burrow::crypto::keys::SigningKey;
use burrow::federation::signatures::sign_request;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::net::Ipv4Addr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

pub struct Peers {
    pub port: u16,
    pub hosts: usize,
    key: SigningKey,
    pem: String,
    /// Where Burrow's shared inbox is.
    pub burrow_inbox: String,
    pub client: reqwest::Client,
    /// Deliveries received, in all.
    pub received: AtomicU64,
    /// Inboxes that received each object id (for fan-out).
    pub creates: Mutex<HashMap<String, u64>>,
}

/// The address of host `h`: 127.0.0.2, 127.0.0.3, … (127.0.0.1 is Burrow).
pub fn host_ip(h: usize) -> Ipv4Addr {
    Ipv4Addr::from(u32::from(Ipv4Addr::new(127, 0, 0, 2)) + h as u32)
}

impl Peers {
    /// Starts the listener on every loopback address, on a fixed `port`
    /// (the store remembers its peers' URLs).
    pub async fn start(hosts: usize, port: u16, burrow_base: &str) -> Arc<Peers> {
        let listener = tokio::net::TcpListener::bind(("0.0.0.0", port))
            .await
            .expect("binds the peers' port");
        let port = listener.local_addr().expect("address").port();
        let der = burrow::crypto::keys::generate_pkcs8();
        let key = SigningKey::from_pkcs8(&der).expect("a fresh key");
        let pem = key.public_key_pem();
        let peers = Arc::new(Peers {
            port,
            hosts,
            key,
            pem,
            burrow_inbox: format!("{burrow_base}/inbox"),
            client: reqwest::Client::builder()
                .pool_max_idle_per_host(64)
                .build()
                .expect("client"),
            received: AtomicU64::new(0),
            creates: Mutex::default(),
        });
        let app = Router::new()
            .route("/users/{name}", get(actor))
            .route("/users/{name}/inbox", post(inbox))
            .route("/inbox", post(inbox))
            .route("/.well-known/webfinger", get(webfinger))
            .with_state(peers.clone());
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        peers
    }

    /// Host (with port) of account `k`.
    pub fn host_of(&self, k: usize) -> String {
        format!("{}:{}", host_ip(k % self.hosts), self.port)
    }

    pub fn actor(&self, k: usize) -> String {
        format!("http://{}/users/u{k}", self.host_of(k))
    }

    pub fn acct(&self, k: usize) -> String {
        format!("u{k}@{}", self.host_of(k))
    }

    /// Signs `activity` as account `k` and posts it to Burrow's inbox;
    /// returns the HTTP status.
    pub async fn send(self: &Arc<Self>, k: usize, activity: Value) -> u16 {
        let body = activity.to_string().into_bytes();
        let me = self.clone();
        let url = url::Url::parse(&self.burrow_inbox).expect("inbox URL");
        let key_id = format!("{}#main-key", self.actor(k));
        let (headers, body) = tokio::task::spawn_blocking(move || {
            let h = sign_request(
                &me.key,
                &key_id,
                &reqwest::Method::POST,
                &url,
                &body,
                SystemTime::now(),
            )
            .expect("signs");
            (h, body)
        })
        .await
        .expect("signing task");
        // A peer told to wait (429: the inbox's quotas) waits and sends
        // again, as real servers do; the pause is short so seeding is
        // paced by how fast Burrow applies what it queued.
        for _ in 0..MAX_TRIES {
            let status = match self
                .client
                .post(&self.burrow_inbox)
                .headers(headers.clone())
                .body(body.clone())
                .send()
                .await
            {
                Ok(r) => r.status().as_u16(),
                Err(_) => 0,
            };
            if status != 429 {
                return status;
            }
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        }
        429
    }

    fn actor_doc(&self, host: &str, name: &str) -> Value {
        let id = format!("http://{host}/users/{name}");
        json!({
            "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
            "id": id,
            "type": "Person",
            "preferredUsername": name,
            "name": format!("Bench {name}"),
            "summary": "<p>A remote account of the benchmark.</p>",
            "url": format!("http://{host}/@{name}"),
            "inbox": format!("{id}/inbox"),
            "outbox": format!("{id}/outbox"),
            "followers": format!("{id}/followers"),
            "following": format!("{id}/following"),
            "endpoints": {"sharedInbox": format!("http://{host}/inbox")},
            "publicKey": {"id": format!("{id}#main-key"), "owner": id, "publicKeyPem": self.pem},
        })
    }
}

fn host_header(headers: &HeaderMap) -> String {
    headers
        .get("host")
        .and_then(|h| h.to_str().ok())
        .unwrap_or("")
        .to_string()
}

/// How often a send told to wait (429) is tried again, 200 ms apart.
const MAX_TRIES: usize = 1_500;

/// Numbers the `Accept`s the peers send.
static ACCEPTS: AtomicU64 = AtomicU64::new(0);

const AP: &str = "application/activity+json";

async fn actor(
    State(p): State<Arc<Peers>>,
    Path(name): Path<String>,
    headers: HeaderMap,
) -> Response {
    let doc = p.actor_doc(&host_header(&headers), &name);
    ([("content-type", AP)], doc.to_string()).into_response()
}

async fn webfinger(
    State(p): State<Arc<Peers>>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let host = host_header(&headers);
    let resource = q.get("resource").cloned().unwrap_or_default();
    let Some(name) = resource
        .strip_prefix("acct:")
        .and_then(|r| r.split_once('@'))
        .map(|(n, _)| n.to_string())
    else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let _ = &p;
    (
        [("content-type", "application/jrd+json")],
        json!({
            "subject": resource,
            "links": [{"rel": "self", "type": AP, "href": format!("http://{host}/users/{name}")}],
        })
        .to_string(),
    )
        .into_response()
}

/// Counts a delivery; accepts the owner's follows by sending `Accept`.
async fn inbox(State(p): State<Arc<Peers>>, body: axum::body::Bytes) -> StatusCode {
    p.received.fetch_add(1, Ordering::Relaxed);
    let Ok(v) = serde_json::from_slice::<Value>(&body) else {
        return StatusCode::ACCEPTED;
    };
    match v["type"].as_str() {
        Some("Create") => {
            if let Some(id) = v["object"]["id"].as_str() {
                *p.creates
                    .lock()
                    .expect("lock")
                    .entry(id.to_string())
                    .or_default() += 1;
            }
        }
        Some("Follow") => {
            let target = v["object"].as_str().unwrap_or("").to_string();
            let k = target
                .rsplit_once("/users/u")
                .and_then(|(_, k)| k.parse::<usize>().ok());
            if let Some(k) = k {
                let accept = json!({
                    "@context": "https://www.w3.org/ns/activitystreams",
                    "id": format!("{}#accepts/{}", p.actor(k), ACCEPTS.fetch_add(1, Ordering::Relaxed)),
                    "type": "Accept",
                    "actor": p.actor(k),
                    "object": v,
                });
                let p = p.clone();
                tokio::spawn(async move {
                    p.send(k, accept).await;
                });
            }
        }
        _ => {}
    }
    StatusCode::ACCEPTED
}
