//! A fake ActivityPub server for tests: many accounts on one host, each
//! with its own key; it serves the documents it is given, signs what its
//! accounts post to a Burrow inbox, and records what it is sent (with the
//! request headers).

use super::{client, eventually, TestServer};
use axum::extract::{OriginalUri, State as AxState};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::IntoResponse;
use burrow::crypto::keys::{seeded_pkcs8, SigningKey};
use burrow::federation::signatures::sign_request;
use reqwest::Method;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

pub const PUBLIC: &str = "https://www.w3.org/ns/activitystreams#Public";

#[derive(Clone, Default)]
pub struct PeerData {
    docs: Arc<Mutex<HashMap<String, Value>>>,
    received: Arc<Mutex<Vec<(HeaderMap, Value)>>>,
}

pub struct Peer {
    pub base: String,
    data: PeerData,
}

pub struct Actor {
    pub uri: String,
    pub key: SigningKey,
}

static NEXT: AtomicU64 = AtomicU64::new(1);

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

async fn take_post(
    AxState(data): AxState<PeerData>,
    headers: HeaderMap,
    body: String,
) -> StatusCode {
    if let Ok(v) = serde_json::from_str(&body) {
        data.received.lock().unwrap().push((headers, v));
    }
    StatusCode::ACCEPTED
}

impl Peer {
    pub async fn start() -> Peer {
        let data = PeerData::default();
        let app = axum::Router::new()
            .fallback(axum::routing::get(serve_doc).post(take_post))
            .with_state(data.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Peer { base, data }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn serve(&self, doc: Value) {
        let id = doc["id"].as_str().unwrap();
        let path = url::Url::parse(id).unwrap().path().to_string();
        self.data.docs.lock().unwrap().insert(path, doc);
    }

    pub fn actor(&self, name: &str, seed: u64) -> Actor {
        let key = SigningKey::from_pkcs8(&seeded_pkcs8(seed)).unwrap();
        let uri = self.url(&format!("/users/{name}"));
        self.serve(json!({
            "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
            "id": uri,
            "type": "Person",
            "preferredUsername": name,
            "inbox": format!("{uri}/inbox"),
            "followers": format!("{uri}/followers"),
            "publicKey": {
                "id": format!("{uri}#main-key"),
                "owner": uri,
                "publicKeyPem": key.public_key_pem(),
            },
        }));
        Actor { uri, key }
    }

    /// Bodies posted here, oldest first.
    pub fn received(&self) -> Vec<Value> {
        self.data
            .received
            .lock()
            .unwrap()
            .iter()
            .map(|(_, v)| v.clone())
            .collect()
    }

    /// Bodies posted here with their request headers.
    pub fn received_with_headers(&self) -> Vec<(HeaderMap, Value)> {
        self.data.received.lock().unwrap().clone()
    }
}

impl Actor {
    pub async fn send(&self, s: &TestServer, activity: Value) {
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
        assert_eq!(res.status(), 202);
        eventually("the inbox has applied it", || {
            s.state.store.inbox_queue_len() == 0
        })
        .await;
    }

    pub fn id(&self) -> String {
        format!(
            "{}#activities/{}",
            self.uri,
            NEXT.fetch_add(1, Ordering::SeqCst)
        )
    }

    pub fn create(&self, note: Value) -> Value {
        json!({
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": self.id(),
            "type": "Create",
            "actor": self.uri,
            "to": [PUBLIC],
            "object": note,
        })
    }

    pub fn note(&self, n: u32, content: &str) -> Value {
        json!({
            "id": format!("{}/statuses/{n}", self.uri),
            "type": "Note",
            "attributedTo": self.uri,
            "content": content,
            "to": [PUBLIC],
            "cc": [format!("{}/followers", self.uri)],
            "published": "2025-11-01T10:00:00Z",
        })
    }
}

impl Actor {
    /// GETs `url` signed with this actor's key, as its server would.
    pub async fn get(&self, url: &str) -> reqwest::Response {
        let headers = sign_request(
            &self.key,
            &format!("{}#main-key", self.uri),
            &Method::GET,
            &url::Url::parse(url).unwrap(),
            b"",
            SystemTime::now(),
        )
        .unwrap();
        client().get(url).headers(headers).send().await.unwrap()
    }
}
