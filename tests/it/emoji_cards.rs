//! What other servers' posts look like in apps and on the owner's pages:
//! custom emoji from `Emoji` tags (in notes and actors), link preview
//! cards built off the request path from the linked page's head, and the
//! still image of a remote video. Peers and pages are hostile here too:
//! `javascript:` emoji and images, ten thousand tags, huge and broken
//! pages, and links to private addresses a server must not fetch.

use crate::common;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use burrow::crypto::keys::{seeded_pkcs8, SigningKey};
use burrow::federation::signatures::sign_request;
use burrow::ops::statuses;
use common::*;
use futures_util::StreamExt;
use reqwest::Method;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

const PEER_SEED: u64 = 3;
const PUBLIC: &str = "https://www.w3.org/ns/activitystreams#Public";

/// A peer server with one actor, `eve`, whose name and bio use custom
/// emoji, and a few web pages whose fetches it counts.
struct Peer {
    base: String,
    key: SigningKey,
    hits: Mutex<HashMap<String, usize>>,
}

impl Peer {
    fn actor_id(&self) -> String {
        format!("{}/users/eve", self.base)
    }

    fn page(&self, name: &str) -> String {
        format!("{}/page/{name}", self.base)
    }

    fn hits(&self, name: &str) -> usize {
        self.hits.lock().unwrap().get(name).copied().unwrap_or(0)
    }

    fn actor(&self) -> Value {
        let id = self.actor_id();
        json!({
            "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
            "id": id,
            "type": "Person",
            "preferredUsername": "eve",
            "name": "Eve :blobcat:",
            "summary": "<p>I like :neko: and :blobcat:</p>",
            "attachment": [{ "type": "PropertyValue", "name": "Pet", "value": ":neko:" }],
            "tag": [
                { "type": "Emoji", "name": ":blobcat:", "updated": "2024-01-01T00:00:00Z",
                  "icon": { "type": "Image", "mediaType": "image/png", "url": format!("{}/emoji/blobcat.png", self.base) } },
                { "id": format!("{}/emojis/neko", self.base), "type": "Emoji", "name": ":neko:",
                  "icon": { "type": "Image", "url": format!("{}/emoji/neko.webp", self.base) } },
                { "type": "Emoji", "name": ":evil:", "icon": { "type": "Image", "url": "javascript:alert(1)" } },
            ],
            "inbox": format!("{id}/inbox"),
            "followers": format!("{id}/followers"),
            "publicKey": {
                "id": format!("{id}#main-key"),
                "owner": id,
                "publicKeyPem": self.key.public_key_pem(),
            }
        })
    }

    /// A public note by eve that mentions alice (so alice's server keeps
    /// it), with `extra` merged into the object.
    fn note(&self, a: &TestServer, n: &str, content: &str, extra: Value) -> Value {
        let actor = self.actor_id();
        let id = format!("{actor}/statuses/{n}");
        let mut object = json!({
            "id": id,
            "type": "Note",
            "attributedTo": actor,
            "content": content,
            "to": [PUBLIC],
            "cc": [a.url("/users/alice")],
            "published": "2026-01-01T00:00:00Z",
        });
        let mut tags =
            vec![json!({ "type": "Mention", "href": a.url("/users/alice"), "name": "@alice" })];
        if let Some(Value::Array(more)) = extra.get("tag") {
            tags.extend(more.iter().cloned());
        }
        for (k, v) in extra.as_object().unwrap() {
            object[k] = v.clone();
        }
        object["tag"] = Value::Array(tags);
        json!({
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": format!("{id}/activity"),
            "type": "Create",
            "actor": actor,
            "to": [PUBLIC],
            "cc": [a.url("/users/alice")],
            "object": object,
        })
    }

    /// Signs `activity` as eve and posts it to alice's inbox.
    async fn deliver(&self, a: &TestServer, activity: &Value) {
        let inbox = a.url("/users/alice/inbox");
        let body = activity.to_string().into_bytes();
        let headers = sign_request(
            &self.key,
            &format!("{}#main-key", self.actor_id()),
            &Method::POST,
            &url::Url::parse(&inbox).unwrap(),
            &body,
            SystemTime::now(),
        )
        .unwrap();
        let res = client()
            .post(&inbox)
            .headers(headers)
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 202, "{}", res.text().await.unwrap());
    }
}

async fn actor_doc(State(p): State<Arc<Peer>>) -> Response {
    (
        [(header::CONTENT_TYPE, "application/activity+json")],
        p.actor().to_string(),
    )
        .into_response()
}

/// The pages links point to, each a different kind of trouble.
async fn page(State(p): State<Arc<Peer>>, Path(name): Path<String>) -> Response {
    *p.hits.lock().unwrap().entry(name.clone()).or_default() += 1;
    let html =
        |body: String| ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], body).into_response();
    match name.as_str() {
        "good" => html(format!(
            concat!(
                "<!doctype html><html lang=\"en\"><head><title>Fallback</title>",
                "<meta property=\"og:title\" content=\"A good story\">",
                "<meta property=\"og:description\" content=\"What happened &amp; why\">",
                "<meta property='og:image' content='/img/story.png'>",
                "<meta property=\"og:site_name\" content=\"Good News\">",
                "<meta name=\"author\" content=\"Reporter\">",
                "</head><body>{}</body></html>"
            ),
            "<p>body</p>"
        )),
        // The head never ends and the page goes on for 8 MiB: only the
        // first MiB is read.
        "huge" => html(format!(
            "<html><head><title>Huge</title>{}",
            "<meta name=x content=y>".repeat(8 * 1024 * 1024 / 24)
        )),
        "nohead" => html("<html><body><p>Nothing to say about myself</p></body></html>".into()),
        "broken" => html(
            "<html><head><title>Broken <b>page</title><meta property=\"og:description\" content='half \
             <meta property=og:image content=\"javascript:alert(1)\"><<>><meta content=\"x"
                .into(),
        ),
        "jsimage" => html(
            "<head><meta property=og:title content=\"Tricky\"><meta property=og:image content=\" javascript:alert(document.domain)\"><meta property=og:url content=\"javascript:x\"></head>"
                .into(),
        ),
        "png" => ([(header::CONTENT_TYPE, "image/png")], png(2, 2)).into_response(),
        _ => axum::http::StatusCode::NOT_FOUND.into_response(),
    }
}

async fn start_peer() -> Arc<Peer> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let peer = Arc::new(Peer {
        base: format!("http://{addr}"),
        key: SigningKey::from_pkcs8(&seeded_pkcs8(PEER_SEED)).unwrap(),
        hits: Mutex::new(HashMap::new()),
    });
    let app = Router::new()
        .route("/users/eve", get(actor_doc))
        .route("/page/{name}", get(page))
        .with_state(peer.clone());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    peer
}

/// Waits until the card worker has no job left.
async fn cards_settled(s: &TestServer) {
    eventually("the card worker is done", || {
        s.state.store.next_card_job().unwrap().is_none()
    })
    .await;
}

/// The stored remote status with this URI (waiting for the inbox worker).
async fn remote_status(s: &TestServer, uri: &str) -> burrow::store::statuses::Status {
    eventually("the note is stored", || {
        s.state.store.status_by_uri(uri).unwrap().is_some()
    })
    .await;
    s.state.store.status_by_uri(uri).unwrap().unwrap()
}

fn shortcodes(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|e| e["shortcode"].as_str().unwrap().to_string())
        .collect()
}

/// The owner's browser: logs in with the form and keeps its cookie.
async fn owner_page(s: &TestServer, path: &str) -> String {
    let login = client().get(s.url("/login")).send().await.unwrap();
    let mut cookies: Vec<String> = login
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_string())
        .collect();
    let csrf = hidden_fields(&login.text().await.unwrap())
        .into_iter()
        .find(|(k, _)| k == "csrf")
        .unwrap()
        .1;
    let res = client()
        .post(s.url("/login"))
        .header("cookie", cookies.join("; "))
        .form(&[
            ("csrf", csrf.as_str()),
            ("password", PASSWORD),
            ("next", "/web/home"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    cookies.extend(
        res.headers()
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_string()),
    );
    let res = client()
        .get(s.url(path))
        .header("cookie", cookies.join("; "))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "GET {path}");
    res.text().await.unwrap()
}

#[tokio::test]
async fn emoji_of_a_remote_note_and_its_author_show_in_the_api_and_on_pages() {
    let a = TestServer::start().await;
    let peer = start_peer().await;
    let api = Api {
        s: &a,
        token: token(&a, "read write").await,
    };
    assert_eq!(api.json("/api/v1/custom_emojis").await, json!([]));

    let mut hostile: Vec<Value> = vec![
        json!({ "type": "Emoji", "name": ":neko:", "icon": { "type": "Image", "mediaType": "image/webp", "url": format!("{}/emoji/neko.webp", peer.base) } }),
        json!({ "type": "Emoji", "name": ":evil:", "icon": { "type": "Image", "url": "javascript:alert(1)" } }),
        json!({ "type": "Emoji", "name": ":bad code:", "icon": { "url": format!("{}/e.png", peer.base) } }),
        json!({ "type": "Emoji", "name": ":x:", "icon": { "url": format!("{}/e.png", peer.base) } }),
        json!({ "type": "Emoji", "name": ":page:", "icon": { "mediaType": "text/html", "url": format!("{}/e.html", peer.base) } }),
    ];
    hostile.extend((0..10_000).map(|i| {
        json!({ "type": "Emoji", "name": format!(":flood{i}:"), "icon": { "url": format!("{}/f/{i}.png", peer.base) } })
    }));
    let note = peer.note(
        &a,
        "1",
        "<p>hello :neko: and :evil: and :flood5:</p>",
        json!({ "summary": "cw :neko:", "tag": hostile }),
    );
    peer.deliver(&a, &note).await;
    let stored = remote_status(&a, note["object"]["id"].as_str().unwrap()).await;

    let st = api.json(&format!("/api/v1/statuses/{}", stored.id)).await;
    let codes = shortcodes(&st["emojis"]);
    assert_eq!(codes.first().map(String::as_str), Some("neko"));
    assert!(
        codes.len() <= burrow::federation::emoji::MAX_EMOJIS,
        "{}",
        codes.len()
    );
    assert!(!codes
        .iter()
        .any(|c| matches!(c.as_str(), "evil" | "bad code" | "x" | "page")));
    let neko = &st["emojis"][0];
    assert_eq!(neko["url"], format!("{}/emoji/neko.webp", peer.base));
    assert_eq!(neko["static_url"], neko["url"]);
    assert_eq!(neko["visible_in_picker"], false);
    assert!(neko["category"].is_null());
    assert!(!st.to_string().contains("javascript:"));

    // The author's emoji: name, bio and fields.
    let who = &st["account"];
    assert_eq!(who["display_name"], "Eve :blobcat:");
    assert_eq!(shortcodes(&who["emojis"]), ["blobcat", "neko"]);
    let acct = api
        .json(&format!("/api/v1/accounts/{}", stored.account_id))
        .await;
    assert_eq!(shortcodes(&acct["emojis"]), ["blobcat", "neko"]);

    // The owner's page shows them as small images in text, nowhere else.
    let html = owner_page(&a, &format!("/web/statuses/{}", stored.id)).await;
    let neko_img = format!(
        "<img class=\"emoji\" src=\"{}/emoji/neko.webp\" alt=\":neko:\" title=\":neko:\" width=\"20\" height=\"20\" loading=\"lazy\">",
        peer.base
    );
    assert!(
        html.contains(&format!("hello {neko_img} and :evil:")),
        "{html}"
    );
    assert!(html.contains("Eve <img class=\"emoji\""), "{html}");
    assert!(!html.contains("javascript:"));
    let profile = owner_page(&a, &format!("/web/accounts/{}", stored.account_id)).await;
    assert!(profile.contains(&format!("I like {neko_img}")), "{profile}");
}

#[tokio::test]
async fn a_link_in_a_post_gets_a_card_from_its_page_shared_and_pruned() {
    let a = TestServer::start().await;
    let peer = start_peer().await;
    let api = Api {
        s: &a,
        token: token(&a, "read write").await,
    };
    let mut ws = {
        let url = format!(
            "ws://{}/api/v1/streaming?stream=user&access_token={}",
            a.host, api.token
        );
        tokio_tungstenite::connect_async(url).await.unwrap().0
    };
    let link = peer.page("good");
    let first = statuses::post(
        &a.state,
        statuses::NewStatus {
            text: format!("read this {link} now"),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    // The card arrives on the stream as an update, as Mastodon sends it.
    let first_id = first.id.to_string();
    let update = tokio::time::timeout(Duration::from_secs(20), async {
        loop {
            let msg = ws.next().await.unwrap().unwrap();
            let Ok(text) = msg.into_text() else { continue };
            let v: Value = serde_json::from_str(text.as_str()).unwrap_or_default();
            if v["event"] == "status.update" {
                let p: Value = serde_json::from_str(v["payload"].as_str().unwrap()).unwrap();
                if p["id"].as_str() == Some(first_id.as_str()) {
                    return p;
                }
            }
        }
    })
    .await
    .expect("the card arrives on the stream");
    let card = &update["card"];
    assert_eq!(card["url"], link);
    assert_eq!(card["title"], "A good story");
    assert_eq!(card["description"], "What happened & why");
    assert_eq!(card["type"], "link");
    assert_eq!(card["image"], format!("{}/img/story.png", peer.base));
    assert_eq!(card["provider_name"], "Good News");
    assert_eq!(card["author_name"], "Reporter");
    assert_eq!(card["html"], "");
    assert_eq!(card["embed_url"], "");
    assert!(card["blurhash"].is_null());
    assert_eq!(card["language"], "en");
    assert_eq!(card["authors"], json!([]));
    for key in ["author_url", "provider_url", "image_description"] {
        assert!(card[key].is_string(), "{key}");
    }
    for key in ["width", "height"] {
        assert!(card[key].is_u64(), "{key}");
    }
    assert_eq!(
        api.json(&format!("/api/v1/statuses/{}", first.id)).await["card"],
        *card
    );

    // A second post with the link shares the card, fetched once.
    let second = statuses::post(
        &a.state,
        statuses::NewStatus {
            text: format!("again {link}"),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    cards_settled(&a).await;
    assert_eq!(
        api.json(&format!("/api/v1/statuses/{}", second.id)).await["card"]["title"],
        "A good story"
    );
    assert_eq!(peer.hits("good"), 1);

    // The owner's page shows the card under the post.
    let html = owner_page(&a, &format!("/web/statuses/{}", first.id)).await;
    assert!(
        html.contains(&format!("<a class=\"preview\" href=\"{link}\"")),
        "{html}"
    );
    assert!(html.contains("<b>A good story</b>"), "{html}");

    // A remote status with the same link shows it too.
    let note = peer.note(
        &a,
        "2",
        &format!("<p>see <a href=\"{link}\" rel=\"nofollow\">{link}</a></p>"),
        json!({}),
    );
    peer.deliver(&a, &note).await;
    let remote = remote_status(&a, note["object"]["id"].as_str().unwrap()).await;
    cards_settled(&a).await;
    assert_eq!(
        api.json(&format!("/api/v1/statuses/{}", remote.id)).await["card"]["url"],
        link
    );

    // The card goes with the last status showing it.
    for id in [first.id, second.id] {
        assert_eq!(
            api.delete(&format!("/api/v1/statuses/{id}")).await.status(),
            200
        );
    }
    assert!(a.state.store.card(&link).unwrap().is_some());
    let gone = remote.uri.clone();
    peer.deliver(
        &a,
        &json!({
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": format!("{gone}/delete"),
            "type": "Delete",
            "actor": peer.actor_id(),
            "object": { "id": gone, "type": "Tombstone" },
        }),
    )
    .await;
    eventually("the remote status is deleted", || {
        a.state.store.status(remote.id).unwrap().is_none()
    })
    .await;
    assert!(a.state.store.card(&link).unwrap().is_none());
}

#[tokio::test]
async fn hostile_pages_give_no_card_or_a_safe_one() {
    let a = TestServer::start().await;
    let peer = start_peer().await;
    let api = Api {
        s: &a,
        token: token(&a, "read write").await,
    };
    let mut posted = Vec::new();
    for name in ["huge", "nohead", "broken", "jsimage", "png", "missing"] {
        let s = statuses::post(
            &a.state,
            statuses::NewStatus {
                text: format!("{name}: {}", peer.page(name)),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        posted.push((name, s.id));
    }
    cards_settled(&a).await;
    let mut cards = HashMap::new();
    for (name, id) in posted {
        let st = api.json(&format!("/api/v1/statuses/{id}")).await;
        assert!(!st.to_string().contains("javascript:"), "{name}: {st}");
        cards.insert(name, st["card"].clone());
    }
    assert_eq!(cards["huge"]["title"], "Huge");
    assert!(cards["nohead"].is_null());
    assert!(cards["png"].is_null());
    assert!(cards["missing"].is_null());
    assert_eq!(cards["jsimage"]["title"], "Tricky");
    assert!(cards["jsimage"]["image"].is_null());
    assert_eq!(cards["jsimage"]["url"], peer.page("jsimage"));
    if !cards["broken"].is_null() {
        assert!(cards["broken"]["image"].is_null());
    }
    // The server still answers.
    assert_eq!(api.get("/api/v1/instance").await.status(), 200);
}

#[tokio::test]
async fn links_to_private_addresses_are_not_fetched_without_the_setting() {
    let a = TestServer::start_with(TestOptions {
        allow_private_network: false,
        ..Default::default()
    })
    .await;
    let peer = start_peer().await;
    let s = statuses::post(
        &a.state,
        statuses::NewStatus {
            text: format!("inside: {}", peer.page("good")),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    // The link is one that gets a card; only the address rule stops it.
    assert_eq!(
        burrow::ops::cards::eligible_link(&a.state, &s),
        Some(peer.page("good"))
    );
    cards_settled(&a).await;
    assert_eq!(peer.hits("good"), 0);
    assert!(a
        .state
        .store
        .status(s.id)
        .unwrap()
        .unwrap()
        .card_url
        .is_none());
}

#[tokio::test]
async fn remote_video_and_audio_are_previewed_by_their_still_image_only() {
    let a = TestServer::start().await;
    let peer = start_peer().await;
    let api = Api {
        s: &a,
        token: token(&a, "read").await,
    };
    let b = &peer.base;
    let note = peer.note(
        &a,
        "3",
        "<p>clips</p>",
        json!({ "attachment": [
            { "type": "Document", "mediaType": "video/mp4", "url": format!("{b}/v.mp4"),
              "icon": { "type": "Image", "url": format!("{b}/v.jpg") } },
            { "type": "Video", "mediaType": "video/webm", "url": format!("{b}/w.webm") },
            { "type": "Audio", "mediaType": "audio/ogg", "url": format!("{b}/a.ogg"),
              "preview": { "type": "Image", "url": format!("{b}/a.png") } },
            { "type": "Document", "mediaType": "video/mp4", "url": format!("{b}/x.mp4"),
              "icon": "javascript:alert(1)" },
            { "type": "Document", "mediaType": "image/gif", "url": format!("{b}/g.gif") },
        ]}),
    );
    peer.deliver(&a, &note).await;
    let stored = remote_status(&a, note["object"]["id"].as_str().unwrap()).await;
    let st = api.json(&format!("/api/v1/statuses/{}", stored.id)).await;
    let media = st["media_attachments"].as_array().unwrap();
    let previews: Vec<&Value> = media.iter().map(|m| &m["preview_url"]).collect();
    assert_eq!(
        previews,
        [
            &json!(format!("{b}/v.jpg")),
            &Value::Null,
            &json!(format!("{b}/a.png")),
            &Value::Null,
            &json!(format!("{b}/g.gif")),
        ]
    );
    assert_eq!(media[0]["type"], "video");
    assert_eq!(media[0]["url"], format!("{b}/v.mp4"));
    assert_eq!(media[2]["type"], "audio");
    // A post with media gets no card.
    assert!(st["card"].is_null());
}

#[tokio::test]
async fn links_to_blocked_servers_are_not_fetched() {
    let a = TestServer::start().await;
    let peer = start_peer().await;
    let api = Api {
        s: &a,
        token: token(&a, "read write").await,
    };
    let res = api
        .post("/api/v1/domain_blocks", &[("domain", "localhost")])
        .await;
    assert_eq!(res.status(), 200);
    // The same page, under a name the owner blocked.
    let link = peer.page("good").replace("127.0.0.1", "localhost");
    let s = statuses::post(
        &a.state,
        statuses::NewStatus {
            text: format!("blocked: {link}"),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    cards_settled(&a).await;
    assert_eq!(peer.hits("good"), 0);
    assert!(api.json(&format!("/api/v1/statuses/{}", s.id)).await["card"].is_null());
}

#[tokio::test]
async fn a_card_waiting_for_its_host_is_made_after_a_restart() {
    let a = TestServer::start().await;
    let peer = start_peer().await;
    let burst = burrow::ops::cards::HOST_BURST as usize;
    // One link more than the host's burst: the last waits its turn.
    let mut ids = Vec::new();
    for n in 0..=burst {
        let s = statuses::post(
            &a.state,
            statuses::NewStatus {
                text: format!("part {n}: {}?n={n}", peer.page("good")),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        ids.push(s.id);
    }
    eventually("the host's burst is spent and one card waits", || {
        peer.hits("good") == burst
            && a.state
                .store
                .next_card_job()
                .unwrap()
                .is_some_and(|j| j.due_ms > 0)
    })
    .await;
    let last = *ids.last().unwrap();
    assert!(a
        .state
        .store
        .status(last)
        .unwrap()
        .unwrap()
        .card_url
        .is_none());

    let dir = a.stop().await;
    let a = TestServer::start_in(dir, TestOptions::default()).await;
    let mut waited = Duration::ZERO;
    while a
        .state
        .store
        .status(last)
        .unwrap()
        .unwrap()
        .card_url
        .is_none()
    {
        assert!(
            waited < Duration::from_secs(60),
            "the waiting card never came"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
        waited += Duration::from_millis(100);
    }
    assert_eq!(peer.hits("good"), burst + 1);
    let card = a
        .state
        .store
        .card(&format!("{}?n={burst}", peer.page("good")));
    assert_eq!(card.unwrap().unwrap().title, "A good story");
}
