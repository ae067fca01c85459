//! A hostile peer chooses the addresses Burrow shows: an actor's `url`,
//! `icon` and `image`, a status's `url`, attachments, an Article's link.
//! None of them may ever become a `javascript:` (or `data:`, `vbscript:`…)
//! link on Burrow's origin: not on the public pages, not on the owner's
//! pages, not in the API, not in the owner's own reply that mentions the
//! peer. And every HTML page carries a policy that would stop inline
//! script anyway.

use crate::common;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use burrow::crypto::keys::{seeded_pkcs8, SigningKey};
use burrow::federation::signatures::sign_request;
use burrow::store::accounts::Account;
use burrow::store::statuses::{RemoteMedia, Status, Visibility};
use common::*;
use reqwest::Method;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::SystemTime;

/// Addresses that run script (or carry a document) when clicked, in the
/// spellings browsers forgive: case, leading blanks, entities.
const HOSTILE: &[&str] = &[
    "javascript:alert(document.domain)",
    "JaVaScRiPt:alert(1)",
    " javascript:alert(1)",
    "\tjavascript:alert(1)",
    "\njavascript:alert(1)",
    "\u{1}javascript:alert(1)",
    "java\nscript:alert(1)",
    "javascript://host.example/%0aalert(1)",
    "&#106;avascript:alert(1)",
    "javascript&#58;alert(1)",
    "&#x6A;avascript&colon;alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "DATA:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "vbscript:msgbox(1)",
];

/// The seed of the key every hostile actor signs with.
const PEER_SEED: u64 = 2;

/// A server whose actors' addresses are all hostile: `eveN` has
/// `HOSTILE[N]` as its `url`, `icon` and `image`.
struct Peer {
    base: String,
    host: String,
    key: SigningKey,
}

impl Peer {
    fn actor_id(&self, n: usize) -> String {
        format!("{}/users/eve{n}", self.base)
    }

    fn actor(&self, n: usize) -> Value {
        let id = self.actor_id(n);
        let bad = HOSTILE[n];
        json!({
            "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
            "id": id,
            "type": "Person",
            "preferredUsername": format!("eve{n}"),
            "name": format!("Eve {n}"),
            "url": bad,
            "icon": { "type": "Image", "url": bad },
            "image": [bad],
            "inbox": format!("{id}/inbox"),
            "followers": format!("{id}/followers"),
            "publicKey": {
                "id": format!("{id}#main-key"),
                "owner": id,
                "publicKeyPem": self.key.public_key_pem(),
            }
        })
    }

    /// Signs `activity` as `eveN` and posts it to alice's inbox.
    async fn deliver(&self, a: &TestServer, n: usize, activity: &Value) {
        let inbox = a.url("/users/alice/inbox");
        let body = activity.to_string().into_bytes();
        let headers = sign_request(
            &self.key,
            &format!("{}#main-key", self.actor_id(n)),
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
        assert_eq!(res.status(), 202, "eve{n}: {}", res.text().await.unwrap());
    }

    /// `eveN` replies to `parent_uri`, a post of alice's, with an object
    /// of `kind` (`Note` or `Article`) whose every address is hostile.
    fn reply(&self, a: &TestServer, n: usize, kind: &str, parent_uri: &str) -> Value {
        let actor = self.actor_id(n);
        let id = format!("{actor}/statuses/{kind}");
        let bad = HOSTILE[n];
        json!({
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": format!("{id}/activity"),
            "type": "Create",
            "actor": actor,
            "to": ["https://www.w3.org/ns/activitystreams#Public"],
            "cc": [a.url("/users/alice")],
            "object": {
                "id": id,
                "type": kind,
                "attributedTo": actor,
                "name": if kind == "Article" { Value::from("") } else { Value::Null },
                "content": format!("<p>{kind} from eve{n} <a href=\"{bad}\">click</a></p>"),
                "url": [bad, { "type": "Link", "href": bad }],
                "inReplyTo": parent_uri,
                "to": ["https://www.w3.org/ns/activitystreams#Public"],
                "cc": [a.url("/users/alice")],
                "tag": [
                    { "type": "Mention", "href": a.url("/users/alice"), "name": "@alice" },
                    { "type": "Mention", "href": bad, "name": format!("@x@{}", self.host) }
                ],
                "attachment": [
                    { "type": "Document", "mediaType": "image/png", "url": bad, "name": "pic" },
                    { "type": "Document", "mediaType": "text/html", "url": { "type": "Link", "href": bad } }
                ],
                "published": "2026-01-01T00:00:00Z"
            }
        })
    }
}

async fn actor_doc(State(p): State<Arc<Peer>>, Path(name): Path<String>) -> Response {
    let Some(n) = name
        .strip_prefix("eve")
        .and_then(|n| n.parse::<usize>().ok())
        .filter(|n| *n < HOSTILE.len())
    else {
        return axum::http::StatusCode::NOT_FOUND.into_response();
    };
    (
        [(header::CONTENT_TYPE, "application/activity+json")],
        p.actor(n).to_string(),
    )
        .into_response()
}

async fn start_peer() -> Arc<Peer> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let peer = Arc::new(Peer {
        base: format!("http://{addr}"),
        host: addr.to_string(),
        key: SigningKey::from_pkcs8(&seeded_pkcs8(PEER_SEED)).unwrap(),
    });
    let app = Router::new()
        .route("/users/{name}", get(actor_doc))
        .with_state(peer.clone());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    peer
}

/// HTML entities as a browser decodes them in an attribute value (the
/// named ones Burrow writes, and numeric ones).
fn decode_entities(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        let Some(end) = rest.find(';').filter(|e| *e < 12) else {
            out.push('&');
            rest = &rest[1..];
            continue;
        };
        let name = &rest[1..end];
        let c = match name {
            "amp" => Some('&'),
            "quot" => Some('"'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "colon" => Some(':'),
            "Tab" => Some('\t'),
            "NewLine" => Some('\n'),
            n if n.starts_with("#x") || n.starts_with("#X") => u32::from_str_radix(&n[2..], 16)
                .ok()
                .and_then(char::from_u32),
            n if n.starts_with('#') => n[1..].parse().ok().and_then(char::from_u32),
            _ => None,
        };
        match c {
            Some(c) => {
                out.push(c);
                rest = &rest[end + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// Whether a browser would open `value` (an attribute, decoded) as a web
/// address or a path on this site, never as script or a document.
fn harmless(value: &str) -> bool {
    // Browsers drop leading blanks and control characters, and tabs and
    // newlines anywhere, before reading the scheme.
    let cleaned: String = value
        .trim_start_matches(|c: char| c <= ' ')
        .chars()
        .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
        .collect::<String>()
        .to_ascii_lowercase();
    cleaned.is_empty()
        || cleaned.starts_with("http://")
        || cleaned.starts_with("https://")
        || (cleaned.starts_with('/') && !cleaned.starts_with("//"))
        || cleaned.starts_with('#')
        || cleaned.starts_with('?')
}

/// Every `href`, `src`, `action`, `poster` and `formaction` attribute in
/// `html` is harmless.
fn assert_links_harmless(html: &str, what: &str) {
    let lower = html.to_ascii_lowercase();
    for attr in [" href=", " src=", " action=", " poster=", " formaction="] {
        let mut from = 0;
        while let Some(i) = lower[from..].find(attr) {
            let start = from + i + attr.len();
            let (quote, body) = match html[start..].chars().next() {
                Some(q @ ('"' | '\'')) => (Some(q), start + 1),
                _ => (None, start),
            };
            let end = match quote {
                Some(q) => body + html[body..].find(q).unwrap(),
                None => body + html[body..].find([' ', '>']).unwrap_or(html.len() - body),
            };
            let value = decode_entities(&html[body..end]);
            assert!(
                harmless(&value),
                "{what}: {attr}{value:?} is a hostile link in\n{html}"
            );
            from = end;
        }
    }
}

/// Every address in an API entity (a field named `url`, `*_url`,
/// `avatar*`, `header*`) is a web address or empty, and every HTML field
/// (`content`, `note`, field values) has harmless links only.
fn assert_entity_harmless(v: &Value, what: &str) {
    match v {
        Value::Object(o) => {
            for (k, x) in o {
                let is_address = k == "url"
                    || k.ends_with("_url")
                    || k.starts_with("avatar")
                    || k.starts_with("header")
                    || k == "icon";
                match x {
                    Value::String(s) if is_address => assert!(
                        s.is_empty() || s.starts_with("http://") || s.starts_with("https://"),
                        "{what}: {k} = {s:?}"
                    ),
                    Value::String(s) if matches!(k.as_str(), "content" | "note" | "value") => {
                        assert_links_harmless(s, &format!("{what}: {k}"))
                    }
                    _ => assert_entity_harmless(x, what),
                }
            }
        }
        Value::Array(a) => a.iter().for_each(|x| assert_entity_harmless(x, what)),
        _ => {}
    }
}

/// A browser without scripts, logged in as the owner.
struct Owner {
    base: String,
    cookies: Vec<String>,
}

impl Owner {
    async fn login(s: &TestServer) -> Owner {
        let mut o = Owner {
            base: s.base.clone(),
            cookies: Vec::new(),
        };
        let form = o.get("/login").await.1;
        let csrf = hidden_fields(&form)
            .into_iter()
            .find(|(k, _)| k == "csrf")
            .map(|(_, v)| v)
            .expect("the login form has a CSRF field");
        let res = client()
            .post(format!("{}/login", o.base))
            .header("cookie", o.cookies.join("; "))
            .form(&[
                ("csrf", csrf.as_str()),
                ("password", PASSWORD),
                ("next", "/web/home"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 303);
        o.keep_cookies(&res);
        o
    }

    fn keep_cookies(&mut self, res: &reqwest::Response) {
        for v in res.headers().get_all("set-cookie") {
            let kv = v.to_str().unwrap().split(';').next().unwrap().to_string();
            let name = kv.split('=').next().unwrap().to_string();
            self.cookies
                .retain(|c| c.split('=').next() != Some(name.as_str()));
            self.cookies.push(kv);
        }
    }

    async fn get(&mut self, path: &str) -> (reqwest::header::HeaderMap, String) {
        let res = client()
            .get(format!("{}{path}", self.base))
            .header("accept", "text/html")
            .header("cookie", self.cookies.join("; "))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "GET {path}");
        self.keep_cookies(&res);
        let headers = res.headers().clone();
        (headers, res.text().await.unwrap())
    }
}

async fn page(url: &str) -> (reqwest::StatusCode, reqwest::header::HeaderMap, String) {
    let res = client()
        .get(url)
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    let status = res.status();
    let headers = res.headers().clone();
    (status, headers, res.text().await.unwrap())
}

async fn alice_posts(a: &TestServer, text: &str) -> Status {
    burrow::ops::statuses::post(
        &a.state,
        burrow::ops::statuses::NewStatus {
            text: text.into(),
            ..Default::default()
        },
    )
    .await
    .unwrap()
}

#[tokio::test]
async fn hostile_addresses_from_a_peer_never_become_links() {
    let a = TestServer::start().await;
    let peer = start_peer().await;
    let post = alice_posts(&a, "Tell me where you live").await;
    for n in 0..HOSTILE.len() {
        for kind in ["Note", "Article"] {
            peer.deliver(&a, n, &peer.reply(&a, n, kind, &post.uri))
                .await;
        }
    }
    let want = HOSTILE.len() * 2;
    eventually("every reply is stored", || {
        a.state.store.replies(post.id).unwrap().len() == want
    })
    .await;

    // What was stored is safe already.
    for n in 0..HOSTILE.len() {
        let eve = a
            .state
            .store
            .account_by_uri(&peer.actor_id(n))
            .unwrap()
            .expect("eve is stored");
        for (field, value) in [
            ("url", &eve.url),
            ("avatar", &eve.avatar),
            ("header", &eve.header),
        ] {
            assert!(
                value.is_empty() || value.starts_with("http://"),
                "eve{n}'s stored {field} is {value:?}"
            );
        }
        assert_eq!(
            eve.url,
            peer.actor_id(n),
            "the profile falls back to the id"
        );
    }
    for id in a.state.store.replies(post.id).unwrap() {
        let s = a.state.store.status(id).unwrap().unwrap();
        assert!(s.url.starts_with("http://"), "stored url {:?}", s.url);
        assert!(s.remote_media.is_empty(), "{:?}", s.remote_media);
        assert!(
            s.mentions
                .iter()
                .all(|m| m.url.is_empty() || m.url.starts_with("http://")),
            "{:?}",
            s.mentions
        );
        assert_links_harmless(&s.content, "stored content");
    }

    // The public status page, where eve's replies are listed.
    let (status, _, html) = page(&a.url(&format!("/@alice/{}", post.id))).await;
    assert_eq!(status, 200);
    assert!(
        html.contains("Eve 0") && html.contains("Article from eve"),
        "{html}"
    );
    assert_links_harmless(&html, "public status page");

    // The API, as an app sees the thread and the accounts.
    let api = Api {
        s: &a,
        token: token(&a, "read write").await,
    };
    let context = api
        .json(&format!("/api/v1/statuses/{}/context", post.id))
        .await;
    let replies = context["descendants"].as_array().unwrap();
    assert_eq!(replies.len(), want);
    assert_entity_harmless(&context, "context");
    for r in replies {
        let id = r["id"].as_str().unwrap();
        assert_entity_harmless(&api.json(&format!("/api/v1/statuses/{id}")).await, id);
        let account = r["account"]["id"].as_str().unwrap();
        assert_entity_harmless(
            &api.json(&format!("/api/v1/accounts/{account}")).await,
            account,
        );
    }
    assert_entity_harmless(&api.json("/api/v1/notifications").await, "notifications");

    // The owner's pages: each thread (with its "Original" link), each
    // account ("Profile on its server"), notifications.
    let mut owner = Owner::login(&a).await;
    for r in replies {
        let id = r["id"].as_str().unwrap();
        let html = owner.get(&format!("/web/statuses/{id}")).await.1;
        assert!(html.contains("Eve "), "{html}");
        assert_links_harmless(&html, "owner's thread page");
        let account = r["account"]["id"].as_str().unwrap();
        let html = owner.get(&format!("/web/accounts/{account}")).await.1;
        assert_links_harmless(&html, "owner's account page");
    }
    let html = owner.get("/web/notifications").await.1;
    assert_links_harmless(&html, "owner's notifications");

    // The owner replies to each, as apps do, with the mention prefilled:
    // the mention links to eve's id, never to her hostile `url`.
    for n in 0..HOSTILE.len() {
        let parent = replies
            .iter()
            .find(|r| r["account"]["acct"] == format!("eve{n}@{}", peer.host))
            .unwrap();
        let res = api
            .post(
                "/api/v1/statuses",
                &[
                    ("status", &format!("@eve{n}@{} thanks", peer.host)),
                    ("in_reply_to_id", parent["id"].as_str().unwrap()),
                ],
            )
            .await;
        assert_eq!(res.status(), 200);
        let mine: Value = res.json().await.unwrap();
        assert_entity_harmless(&mine, "the owner's reply");
        let link = format!("<a href=\"{}\" class=\"u-url mention\">", peer.actor_id(n));
        assert!(
            mine["content"].as_str().unwrap().contains(&link),
            "{}",
            mine["content"]
        );
        let stored = a
            .state
            .store
            .status(mine["id"].as_str().unwrap().parse().unwrap())
            .unwrap()
            .unwrap();
        assert_links_harmless(&stored.content, "the owner's stored reply");
        let html = page(&a.url(&format!("/@alice/{}", stored.id))).await.2;
        assert_links_harmless(&html, "the owner's reply page");
    }
}

/// Accounts and statuses stored before the gate existed, written straight
/// into the store with hostile addresses, are shown without them.
#[tokio::test]
async fn hostile_addresses_stored_earlier_are_not_shown_as_links() {
    let a = TestServer::start().await;
    let post = alice_posts(&a, "An old thread").await;
    let store = &a.state.store;
    let mut replies = Vec::new();
    for (n, bad) in HOSTILE.iter().enumerate() {
        let eve = Account {
            id: store.next_id(),
            username: format!("old{n}"),
            domain: Some("old.example".into()),
            display_name: format!("Old {n}"),
            // Neither address is safe: no link at all.
            uri: if n % 2 == 0 {
                format!("https://old.example/users/old{n}")
            } else {
                bad.to_string()
            },
            url: bad.to_string(),
            avatar: bad.to_string(),
            header: bad.to_string(),
            inbox: format!("https://old.example/users/old{n}/inbox"),
            ..Default::default()
        };
        store.put_account(&eve).unwrap();
        let reply = Status {
            id: store.next_id(),
            uri: format!("https://old.example/statuses/{n}"),
            url: bad.to_string(),
            account_id: eve.id,
            in_reply_to_id: Some(post.id),
            in_reply_to_uri: Some(post.uri.clone()),
            in_reply_to_account_id: Some(post.account_id),
            content: format!("<p>old reply {n}</p>"),
            visibility: Visibility::Public,
            mentions: vec![burrow::store::statuses::Mention {
                account_id: 0,
                uri: bad.to_string(),
                url: bad.to_string(),
                username: "x".into(),
                acct: "x@old.example".into(),
            }],
            remote_media: vec![RemoteMedia {
                url: bad.to_string(),
                media_type: "image/png".into(),
                ..Default::default()
            }],
            created_at_ms: burrow::time_fmt::now_ms(),
            placed: vec![burrow::store::timelines::account(eve.id)],
            ..Default::default()
        };
        store.transact(|tx| tx.insert_status(&reply)).unwrap();
        replies.push((eve, reply));
    }

    let (status, _, html) = page(&a.url(&format!("/@alice/{}", post.id))).await;
    assert_eq!(status, 200);
    assert!(
        html.contains("Old 0") && html.contains("old reply 1"),
        "{html}"
    );
    assert_links_harmless(&html, "public status page");

    let api = Api {
        s: &a,
        token: token(&a, "read write").await,
    };
    assert_entity_harmless(
        &api.json(&format!("/api/v1/statuses/{}/context", post.id))
            .await,
        "context",
    );
    let mut owner = Owner::login(&a).await;
    for (eve, reply) in &replies {
        assert_entity_harmless(
            &api.json(&format!("/api/v1/statuses/{}", reply.id)).await,
            "status",
        );
        assert_entity_harmless(
            &api.json(&format!("/api/v1/accounts/{}", eve.id)).await,
            "account",
        );
        let html = owner.get(&format!("/web/statuses/{}", reply.id)).await.1;
        assert_links_harmless(&html, "owner's thread page");
        let html = owner.get(&format!("/web/accounts/{}", eve.id)).await.1;
        assert_links_harmless(&html, "owner's account page");

        // The owner mentions the old account: no link rather than a bad one.
        let res = api
            .post(
                "/api/v1/statuses",
                &[("status", &format!("@{}@old.example hi", eve.username))],
            )
            .await;
        assert_eq!(res.status(), 200);
        let mine: Value = res.json().await.unwrap();
        assert_entity_harmless(&mine, "the owner's post");
        let stored = store
            .status(mine["id"].as_str().unwrap().parse().unwrap())
            .unwrap()
            .unwrap();
        assert_links_harmless(&stored.content, "the owner's stored post");
    }
}

/// The directives every HTML page's policy must have, and what it must
/// not allow.
fn assert_strict_headers(headers: &reqwest::header::HeaderMap, what: &str) {
    let csp = headers
        .get("content-security-policy")
        .unwrap_or_else(|| panic!("{what}: no Content-Security-Policy"))
        .to_str()
        .unwrap();
    let directives: HashMap<&str, &str> = csp
        .split(';')
        .filter_map(|d| d.trim().split_once(' '))
        .collect();
    assert_eq!(
        directives.get("default-src"),
        Some(&"'none'"),
        "{what}: {csp}"
    );
    // A page may send a stricter policy of its own (no script at all).
    let script = directives
        .get("script-src")
        .or(directives.get("default-src"))
        .unwrap();
    assert!(
        !script.contains("unsafe") && !script.contains('*') && !script.contains("data:"),
        "{what}: {csp}"
    );
    assert!(
        !directives
            .get("style-src")
            .unwrap_or(&"")
            .contains("unsafe"),
        "{what}: {csp}"
    );
    assert_eq!(directives.get("base-uri"), Some(&"'none'"), "{what}: {csp}");
    assert_eq!(
        directives.get("frame-ancestors"),
        Some(&"'none'"),
        "{what}: {csp}"
    );
    // Left open so the authorize form can end in a redirect to the app.
    assert!(!directives.contains_key("form-action"), "{what}: {csp}");
    assert_other_headers(headers, what);
}

fn assert_other_headers(headers: &reqwest::header::HeaderMap, what: &str) {
    assert_eq!(
        headers
            .get("x-content-type-options")
            .map(|v| v.to_str().unwrap()),
        Some("nosniff"),
        "{what}"
    );
    // `same-origin`, or stricter where a page chose so (authorize).
    let referrer = headers.get("referrer-policy").map(|v| v.to_str().unwrap());
    assert!(
        matches!(referrer, Some("same-origin" | "no-referrer")),
        "{what}: {referrer:?}"
    );
}

#[tokio::test]
async fn every_html_page_sends_a_strict_policy() {
    let a = TestServer::start().await;
    let post = alice_posts(&a, "Hello #policy").await;
    for path in [
        "/@alice".to_string(),
        format!("/@alice/{}", post.id),
        "/tags/policy".to_string(),
        "/login".to_string(),
        "/@nobody".to_string(),
        "/@alice/1".to_string(),
    ] {
        let (status, headers, body) = page(&a.url(&path)).await;
        assert!(
            headers["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/html"),
            "{path}: {status} {body}"
        );
        assert_strict_headers(&headers, &path);
    }

    // The owner's pages.
    let mut owner = Owner::login(&a).await;
    for path in [
        "/web/home",
        "/web/settings",
        "/web/compose",
        "/web/notifications",
        "/web/search",
    ] {
        let (headers, _) = owner.get(path).await;
        assert_strict_headers(&headers, path);
    }

    // The authorize page an app opens.
    let app: Value = client()
        .post(a.url("/api/v1/apps"))
        .form(&[
            ("client_name", "Policy"),
            ("redirect_uris", "burrow.test:/cb"),
            ("scopes", "read"),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let res = client()
        .get(a.url("/oauth/authorize"))
        .query(&[
            ("client_id", app["client_id"].as_str().unwrap()),
            ("redirect_uri", "burrow.test:/cb"),
            ("response_type", "code"),
            ("scope", "read"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_strict_headers(res.headers(), "authorize");
    // An authorize request gone wrong is an HTML error page.
    let res = client()
        .get(a.url("/oauth/authorize?client_id=nope&response_type=code"))
        .send()
        .await
        .unwrap();
    assert!(res.status().is_client_error());
    assert_strict_headers(res.headers(), "authorize error");

    // JSON answers keep the other two headers.
    let res = client()
        .get(a.url("/api/v1/instance"))
        .send()
        .await
        .unwrap();
    assert_other_headers(res.headers(), "instance");
    assert!(res.headers().get("content-security-policy").is_none());

    // A server not set up yet answers its setup page with the policy too.
    let fresh = TestServer::start_with(TestOptions {
        username: None,
        ..Default::default()
    })
    .await;
    for path in ["/setup", "/@alice"] {
        let (_, headers, _) = page(&fresh.url(path)).await;
        assert_strict_headers(&headers, path);
    }
}

#[tokio::test]
async fn uploads_are_served_sandboxed_and_never_sniffed() {
    let a = TestServer::start().await;
    let api = Api {
        s: &a,
        token: token(&a, "read write").await,
    };
    let form = reqwest::multipart::Form::new().part("file", png_part(png(8, 8), "a.png"));
    let res = client()
        .post(a.url("/api/v2/media"))
        .bearer_auth(&api.token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success());
    let media: Value = res.json().await.unwrap();
    let res = client()
        .get(media["url"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "image/png");
    assert_eq!(
        res.headers()["content-security-policy"],
        "default-src 'none'; sandbox"
    );
    assert_other_headers(res.headers(), "media");
}

/// The pages work under the policy: no inline script, no event handler
/// attributes, no inline style in any template.
#[test]
fn templates_carry_nothing_inline_for_the_policy_to_block() {
    let dir = format!("{}/templates", env!("CARGO_MANIFEST_DIR"));
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("html") {
            continue;
        }
        seen += 1;
        let text = std::fs::read_to_string(&path).unwrap().to_ascii_lowercase();
        let name = path.display();
        assert!(!text.contains("<script"), "{name}: inline script");
        assert!(!text.contains("<style"), "{name}: inline style element");
        assert!(!text.contains(" style="), "{name}: inline style attribute");
        assert!(!text.contains("javascript:"), "{name}: javascript: link");
        let mut from = 0;
        while let Some(i) = text[from..].find(" on") {
            let rest = &text[from + i + 3..];
            let word: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphabetic())
                .collect();
            assert!(
                word.is_empty() || !rest[word.len()..].starts_with('='),
                "{name}: event handler on{word}="
            );
            from += i + 3;
        }
    }
    assert!(seen > 10, "templates found: {seen}");
}
