//! Strangers reading what is not theirs: an app registered by anyone
//! with an app-only token, a visitor on the web pages and feeds, a peer
//! fetching ActivityPub documents with or without a signature. None of
//! them sees a followers-only or direct status, and none of them makes
//! the server fetch from elsewhere.

use crate::api_client::Api;
use crate::common;
use burrow::crypto::keys::{seeded_pkcs8, SigningKey};
use burrow::federation::signatures::sign_request;
use burrow::ops::statuses::{self, NewStatus};
use burrow::store::statuses::Visibility;
use common::*;
use reqwest::Method;
use serde_json::Value;
use std::time::SystemTime;

/// The word every test post carries, so searches find them all.
const WORD: &str = "pelican";

/// The owner's four posts, one per visibility.
struct Posts {
    public: u64,
    unlisted: u64,
    private: u64,
    direct: u64,
}

impl Posts {
    fn hidden(&self) -> [u64; 2] {
        [self.private, self.direct]
    }
}

async fn post(s: &TestServer, text: &str, visibility: Visibility) -> u64 {
    statuses::post(
        &s.state,
        NewStatus {
            text: text.into(),
            visibility,
            ..Default::default()
        },
    )
    .await
    .unwrap()
    .id
}

/// One post per visibility, each with `WORD`, a hashtag and its own
/// marker text (`secret-private`…), so a leak is visible in any body.
async fn posts(s: &TestServer) -> Posts {
    Posts {
        public: post(s, &format!("{WORD} open-public #birds"), Visibility::Public).await,
        unlisted: post(
            s,
            &format!("{WORD} quiet-unlisted #birds"),
            Visibility::Unlisted,
        )
        .await,
        private: post(
            s,
            &format!("{WORD} secret-private #birds"),
            Visibility::Private,
        )
        .await,
        direct: post(
            s,
            &format!("{WORD} secret-direct #birds"),
            Visibility::Direct,
        )
        .await,
    }
}

/// A `client_credentials` token: any app can have one, no owner involved.
async fn app_only_token(s: &TestServer) -> String {
    let app: Value = client()
        .post(s.url("/api/v1/apps"))
        .form(&[
            ("client_name", "Stranger"),
            ("redirect_uris", "urn:ietf:wg:oauth:2.0:oob"),
            ("scopes", "read write follow"),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let tok: Value = client()
        .post(s.url("/oauth/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", app["client_id"].as_str().unwrap()),
            ("client_secret", app["client_secret"].as_str().unwrap()),
            ("scope", "read write follow"),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    tok["access_token"].as_str().unwrap().to_string()
}

fn assert_no_secret(what: &str, body: &str) {
    assert!(
        !body.contains("secret-private") && !body.contains("secret-direct"),
        "{what} shows a followers-only or direct post: {body}"
    );
}

#[tokio::test]
async fn an_app_only_token_finds_no_private_or_direct_status_in_search() {
    let s = TestServer::start().await;
    let p = posts(&s).await;
    let stranger = Api::with_token(&s, &app_only_token(&s).await);

    let r = stranger
        .get(&format!("/api/v2/search?type=statuses&q={WORD}"))
        .await;
    assert_eq!(r.status, 200, "{}", r.json);
    assert_no_secret("search", &r.json.to_string());
    let r = stranger.get(&format!("/api/v2/search?q={WORD}")).await;
    assert_no_secret("search of every type", &r.json.to_string());

    // The owner still finds all four.
    let owner = Api::login(&s, "read").await;
    let r = owner
        .get(&format!("/api/v2/search?type=statuses&q={WORD}"))
        .await;
    let found: Vec<String> = r.json["statuses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["id"].as_str().unwrap().to_string())
        .collect();
    for id in [p.public, p.unlisted, p.private, p.direct] {
        assert!(found.contains(&id.to_string()), "{found:?} lacks {id}");
    }
}

#[tokio::test]
async fn an_app_only_token_sees_no_private_or_direct_status_on_any_read() {
    let s = TestServer::start().await;
    let p = posts(&s).await;
    let reply = statuses::post(
        &s.state,
        NewStatus {
            text: "secret-private reply".into(),
            visibility: Visibility::Private,
            in_reply_to_id: Some(p.public),
            ..Default::default()
        },
    )
    .await
    .unwrap()
    .id;
    let owner_id = s.state.store.owner().unwrap().unwrap().account_id;
    let stranger = Api::with_token(&s, &app_only_token(&s).await);

    for path in [
        "/api/v1/timelines/public".to_string(),
        "/api/v1/timelines/public?local=true".to_string(),
        "/api/v1/timelines/tag/birds".to_string(),
        format!("/api/v1/accounts/{owner_id}/statuses"),
        format!("/api/v1/accounts/{owner_id}/statuses?tagged=birds"),
        format!("/api/v1/statuses/{}/context", p.public),
        format!(
            "/api/v1/statuses?id[]={}&id[]={}&id[]={}",
            p.public, p.private, p.direct
        ),
    ] {
        let r = stranger.get(&path).await;
        assert_eq!(r.status, 200, "{path}: {}", r.json);
        assert_no_secret(&path, &r.json.to_string());
    }
    for id in [p.private, p.direct, reply] {
        for tail in [
            "",
            "/context",
            "/history",
            "/favourited_by",
            "/reblogged_by",
        ] {
            let path = format!("/api/v1/statuses/{id}{tail}");
            let r = stranger.get(&path).await;
            assert_eq!(r.status, 404, "{path}: {}", r.json);
        }
    }
    // The owner's own lists stay the owner's.
    for path in [
        "/api/v1/timelines/home",
        "/api/v1/conversations",
        "/api/v1/notifications",
        "/api/v1/bookmarks",
        "/api/v1/favourites",
    ] {
        let r = stranger.get(path).await;
        assert_eq!(r.status, 422, "{path}: {}", r.json);
    }
    // Public and unlisted posts are there for the stranger as for anyone.
    let r = stranger
        .get(&format!("/api/v1/statuses/{}", p.unlisted))
        .await;
    assert_eq!(r.status, 200);
}

#[tokio::test]
async fn an_app_only_token_cannot_make_the_server_fetch() {
    let (a, b) = pair().await;
    let stranger = Api::with_token(&a, &app_only_token(&a).await);
    let bob = format!("bob@{}", b.host);

    let r = stranger
        .get(&format!("/api/v1/accounts/lookup?acct={bob}"))
        .await;
    assert_eq!(r.status, 404, "{}", r.json);
    let r = stranger
        .get(&format!("/api/v2/search?q={bob}&resolve=true"))
        .await;
    assert_eq!(r.status, 401, "{}", r.json);
    let r = stranger
        .get(&format!(
            "/api/v2/search?q={}&resolve=true",
            b.url("/users/bob")
        ))
        .await;
    assert_eq!(r.status, 401, "{}", r.json);
    assert!(
        a.state
            .store
            .account_by_uri(&b.url("/users/bob"))
            .unwrap()
            .is_none(),
        "bob was fetched for a stranger"
    );
}

/// bob on server `b` signing his GETs, as his server would.
struct Signer {
    key: SigningKey,
    key_id: String,
}

impl Signer {
    fn bob(b: &TestServer) -> Signer {
        Signer {
            key: SigningKey::from_pkcs8(&seeded_pkcs8(2)).unwrap(),
            key_id: b.url("/users/bob#main-key"),
        }
    }

    async fn get(&self, url: &str) -> reqwest::Response {
        let parsed = url::Url::parse(url).unwrap();
        let headers = sign_request(
            &self.key,
            &self.key_id,
            &Method::GET,
            &parsed,
            b"",
            SystemTime::now(),
        )
        .unwrap();
        client().get(url).headers(headers).send().await.unwrap()
    }
}

async fn unsigned_get(url: &str) -> reqwest::Response {
    client()
        .get(url)
        .header("accept", AP_ACCEPT)
        .send()
        .await
        .unwrap()
}

fn note_url(s: &TestServer, id: u64) -> String {
    s.url(&format!("/users/alice/statuses/{id}"))
}

#[tokio::test]
async fn activitypub_documents_show_private_posts_only_to_signers_allowed() {
    let (a, b) = pair().await;
    let p = posts(&a).await;
    let bob = Signer::bob(&b);

    // Nobody signed: no followers-only or direct object, none in the outbox.
    for id in p.hidden() {
        for url in [note_url(&a, id), format!("{}/activity", note_url(&a, id))] {
            assert_eq!(unsigned_get(&url).await.status(), 404, "{url}");
        }
    }
    let outbox = unsigned_get(&a.url("/users/alice/outbox?page=1")).await;
    assert_eq!(outbox.status(), 200);
    let body = outbox.text().await.unwrap();
    assert!(body.contains("open-public"), "{body}");
    assert_no_secret("the anonymous outbox", &body);

    // bob signs but does not follow alice: still nothing private.
    for id in p.hidden() {
        assert_eq!(bob.get(&note_url(&a, id)).await.status(), 404);
    }
    let body = bob
        .get(&a.url("/users/alice/outbox?page=1"))
        .await
        .text()
        .await
        .unwrap();
    assert_no_secret("a stranger's signed outbox", &body);

    // Once bob follows alice, the followers-only post is his to fetch,
    // in the outbox too; the direct one (not addressed to him) is not.
    follow_accepted(&b, &format!("alice@{}", a.host)).await;
    let res = bob.get(&note_url(&a, p.private)).await;
    assert_eq!(res.status(), 200);
    assert!(res.text().await.unwrap().contains("secret-private"));
    assert_eq!(bob.get(&note_url(&a, p.direct)).await.status(), 404);
    let body = bob
        .get(&a.url("/users/alice/outbox?page=1"))
        .await
        .text()
        .await
        .unwrap();
    assert!(body.contains("secret-private"), "{body}");
    assert!(!body.contains("secret-direct"), "{body}");

    // Blocking him ends that (public posts he could read unsigned anyway).
    block(&a, &b).await;
    assert_eq!(bob.get(&note_url(&a, p.private)).await.status(), 404);
}

/// The owner of `a` blocks bob of `b`.
async fn block(a: &TestServer, b: &TestServer) {
    let bob_here = a
        .state
        .store
        .account_by_uri(&b.url("/users/bob"))
        .unwrap()
        .expect("bob is known");
    burrow::ops::follows::block(&a.state, bob_here.id)
        .await
        .unwrap();
}

#[tokio::test]
async fn replies_and_featured_collections_hold_no_private_item() {
    let s = TestServer::start().await;
    let p = posts(&s).await;
    statuses::post(
        &s.state,
        NewStatus {
            text: "secret-private reply".into(),
            visibility: Visibility::Private,
            in_reply_to_id: Some(p.public),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let owner = Api::login(&s, "read write").await;
    let r = owner
        .post(
            &format!("/api/v1/statuses/{}/pin", p.public),
            serde_json::json!({}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.json);
    let reply_uri = format!("{}/replies", note_url(&s, p.public));
    for url in [reply_uri, s.url("/users/alice/collections/featured")] {
        let res = unsigned_get(&url).await;
        assert_eq!(res.status(), 200, "{url}");
        assert_no_secret(&url, &res.text().await.unwrap());
    }
}

#[tokio::test]
async fn with_authorized_fetch_every_activitypub_get_needs_a_signature() {
    let a = TestServer::start_with(TestOptions {
        authorized_fetch: true,
        ..Default::default()
    })
    .await;
    let b = TestServer::start_with(TestOptions {
        username: Some("bob"),
        key_seed: 2,
        ..Default::default()
    })
    .await;
    let p = posts(&a).await;
    let bob = Signer::bob(&b);
    let note = note_url(&a, p.public);
    let documents = [
        a.url("/users/alice/outbox"),
        a.url("/users/alice/outbox?page=1"),
        a.url("/users/alice/followers"),
        a.url("/users/alice/followers?page=1"),
        a.url("/users/alice/following"),
        a.url("/users/alice/following?page=1"),
        a.url("/users/alice/collections/featured"),
        a.url("/users/alice/collections/tags"),
        format!("{note}/replies"),
        format!("{note}/activity"),
        note.clone(),
    ];
    for url in &documents {
        let res = unsigned_get(url).await;
        assert_eq!(res.status(), 401, "unsigned GET {url}");
        let res = bob.get(url).await;
        assert_eq!(res.status(), 200, "signed GET {url}");
    }
    // A signer the owner blocked gets no status, not even a public one.
    block(&a, &b).await;
    assert_eq!(bob.get(&note).await.status(), 404);
    // The actor stays readable, or nobody could fetch the key to sign with.
    assert_eq!(unsigned_get(&a.url("/users/alice")).await.status(), 200);
}

#[tokio::test]
async fn feeds_and_web_pages_never_show_private_or_direct_posts() {
    let s = TestServer::start().await;
    let p = posts(&s).await;
    statuses::post(
        &s.state,
        NewStatus {
            text: "secret-private reply".into(),
            visibility: Visibility::Private,
            in_reply_to_id: Some(p.public),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let owner = Api::login(&s, "read write").await;
    let r = owner
        .post(
            &format!("/api/v1/statuses/{}/pin", p.unlisted),
            serde_json::json!({}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.json);
    let c = client();
    for path in [
        "/@alice".to_string(),
        "/users/alice".to_string(),
        "/@alice.atom".to_string(),
        "/@alice.rss".to_string(),
        "/tags/birds".to_string(),
        format!("/@alice/{}", p.public),
    ] {
        let res = c.get(s.url(&path)).send().await.unwrap();
        assert_eq!(res.status(), 200, "{path}");
        let body = res.text().await.unwrap();
        assert!(body.contains(WORD), "{path} shows no post: {body}");
        assert_no_secret(&path, &body);
    }
    for id in p.hidden() {
        let res = c.get(s.url(&format!("/@alice/{id}"))).send().await.unwrap();
        assert_eq!(res.status(), 404, "/@alice/{id}");
    }
}
