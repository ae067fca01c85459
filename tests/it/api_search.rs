//! Search as apps use it: `/api/v2/search` for accounts, statuses and
//! hashtags (resolving handles and URLs on other servers), and
//! `/api/v1/accounts/search` for autocompletion.

use crate::api_client;
use crate::common;
use api_client::Api;
use api_client::*;
use burrow::ops::statuses::{self, NewStatus};
use burrow::store::accounts::Account;
use burrow::store::statuses::Visibility;
use common::*;
use serde_json::{json, Value};

fn known(s: &TestServer, name: &str, display: &str, domain: &str) -> u64 {
    let a = Account {
        id: s.state.store.next_id(),
        username: name.into(),
        domain: Some(domain.into()),
        uri: format!("https://{domain}/users/{name}"),
        display_name: display.into(),
        ..Default::default()
    };
    s.state.store.put_account(&a).unwrap();
    a.id
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

fn accts(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|a| a["acct"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn accounts_are_found_by_name_handle_and_display_name() {
    let s = TestServer::start().await;
    let api = Api::login(&s, "read write follow").await;
    let carol = known(&s, "carol", "Carol Singer", "choir.example");
    known(&s, "carl", "Carl", "other.example");
    known(&s, "dave", "Dave", "choir.example");

    let r = api.get("/api/v2/search?q=ali&type=accounts").await;
    assert_eq!(r.status, 200, "{}", r.json);
    assert_eq!(r.json["statuses"], json!([]));
    assert_eq!(r.json["hashtags"], json!([]));
    assert_eq!(accts(&r.json["accounts"]), ["alice"]);

    let r = api.get("/api/v2/search?q=SING&type=accounts").await;
    assert_eq!(accts(&r.json["accounts"]), ["carol@choir.example"]);
    let r = api.get("/api/v2/search?q=@carol@choir&type=accounts").await;
    assert_eq!(accts(&r.json["accounts"]), ["carol@choir.example"]);
    let r = api.get("/api/v2/search?q=car&type=accounts").await;
    assert_eq!(accts(&r.json["accounts"]).len(), 2);
    // The exact handle comes first.
    let r = api.get("/api/v2/search?q=carl@other.example").await;
    assert_eq!(accts(&r.json["accounts"])[0], "carl@other.example");
    let r = api.get("/api/v2/search?q=car&type=accounts&offset=2").await;
    assert_eq!(r.json["accounts"], json!([]), "past the end: empty");
    let r = api.get("/api/v2/search?q=car&type=accounts&limit=1").await;
    assert_eq!(r.json["accounts"].as_array().unwrap().len(), 1);

    // The autocompletion endpoint.
    let r = api.get("/api/v1/accounts/search?q=caro").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json[0]["id"], carol.to_string());
    let r = api
        .get("/api/v1/accounts/search?q=car&following=true")
        .await;
    assert_eq!(r.json, json!([]));

    // Without a token: accounts yes, statuses never, resolve and offset 401.
    let anon = Api::anonymous(&s);
    let r = anon.get("/api/v2/search?q=carol").await;
    assert_eq!(r.status, 200);
    assert_eq!(accts(&r.json["accounts"]), ["carol@choir.example"]);
    let r = anon.get("/api/v2/search?q=carol&resolve=true").await;
    assert_eq!(r.status, 401);
    let r = anon.get("/api/v2/search?q=carol&offset=1").await;
    assert_eq!(r.status, 401);
    let r = anon.get("/api/v1/accounts/search?q=carol").await;
    assert_eq!(r.status, 401);
    let r = api.get("/api/v2/search").await;
    assert_eq!(r.status, 400, "q is required");
}

#[tokio::test]
async fn statuses_and_hashtags_are_found_in_recent_posts() {
    let s = TestServer::start().await;
    let api = Api::login(&s, "read write").await;
    let first = post(&s, "Digging new #Burrows today", Visibility::Public).await;
    let second = post(&s, "More burrows, more #rustlang", Visibility::Private).await;
    post(&s, "Nothing to see", Visibility::Public).await;

    let r = api.get("/api/v2/search?q=BURROWS&type=statuses").await;
    assert_eq!(r.status, 200);
    let ids: Vec<&str> = r.json["statuses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [second.to_string(), first.to_string()]);
    assert_eq!(r.json["accounts"], json!([]));
    let r = api
        .get("/api/v2/search?q=burrows&type=statuses&offset=1")
        .await;
    assert_eq!(r.json["statuses"].as_array().unwrap().len(), 1);
    let r = api
        .get("/api/v2/search?q=burrows&type=statuses&offset=5")
        .await;
    assert_eq!(r.json["statuses"], json!([]));
    // Anonymous callers don't search statuses.
    let r = Api::anonymous(&s).get("/api/v2/search?q=burrows").await;
    assert_eq!(r.json["statuses"], json!([]));

    let r = api.get("/api/v2/search?q=%23rust&type=hashtags").await;
    let tags = r.json["hashtags"].as_array().unwrap();
    let names: Vec<&str> = tags.iter().map(|t| t["name"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        ["rust"],
        "only public posts feed tag timelines: {tags:?}"
    );
    let r = api.get("/api/v2/search?q=bur&type=hashtags").await;
    let names: Vec<&str> = r.json["hashtags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["bur", "burrows"]);
    let tag = &r.json["hashtags"][1];
    assert_keys(tag, &["id", "name", "url", "history", "following"]);
    assert_eq!(tag["url"], format!("{}/tags/burrows", s.base));
    assert_eq!(tag["following"], false);
}

#[tokio::test]
async fn resolve_finds_people_and_posts_on_other_servers() {
    let (a, b) = pair().await;
    let api = Api::login(&a, "read write follow").await;
    let handle = format!("bob@{}", b.host);

    let r = api
        .get(&format!("/api/v2/search?q=@{handle}&type=accounts"))
        .await;
    assert_eq!(r.json["accounts"], json!([]), "not known, not resolved");
    let r = api
        .get(&format!("/api/v2/search?q=@{handle}&resolve=true"))
        .await;
    assert_eq!(r.status, 200, "{}", r.json);
    assert_eq!(accts(&r.json["accounts"]), vec![handle.clone()]);
    // Known from now on, without resolving.
    let r = api
        .get(&format!("/api/v1/accounts/search?q={handle}"))
        .await;
    assert_eq!(accts(&r.json), vec![handle.clone()]);

    let id = post(&b, "A post from the other side", Visibility::Public).await;
    let uri = b.state.store.status(id).unwrap().unwrap().uri;
    let r = api
        .get(&format!(
            "/api/v2/search?q={}&type=statuses&resolve=true",
            urlencode(&uri)
        ))
        .await;
    assert_eq!(r.status, 200, "{}", r.json);
    let found = r.json["statuses"].as_array().unwrap();
    assert_eq!(found.len(), 1, "{}", r.json);
    assert_eq!(found[0]["uri"], uri.as_str());
    assert_eq!(found[0]["account"]["acct"], handle.as_str());
    assert!(a.state.store.status_by_uri(&uri).unwrap().is_some());

    // A URL nobody serves resolves to nothing, without an error.
    let r = api
        .get(&format!(
            "/api/v2/search?q={}&resolve=true",
            urlencode(&format!("{}/users/bob/statuses/1", b.base))
        ))
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json["statuses"], json!([]));
}

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[tokio::test]
async fn featured_tags_are_kept_counted_and_federated() {
    let s = TestServer::start().await;
    let api = Api::login(&s, "read write").await;
    post(&s, "Burrowing with #RustLang", Visibility::Public).await;
    post(&s, "More #rustlang", Visibility::Unlisted).await;
    post(&s, "Secret #rustlang", Visibility::Private).await;
    post(&s, "About #pi", Visibility::Public).await;

    let r = api.get("/api/v1/featured_tags/suggestions").await;
    let names: Vec<&str> = r
        .json
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["pi", "rustlang"]);

    let r = api
        .post("/api/v1/featured_tags", json!({"name": "#RustLang"}))
        .await;
    assert_eq!(r.status, 200, "{}", r.json);
    assert_keys(
        &r.json,
        &["id", "name", "url", "statuses_count", "last_status_at"],
    );
    assert_eq!(r.json["name"], "RustLang");
    // Mastodon writes the count as a string and the date without a time.
    assert_eq!(r.json["statuses_count"], "1", "public posts only");
    let day = r.json["last_status_at"].as_str().unwrap();
    assert_eq!(day.len(), 10, "{day}");
    let id = r.json["id"].as_str().unwrap().to_string();
    // Featuring again returns the same record.
    let again = api
        .post("/api/v1/featured_tags", json!({"name": "rustlang"}))
        .await;
    assert_eq!(again.json["id"], id.as_str());

    let bad = api
        .post("/api/v1/featured_tags", json!({"name": "not a tag!"}))
        .await;
    assert_eq!(bad.status, 422, "{}", bad.json);
    assert!(bad.json["error"].as_str().unwrap().contains("hashtag"));

    let owner = s.state.store.owner().unwrap().unwrap().account_id;
    let listed = api
        .get(&format!("/api/v1/accounts/{owner}/featured_tags"))
        .await;
    assert_eq!(listed.json.as_array().unwrap().len(), 1);
    let tag = api.get("/api/v1/tags/rustlang").await;
    assert_eq!(tag.json["featuring"], true);
    let collection = get_ap(&s.url("/users/alice/collections/tags")).await;
    let items = collection["orderedItems"]
        .as_array()
        .or(collection["items"].as_array())
        .unwrap();
    assert_eq!(items[0]["name"], "#RustLang");

    let gone = api
        .delete(&format!("/api/v1/featured_tags/{id}"), json!({}))
        .await;
    assert_eq!(gone.status, 200);
    let again = api
        .delete(&format!("/api/v1/featured_tags/{id}"), json!({}))
        .await;
    assert_eq!(again.status, 404);
    assert_eq!(api.get("/api/v1/featured_tags").await.json, json!([]));
    // Reading needs a token with read scope; writing needs write.
    let reader = Api::login(&s, "read").await;
    let r = reader
        .post("/api/v1/featured_tags", json!({"name": "pi"}))
        .await;
    assert_eq!(r.status, 403);
}

#[tokio::test]
async fn search_refuses_bad_queries_tokens_and_scopes() {
    let s = TestServer::start().await;
    known(&s, "xavier", "Xavier", "far.example");
    let api = Api::login(&s, "read").await;
    let r = api.get("/api/v2/search?q=xavier").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json["accounts"][0]["username"], "xavier");

    let r = api.get("/api/v2/search").await;
    assert_eq!(r.status, 400, "no query: {}", r.json);
    assert!(r.json["error"].is_string());
    let r = api.get("/api/v2/search?q=x&offset=abc").await;
    assert_eq!(r.status, 422);
    let r = api.get("/api/v2/search?q=x&resolve=perhaps").await;
    assert_eq!(r.status, 422);

    // Without a token: no resolving, no offset; with a bad one, nothing.
    let anon = Api::anonymous(&s);
    assert_eq!(anon.get("/api/v2/search?q=xavier").await.status, 200);
    let r = anon
        .get("/api/v2/search?q=x@far.example&resolve=true")
        .await;
    assert_eq!(r.status, 401);
    let r = anon.get("/api/v2/search?q=xavier&offset=5").await;
    assert_eq!(r.status, 401);
    let bad = Api::with_token(&s, "not-a-token");
    assert_eq!(bad.get("/api/v2/search?q=xavier").await.status, 401);
    let other = Api::login(&s, "read:statuses").await;
    assert_eq!(other.get("/api/v2/search?q=xavier").await.status, 403);
    let r = other.get("/api/v1/accounts/search?q=xavier").await;
    assert_eq!(r.status, 403, "account search needs read:accounts");

    // Hashtags: a name that can't be a tag is not found; following one
    // needs write:follows.
    assert_eq!(api.get("/api/v1/tags/no%20tag").await.status, 404);
    let r = api.post("/api/v1/tags/rust/follow", json!({})).await;
    assert_eq!(r.status, 403);
    let r = api
        .post("/api/v1/featured_tags", json!({"name": "rust"}))
        .await;
    assert_eq!(r.status, 403);
    let writer = Api::login(&s, "read write").await;
    let r = writer.post("/api/v1/featured_tags", json!({})).await;
    assert_eq!(r.status, 422);
    let r = writer
        .delete("/api/v1/featured_tags/123456789", json!({}))
        .await;
    assert_eq!(r.status, 404);
    assert_eq!(writer.get("/api/v1/featured_tags").await.json, json!([]));
    assert_eq!(writer.get("/api/v1/followed_tags").await.json, json!([]));
}
