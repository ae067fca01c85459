//! Lists, filters and the small endpoints apps call at start-up, through
//! the API as an app logged in through OAuth uses them.

use crate::api_client;
use crate::common;
use api_client::Api;
use api_client::*;
use burrow::events::Event;
use burrow::ops::statuses::{self, NewStatus};
use burrow::store::accounts::Account;
use burrow::store::relations::{Rel, Relation};
use burrow::store::statuses::{Status, Visibility};
use burrow::store::timelines::{self, Page};
use common::*;
use serde_json::{json, Value};

const SCOPES: &str = "read write follow";

/// A remote account the owner follows (or not), made directly in the store.
fn known(s: &TestServer, name: &str, followed: bool) -> u64 {
    let a = Account {
        id: s.state.store.next_id(),
        username: name.into(),
        domain: Some("far.example".into()),
        uri: format!("https://far.example/users/{name}"),
        ..Default::default()
    };
    s.state.store.put_account(&a).unwrap();
    if followed {
        let owner = s.state.store.owner().unwrap().unwrap().account_id;
        let r = Relation {
            id: s.state.store.next_id(),
            reblogs: true,
            ..Default::default()
        };
        s.state
            .store
            .transact(|tx| tx.set_relation(owner, Rel::Following, a.id, &r).map(|_| ()))
            .unwrap();
    }
    a.id
}

const LIST_KEYS: &[&str] = &["id", "title", "replies_policy", "exclusive"];
const FILTER_KEYS: &[&str] = &[
    "id",
    "title",
    "context",
    "expires_at",
    "filter_action",
    "keywords",
    "statuses",
];

#[tokio::test]
async fn lists_are_created_changed_filled_and_deleted() {
    let s = TestServer::start().await;
    let api = Api::login(&s, SCOPES).await;
    let friend = known(&s, "friend", true);
    let stranger = known(&s, "stranger", false);

    let r = api
        .post_form("/api/v1/lists", &[("title", "Friends")])
        .await;
    assert_eq!(r.status, 200, "{}", r.json);
    assert_keys(&r.json, LIST_KEYS);
    assert_eq!(r.json["replies_policy"], "list");
    assert_eq!(r.json["exclusive"], false);
    let id = r.json["id"].as_str().unwrap().to_string();
    api.post("/api/v1/lists", json!({"title": "Artists"})).await;

    let r = api.get("/api/v1/lists").await;
    let titles: Vec<&str> = r
        .json
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles, ["Artists", "Friends"]);

    let r = api
        .put(
            &format!("/api/v1/lists/{id}"),
            json!({"title": "Close friends", "replies_policy": "followed", "exclusive": true}),
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json["title"], "Close friends");
    assert_eq!(r.json["replies_policy"], "followed");
    assert_eq!(r.json["exclusive"], true);
    let r = api.get(&format!("/api/v1/lists/{id}")).await;
    assert_eq!(r.json["title"], "Close friends");

    // Validation: Mastodon's 422s.
    let r = api.post("/api/v1/lists", json!({})).await;
    assert_eq!(r.status, 422);
    assert!(r.json["error"].as_str().unwrap().contains("Title"));
    let r = api
        .put(
            &format!("/api/v1/lists/{id}"),
            json!({"replies_policy": "everyone"}),
        )
        .await;
    assert_eq!(r.status, 422);

    // Members: only followed accounts.
    let members = format!("/api/v1/lists/{id}/accounts");
    let r = api
        .post_form(&members, &[("account_ids[]", &stranger.to_string())])
        .await;
    assert_eq!(r.status, 422, "{}", r.json);
    let r = api
        .post_form(&members, &[("account_ids[]", &friend.to_string())])
        .await;
    assert_eq!((r.status, r.json.clone()), (200, json!({})));
    let r = api
        .post_form(&members, &[("account_ids[]", &friend.to_string())])
        .await;
    assert_eq!(r.status, 422, "already in the list");
    let r = api.get(&members).await;
    assert_eq!(r.json.as_array().unwrap().len(), 1);
    assert_eq!(r.json[0]["id"], friend.to_string());
    assert!(r.link_to("prev").is_some());
    let r = api.get(&format!("{members}?limit=0")).await;
    assert_eq!(r.json.as_array().unwrap().len(), 1);
    assert!(r.link.is_none());
    let r = api.get(&format!("/api/v1/accounts/{friend}/lists")).await;
    assert_eq!(r.json[0]["id"], id.as_str());

    let r = api
        .delete(&members, json!({"account_ids": [friend.to_string()]}))
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(api.get(&members).await.json, json!([]));

    api.post_form(&members, &[("account_ids[]", &friend.to_string())])
        .await;
    let r = api.delete(&format!("/api/v1/lists/{id}"), json!({})).await;
    assert_eq!((r.status, r.json.clone()), (200, json!({})));
    assert_eq!(api.get(&format!("/api/v1/lists/{id}")).await.status, 404);
    assert_eq!(api.get(&members).await.status, 404);
    let r = api.get(&format!("/api/v1/accounts/{friend}/lists")).await;
    assert_eq!(r.json, json!([]), "members go with their list");

    // Scopes.
    let reader = Api::login(&s, "read").await;
    let r = reader.post("/api/v1/lists", json!({"title": "x"})).await;
    assert_eq!(r.status, 403);
}

#[tokio::test]
async fn a_list_member_posts_and_it_lands_in_the_list() {
    let (a, b) = pair().await;
    let api = Api::login(&a, SCOPES).await;
    let r = api
        .get(&format!("/api/v1/accounts/lookup?acct=bob@{}", b.host))
        .await;
    let bob = r.json["id"].as_str().unwrap().to_string();
    api.post(&format!("/api/v1/accounts/{bob}/follow"), json!({}))
        .await;
    let bob_id: u64 = bob.parse().unwrap();
    eventually("the follow is accepted", || {
        a.state.store.has_relation(Rel::Following, bob_id).unwrap()
    })
    .await;
    let r = api.post("/api/v1/lists", json!({"title": "Bobs"})).await;
    let list: u64 = r.json["id"].as_str().unwrap().parse().unwrap();
    let r = api
        .post(
            &format!("/api/v1/lists/{list}/accounts"),
            json!({"account_ids": [bob]}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.json);

    let posted = statuses::post(
        &b.state,
        NewStatus {
            text: "for my followers and lists".into(),
            visibility: Visibility::Public,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let list_timeline = || {
        a.state
            .store
            .timeline_page(
                &timelines::list(list),
                Page {
                    limit: 10,
                    ..Default::default()
                },
                |_| true,
            )
            .unwrap()
    };
    eventually("the post reaches the list", || !list_timeline().is_empty()).await;
    let here = a.state.store.status(list_timeline()[0]).unwrap().unwrap();
    assert_eq!(here.uri, posted.uri);
}

#[tokio::test]
async fn filters_with_keywords_are_managed_and_matched() {
    let s = TestServer::start().await;
    let api = Api::login(&s, SCOPES).await;
    let mut events = s.state.events.subscribe();

    // Rails-style form, as many apps send it.
    let r = api
        .post_form(
            "/api/v2/filters",
            &[
                ("title", "Spoilers"),
                ("context[]", "home"),
                ("context[]", "public"),
                ("filter_action", "hide"),
                ("expires_in", "86400"),
                ("keywords_attributes[][keyword]", "finale"),
                ("keywords_attributes[][whole_word]", "true"),
                ("keywords_attributes[][keyword]", "ending"),
                ("keywords_attributes[][whole_word]", "false"),
            ],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.json);
    assert_keys(&r.json, FILTER_KEYS);
    assert_eq!(r.json["context"], json!(["home", "public"]));
    assert_eq!(r.json["filter_action"], "hide");
    assert!(is_ms_date(r.json["expires_at"].as_str().unwrap()));
    assert_eq!(r.json["statuses"], json!([]));
    let kws = r.json["keywords"].as_array().unwrap().clone();
    assert_eq!(kws.len(), 2);
    assert_keys(&kws[0], &["id", "keyword", "whole_word"]);
    assert_eq!(kws[0]["keyword"], "finale");
    assert_eq!(kws[1]["whole_word"], false);
    let id = r.json["id"].as_str().unwrap().to_string();
    assert_eq!(events.recv().await.unwrap(), Event::FiltersChanged);

    // JSON, as other apps send it; defaults: warn, never expires.
    let r = api
        .post(
            "/api/v2/filters",
            json!({"title": "Noise", "context": ["notifications"],
                   "keywords_attributes": [{"keyword": "crypto"}]}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.json);
    assert_eq!(r.json["filter_action"], "warn");
    assert!(r.json["expires_at"].is_null());
    assert_eq!(r.json["keywords"][0]["whole_word"], true);
    let noise = r.json["id"].as_str().unwrap().to_string();

    let r = api.get("/api/v2/filters").await;
    assert_eq!(r.json.as_array().unwrap().len(), 2);
    let r = api.get("/api/v1/filters").await;
    assert_eq!(
        r.json.as_array().unwrap().len(),
        3,
        "one v1 filter per keyword"
    );
    assert_keys(
        &r.json[0],
        &[
            "id",
            "phrase",
            "context",
            "expires_at",
            "irreversible",
            "whole_word",
        ],
    );
    assert_eq!(r.json[0]["irreversible"], true);

    // Update: rename, change one keyword, drop another, add one.
    let finale = kws[0]["id"].as_str().unwrap();
    let ending = kws[1]["id"].as_str().unwrap();
    let r = api
        .put(
            &format!("/api/v2/filters/{id}"),
            json!({"title": "TV spoilers", "expires_in": "",
                   "keywords_attributes": [
                       {"id": finale, "keyword": "season finale"},
                       {"id": ending, "_destroy": true},
                       {"keyword": "cliffhanger", "whole_word": false}]}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.json);
    assert_eq!(r.json["title"], "TV spoilers");
    assert!(r.json["expires_at"].is_null());
    let words: Vec<&str> = r.json["keywords"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["keyword"].as_str().unwrap())
        .collect();
    assert_eq!(words, ["season finale", "cliffhanger"]);

    // Keyword endpoints.
    let r = api
        .post_form(
            &format!("/api/v2/filters/{id}/keywords"),
            &[("keyword", "plot twist")],
        )
        .await;
    assert_eq!(r.status, 200);
    let twist = r.json["id"].as_str().unwrap().to_string();
    let r = api.get(&format!("/api/v2/filters/keywords/{twist}")).await;
    assert_eq!(r.json["keyword"], "plot twist");
    let r = api
        .put(
            &format!("/api/v2/filters/keywords/{twist}"),
            json!({"whole_word": false}),
        )
        .await;
    assert_eq!(r.json["whole_word"], false);
    let r = api.get(&format!("/api/v2/filters/{id}/keywords")).await;
    assert_eq!(r.json.as_array().unwrap().len(), 3);
    let r = api
        .delete(&format!("/api/v2/filters/keywords/{twist}"), json!({}))
        .await;
    assert_eq!((r.status, r.json.clone()), (200, json!({})));
    let r = api.get(&format!("/api/v2/filters/keywords/{twist}")).await;
    assert_eq!(r.status, 404);
    let r = api.get(&format!("/api/v2/filters/{id}/statuses")).await;
    assert_eq!(r.json, json!([]));

    // What timelines will apply.
    let status = |html: &str| Status {
        content: html.into(),
        ..Default::default()
    };
    use burrow::ops::filters::{Context, Filters};
    let home = Filters::load(&s.state, Context::Home).unwrap();
    let hits = home.matches(&status("<p>That <b>season finale</b>!</p>"));
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].filter.title, "TV spoilers");
    assert_eq!(hits[0].keyword_matches, ["season finale"]);
    let notes = Filters::load(&s.state, Context::Notifications).unwrap();
    assert!(
        notes
            .matches(&status("<p>That season finale!</p>"))
            .is_empty(),
        "another context"
    );
    let whole = notes.matches(&status("<p>cryptography is fine</p>"));
    assert!(whole.is_empty(), "whole words only");

    // Validation and lookups.
    for bad in [
        json!({"context": ["home"]}),
        json!({"title": "x"}),
        json!({"title": "x", "context": ["everywhere"]}),
        json!({"title": "x", "context": ["home"], "filter_action": "explode"}),
        json!({"title": "x", "context": ["home"], "expires_in": "soon"}),
        json!({"title": "x", "context": ["home"], "keywords_attributes": [{"keyword": " "}]}),
    ] {
        let r = api.post("/api/v2/filters", bad.clone()).await;
        assert_eq!(r.status, 422, "{bad}: {}", r.json);
    }
    assert_eq!(api.get("/api/v2/filters/999").await.status, 404);
    assert_eq!(api.get("/api/v2/filters/keywords/999").await.status, 404);

    let r = api
        .delete(&format!("/api/v2/filters/{noise}"), json!({}))
        .await;
    assert_eq!((r.status, r.json.clone()), (200, json!({})));
    assert_eq!(
        api.get("/api/v2/filters")
            .await
            .json
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let reader = Api::login(&s, "read:statuses").await;
    assert_eq!(reader.get("/api/v2/filters").await.status, 403);
}

#[tokio::test]
async fn start_up_endpoints_answer_with_mastodons_shapes() {
    let s = TestServer::start().await;
    let api = Api::login(&s, SCOPES).await;

    let r = api.get("/api/v1/preferences").await;
    assert_eq!(r.status, 200);
    assert_eq!(
        r.json,
        json!({
            "posting:default:visibility": "public",
            "posting:default:sensitive": false,
            "posting:default:language": null,
            "reading:expand:media": "default",
            "reading:expand:spoilers": false,
        })
    );

    // Followed tags.
    let r = api.post("/api/v1/tags/RustLang/follow", json!({})).await;
    assert_eq!(r.status, 200, "{}", r.json);
    assert_eq!(r.json["name"], "rustlang");
    assert_eq!(r.json["following"], true);
    api.post("/api/v1/tags/burrows/follow", json!({})).await;
    let r = api.get("/api/v1/followed_tags").await;
    let names: Vec<&str> = r
        .json
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["burrows", "rustlang"]);
    assert!(r.link_to("prev").is_some());
    let r = api.get("/api/v1/followed_tags?limit=1").await;
    assert!(r.link_to("next").unwrap().contains("max_id="));
    let r = api.get("/api/v1/tags/rustlang").await;
    assert_eq!(r.json["following"], true);
    assert_eq!(r.json["history"], json!([]));
    let r = api.post("/api/v1/tags/rustlang/unfollow", json!({})).await;
    assert_eq!(r.json["following"], false);
    let r = Api::anonymous(&s).get("/api/v1/tags/burrows").await;
    assert_eq!(r.status, 200);
    assert_eq!(api.get("/api/v1/tags/not%20a%20tag").await.status, 404);

    for path in [
        "/api/v1/trends",
        "/api/v1/trends/tags",
        "/api/v1/trends/statuses",
        "/api/v1/trends/links",
    ] {
        let r = Api::anonymous(&s).get(path).await;
        assert_eq!((r.status, r.json.clone()), (200, json!([])), "{path}");
    }
    for path in [
        "/api/v1/announcements",
        "/api/v1/scheduled_statuses",
        "/api/v1/featured_tags",
        "/api/v1/endorsements",
        "/api/v2/suggestions",
    ] {
        let r = api.get(path).await;
        assert_eq!((r.status, r.json.clone()), (200, json!([])), "{path}");
    }
    let me = s.state.store.owner().unwrap().unwrap().account_id;
    let r = api
        .get(&format!("/api/v1/accounts/{me}/featured_tags"))
        .await;
    assert_eq!(r.json, json!([]));
    assert_eq!(api.get("/api/v1/scheduled_statuses/1").await.status, 404);
    let r = api.post("/api/v1/announcements/1/dismiss", json!({})).await;
    assert_eq!(r.status, 404);
    let r: Value = Api::anonymous(&s).get("/api/v1/preferences").await.json;
    assert!(r["error"].is_string());
}

#[tokio::test]
async fn unfollowing_takes_an_account_out_of_every_list() {
    let s = TestServer::start().await;
    let api = Api::login(&s, SCOPES).await;
    let friend = known(&s, "friend", true);
    let other = known(&s, "other", true);
    let mut lists = Vec::new();
    for title in ["Friends", "Close friends"] {
        let r = api.post_form("/api/v1/lists", &[("title", title)]).await;
        let id = r.json["id"].as_str().unwrap().to_string();
        let r = api
            .post(
                &format!("/api/v1/lists/{id}/accounts"),
                json!({"account_ids": [friend.to_string(), other.to_string()]}),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.json);
        lists.push(id);
    }
    let r = api
        .post(&format!("/api/v1/accounts/{friend}/unfollow"), json!({}))
        .await;
    assert_eq!(r.status, 200, "{}", r.json);
    for id in &lists {
        let r = api.get(&format!("/api/v1/lists/{id}/accounts")).await;
        let ids: Vec<&str> = r
            .json
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["id"].as_str().unwrap())
            .collect();
        assert_eq!(ids, [other.to_string()], "list {id} after the unfollow");
    }
    let r = api.get(&format!("/api/v1/accounts/{friend}/lists")).await;
    assert_eq!(r.json, json!([]));
}

/// Stores a public post by `author` already placed in `timelines`, as
/// the inbox worker leaves one from a followed account.
fn arrived(s: &TestServer, author: u64, n: usize, timelines: &[String]) -> u64 {
    let id = s.state.store.next_id();
    let st = Status {
        id,
        uri: format!("https://far.example/statuses/{id}"),
        account_id: author,
        content: format!("<p>post {n}</p>"),
        visibility: Visibility::Public,
        created_at_ms: 1_767_323_045_007 + n as i64,
        placed: timelines.to_vec(),
        ..Default::default()
    };
    s.state.store.transact(|tx| tx.insert_status(&st)).unwrap();
    id
}

#[tokio::test]
async fn a_list_timeline_pages_with_links() {
    let s = TestServer::start().await;
    let api = Api::login(&s, SCOPES).await;
    let friend = known(&s, "friend", true);
    let r = api.post("/api/v1/lists", json!({"title": "Friends"})).await;
    let list = r.json["id"].as_str().unwrap().to_string();
    let names = [timelines::home(), timelines::list(list.parse().unwrap())];
    let mut ids: Vec<String> = (0..5)
        .map(|n| arrived(&s, friend, n, &names).to_string())
        .collect();
    ids.reverse();
    let path = format!("/api/v1/timelines/list/{list}");
    let got = |r: &Answer| -> Vec<String> {
        r.json
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v["id"].as_str().unwrap().to_string())
            .collect()
    };
    let r = api.get(&format!("{path}?limit=2")).await;
    assert_eq!(r.status, 200, "{}", r.json);
    assert_eq!(got(&r), ids[..2]);
    assert_eq!(r.json[0]["account"]["id"], friend.to_string());
    let next = r.link_to("next").expect("a full page links onwards");
    assert!(
        next.starts_with(&s.base) && next.contains("limit=2"),
        "{next}"
    );
    assert!(next.contains(&format!("max_id={}", ids[1])), "{next}");
    let r = api.get(&next).await;
    assert_eq!(got(&r), ids[2..4]);
    let r = api.get(&format!("{path}?since_id={}", ids[2])).await;
    assert_eq!(got(&r), ids[..2]);
    let r = api.get(&format!("{path}?min_id={}&limit=1", ids[4])).await;
    assert_eq!(got(&r), ids[3..4]);
    let r = api.get(&format!("{path}?max_id={}", ids[4])).await;
    assert_eq!(r.json, json!([]));
    assert!(r.link.is_none(), "an empty page has no links");

    // Reading lists needs read:lists; a statuses-only token is refused.
    let r = Api::login(&s, "read:statuses").await.get(&path).await;
    assert_eq!(r.status, 403);
    let r = Api::anonymous(&s).get(&path).await;
    assert_eq!(r.status, 401);
    assert_eq!(api.get("/api/v1/timelines/list/abc").await.status, 404);
    // A list that does not exist (deleted on another device) is a 404.
    assert_eq!(api.get("/api/v1/timelines/list/4242").await.status, 404);
}

#[tokio::test]
async fn lists_and_filters_refuse_unknown_ids_scopes_and_bad_input() {
    let s = TestServer::start().await;
    let api = Api::login(&s, SCOPES).await;
    let friend = known(&s, "friend", true).to_string();
    let r = api.post("/api/v1/lists", json!({"title": "Friends"})).await;
    let list = r.json["id"].as_str().unwrap().to_string();

    // Unknown lists, for every verb.
    for path in ["/api/v1/lists/4242", "/api/v1/lists/abc"] {
        assert_eq!(api.get(path).await.status, 404, "{path}");
        let r = api.put(path, json!({"title": "x"})).await;
        assert_eq!(r.status, 404, "{path}");
        assert_eq!(r.json["error"], "Record not found");
        assert_eq!(api.delete(path, json!({})).await.status, 404, "{path}");
        let members = format!("{path}/accounts");
        assert_eq!(api.get(&members).await.status, 404, "{members}");
        let r = api.post(&members, json!({"account_ids": [friend]})).await;
        assert_eq!(r.status, 404, "{members}");
    }
    // Bad changes leave the list as it was; unknown members add nobody.
    let path = format!("/api/v1/lists/{list}");
    for bad in [
        json!({"title": ""}),
        json!({"title": "x", "replies_policy": "all"}),
    ] {
        let r = api.put(&path, bad.clone()).await;
        assert_eq!(r.status, 422, "{bad}");
    }
    let r = api.get(&path).await;
    assert_eq!(
        (r.json["title"].as_str(), r.json["replies_policy"].as_str()),
        (Some("Friends"), Some("list"))
    );
    let members = format!("{path}/accounts");
    let r = api
        .post(&members, json!({"account_ids": [friend, "4242"]}))
        .await;
    assert_eq!(r.status, 404, "{}", r.json);
    assert_eq!(api.get(&members).await.json, json!([]));

    // A read-only token changes nothing; a bad token reads nothing.
    let reader = Api::login(&s, "read").await;
    assert_eq!(reader.get(&path).await.status, 200);
    assert_eq!(
        reader.put(&path, json!({"title": "Mine"})).await.status,
        403
    );
    assert_eq!(reader.delete(&path, json!({})).await.status, 403);
    let r = reader
        .post(&members, json!({"account_ids": [friend]}))
        .await;
    assert_eq!(r.status, 403);
    let bad = Api::with_token(&s, "not-a-token");
    assert_eq!(bad.get("/api/v1/lists").await.status, 401);
    assert_eq!(api.get(&path).await.json["title"], "Friends");

    // Filters: a v1 filter is one keyword; filtered statuses are none.
    let r = api
        .post(
            "/api/v2/filters",
            json!({"title": "Noise", "context": ["home"],
                   "keywords_attributes": [{"keyword": "crypto"}]}),
        )
        .await;
    let filter = r.json["id"].as_str().unwrap().to_string();
    let kw = r.json["keywords"][0]["id"].as_str().unwrap().to_string();
    let v1 = api.get(&format!("/api/v1/filters/{kw}")).await;
    assert_eq!(v1.status, 200);
    assert_eq!(v1.json["id"], kw.as_str());
    assert_eq!(v1.json["phrase"], "crypto");
    assert_eq!(v1.json["context"], json!(["home"]));
    for path in [
        "/api/v1/filters/4242",
        "/api/v1/filters/abc",
        "/api/v2/filters/statuses/1",
        "/api/v2/filters/4242/keywords",
        "/api/v2/filters/4242/statuses",
    ] {
        let r = api.get(path).await;
        assert_eq!(r.status, 404, "{path}");
        assert!(r.json["error"].is_string(), "{path}");
    }
    let r = api.delete("/api/v2/filters/statuses/1", json!({})).await;
    assert_eq!(r.status, 404);
    for (path, body) in [
        ("/api/v2/filters/4242", json!({"title": "x"})),
        ("/api/v2/filters/keywords/4242", json!({"keyword": "x"})),
    ] {
        assert_eq!(api.put(path, body).await.status, 404, "{path}");
        assert_eq!(api.delete(path, json!({})).await.status, 404, "{path}");
    }
    let r = api
        .post("/api/v2/filters/4242/keywords", json!({"keyword": "x"}))
        .await;
    assert_eq!(r.status, 404);

    // Bad changes to a filter and its keywords store nothing.
    let fpath = format!("/api/v2/filters/{filter}");
    for bad in [
        json!({"title": ""}),
        json!({"context": ["everywhere"]}),
        json!({"filter_action": "explode"}),
        json!({"expires_in": "soon"}),
    ] {
        let r = api.put(&fpath, bad.clone()).await;
        assert_eq!(r.status, 422, "{bad}: {}", r.json);
    }
    let r = api
        .post(&format!("{fpath}/keywords"), json!({"keyword": " "}))
        .await;
    assert_eq!(r.status, 422);
    let r = api
        .put(
            &format!("/api/v2/filters/keywords/{kw}"),
            json!({"keyword": ""}),
        )
        .await;
    assert_eq!(r.status, 422);
    let r = api.get(&fpath).await;
    assert_eq!(r.json["title"], "Noise");
    assert_eq!(r.json["context"], json!(["home"]));
    assert_eq!(r.json["filter_action"], "warn");
    assert!(r.json["expires_at"].is_null());
    let words: Vec<&str> = r.json["keywords"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["keyword"].as_str().unwrap())
        .collect();
    assert_eq!(words, ["crypto"]);

    // Filters need write:filters to change, read:filters to read.
    for (path, body) in [
        (
            "/api/v2/filters".to_string(),
            json!({"title": "x", "context": ["home"]}),
        ),
        (format!("{fpath}/keywords"), json!({"keyword": "y"})),
    ] {
        assert_eq!(reader.post(&path, body).await.status, 403, "{path}");
    }
    assert_eq!(reader.put(&fpath, json!({"title": "y"})).await.status, 403);
    assert_eq!(reader.delete(&fpath, json!({})).await.status, 403);
    let r = reader.delete("/api/v2/filters/statuses/1", json!({})).await;
    assert_eq!(r.status, 403, "deleting needs write:filters");
    assert_eq!(bad.get("/api/v2/filters").await.status, 401);
    assert_eq!(
        api.get("/api/v2/filters")
            .await
            .json
            .as_array()
            .unwrap()
            .len(),
        1
    );
}
