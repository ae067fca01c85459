//! The owner's keyword filters and domain blocks at work: alice follows
//! bob on another server; what she filtered is marked or left out of her
//! timelines, notifications and live stream, while her own posts never
//! are; once she blocks bob's server, bob disappears from her lists.

use crate::common;
use burrow::ops::{domain_blocks, statuses};
use burrow::store::filters::{Filter, Keyword};
use common::*;
use futures_util::StreamExt;
use serde_json::{json, Value};
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;

/// Longest wait for one expected streamed event: far above what it
/// takes, so only a missing event fails the test.
const EVENT_WAIT: Duration = Duration::from_secs(20);

fn new_status(text: &str) -> statuses::NewStatus {
    statuses::NewStatus {
        text: text.into(),
        ..Default::default()
    }
}

/// bob posts; returns the URI his post has on alice's server once there.
async fn bob_posts(a: &TestServer, b: &TestServer, text: &str) -> u64 {
    let st = statuses::post(&b.state, new_status(text)).await.unwrap();
    let mut id = 0;
    eventually("bob's post reaches alice", || {
        match a.state.store.status_by_uri(&st.uri).unwrap() {
            Some(s) => {
                id = s.id;
                true
            }
            None => false,
        }
    })
    .await;
    id
}

async fn create_filter(api: &Api<'_>, body: Value) -> Value {
    let res = api.post_json("/api/v2/filters", body).await;
    let status = res.status();
    let v: Value = res.json().await.unwrap();
    assert_eq!(status, 200, "{v}");
    v
}

/// The statuses of a list by the text they hold (boosts by the boosted
/// text), each with its JSON.
fn find<'v>(list: &'v Value, text: &str) -> Option<&'v Value> {
    list.as_array().unwrap().iter().find(|s| {
        let shown = if s["reblog"].is_object() {
            &s["reblog"]
        } else {
            s
        };
        shown["content"].as_str().unwrap().contains(text)
    })
}

/// The URL of `rel` in a `Link` header.
fn link(res: &reqwest::Response, rel: &str) -> Option<String> {
    let h = res.headers().get("link")?.to_str().unwrap().to_string();
    h.split(", ").find_map(|part| {
        let (url, r) = part.split_once("; ")?;
        (r == format!("rel=\"{rel}\"")).then(|| {
            url.trim_start_matches('<')
                .trim_end_matches('>')
                .to_string()
        })
    })
}

#[tokio::test]
async fn warn_filters_mark_hide_filters_remove_in_their_contexts() {
    let (a, b) = pair().await;
    follow_accepted(&a, &format!("bob@{}", b.host)).await;
    let api = Api {
        s: &a,
        token: token(&a, "read write").await,
    };
    create_filter(
        &api,
        json!({"title": "Spoilers", "context": ["home", "public"], "filter_action": "warn",
               "keywords_attributes": [{"keyword": "finale"}]}),
    )
    .await;
    create_filter(
        &api,
        json!({"title": "Fruit", "context": ["home", "public"], "filter_action": "hide",
               "keywords_attributes": [{"keyword": "durian"}]}),
    )
    .await;
    create_filter(
        &api,
        json!({"title": "Weather", "context": ["notifications"], "filter_action": "hide",
               "keywords_attributes": [{"keyword": "rain"}]}),
    )
    .await;
    // A filter that has run out (the API only sets future expiries).
    a.state
        .store
        .transact(|tx| {
            tx.put_filter(
                &Filter {
                    id: a.state.store.next_id(),
                    title: "Lapsed".into(),
                    context: vec!["home".into()],
                    action: "hide".into(),
                    expires_at_ms: Some(1),
                    keywords: vec![Keyword {
                        id: a.state.store.next_id(),
                        keyword: "stale".into(),
                        whole_word: true,
                    }],
                    ..Default::default()
                },
                None,
            )
        })
        .unwrap();

    bob_posts(&a, &b, "what a season finale").await;
    bob_posts(&a, &b, "I ate durian today").await;
    bob_posts(&a, &b, "rain all day").await;
    bob_posts(&a, &b, "stale news").await;
    let plain = bob_posts(&a, &b, "a plain post").await;
    statuses::post(&a.state, new_status("my own durian finale"))
        .await
        .unwrap();

    let home = api.json("/api/v1/timelines/home").await;
    let warned = find(&home, "season finale").expect("a warned post is listed");
    assert_eq!(warned["filtered"][0]["filter"]["title"], "Spoilers");
    assert_eq!(warned["filtered"][0]["filter"]["filter_action"], "warn");
    assert_eq!(warned["filtered"][0]["keyword_matches"], json!(["finale"]));
    assert_eq!(warned["filtered"][0]["status_matches"], json!([]));
    assert!(find(&home, "durian today").is_none(), "hidden from home");
    let rain = find(&home, "rain all day").expect("a notifications filter spares home");
    assert_eq!(rain["filtered"], json!([]));
    assert!(
        find(&home, "stale news").is_some(),
        "an expired filter hides nothing"
    );
    let own = find(&home, "my own durian finale").expect("own posts are never hidden");
    assert_eq!(own["filtered"], json!([]));
    assert_eq!(home.as_array().unwrap().len(), 5);

    let public = api.json("/api/v1/timelines/public").await;
    assert!(
        find(&public, "durian today").is_none(),
        "hidden from public"
    );
    assert!(find(&public, "a plain post").is_some());
    assert_eq!(
        find(&public, "season finale").unwrap()["filtered"][0]["filter"]["title"],
        "Spoilers"
    );
    // Without a token, nobody's filters apply.
    let anonymous: Value = client()
        .get(a.url("/api/v1/timelines/public"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let open = find(&anonymous, "season finale").unwrap();
    assert_eq!(open["filtered"], json!([]));
    assert!(find(&anonymous, "durian today").is_some());

    // Paging past the hidden post loses nothing: pages of two, followed
    // by their `Link` headers, give exactly the listed five.
    let mut seen = Vec::new();
    let mut url = a.url("/api/v1/timelines/home?limit=2");
    loop {
        let res = client()
            .get(&url)
            .bearer_auth(&api.token)
            .send()
            .await
            .unwrap();
        let next = link(&res, "next");
        let page: Value = res.json().await.unwrap();
        let ids: Vec<String> = page
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["id"].as_str().unwrap().to_string())
            .collect();
        if ids.is_empty() {
            break;
        }
        assert!(ids.len() <= 2);
        seen.extend(ids);
        url = next.expect("a non-empty page links to the next");
    }
    let all: Vec<String> = home
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(seen, all);

    // A boost is judged by what it boosts; the warning rides on both.
    let warned_id = warned["id"].as_str().unwrap().parse::<u64>().unwrap();
    let on_b = b
        .state
        .store
        .status_by_uri(&a.state.store.status(warned_id).unwrap().unwrap().uri)
        .unwrap()
        .unwrap();
    burrow::ops::interactions::reblog(&b.state, on_b.id, None)
        .await
        .unwrap();
    eventually("bob's boost reaches alice", || {
        a.state
            .store
            .status(warned_id)
            .unwrap()
            .unwrap()
            .reblogs_count
            == 1
    })
    .await;
    let home = api.json("/api/v1/timelines/home").await;
    let boost = &home[0];
    assert!(boost["reblog"].is_object(), "the boost leads: {boost}");
    assert_eq!(
        boost["reblog"]["filtered"][0]["filter"]["title"],
        "Spoilers"
    );
    assert_eq!(boost["filtered"][0]["filter"]["title"], "Spoilers");

    // The account's own page has its own context: nothing applies there.
    let bob_id = a.state.store.status(plain).unwrap().unwrap().account_id;
    let theirs = api
        .json(&format!("/api/v1/accounts/{bob_id}/statuses"))
        .await;
    assert!(find(&theirs, "durian today").is_some());
}

#[tokio::test]
async fn hidden_mentions_and_blocked_domains_leave_notifications_and_home() {
    let (a, b) = pair().await;
    follow_accepted(&a, &format!("bob@{}", b.host)).await;
    let api = Api {
        s: &a,
        token: token(&a, "read write").await,
    };
    create_filter(
        &api,
        json!({"title": "Weather", "context": ["notifications"], "filter_action": "hide",
               "keywords_attributes": [{"keyword": "rain"}]}),
    )
    .await;
    bob_posts(&a, &b, &format!("@alice@{} rain again", a.host)).await;
    bob_posts(&a, &b, &format!("@alice@{} hello there", a.host)).await;
    eventually("both mentions are stored", || {
        a.state
            .store
            .notification_page(
                burrow::store::timelines::Page {
                    limit: 10,
                    ..Default::default()
                },
                |n| n.kind == "mention",
            )
            .unwrap()
            .len()
            == 2
    })
    .await;
    let mentions = |v: &Value| -> Vec<String> {
        v.as_array()
            .unwrap()
            .iter()
            .filter(|n| n["type"] == "mention")
            .map(|n| n["status"]["content"].as_str().unwrap().to_string())
            .collect()
    };
    let list = api.json("/api/v1/notifications").await;
    let shown = mentions(&list);
    assert_eq!(shown.len(), 1, "{list}");
    assert!(shown[0].contains("hello there"));
    let v2 = api.json("/api/v2/notifications").await;
    let statuses = v2["statuses"].as_array().unwrap();
    assert!(statuses
        .iter()
        .all(|s| !s["content"].as_str().unwrap().contains("rain again")));
    // The home timeline is another context: the rain post stays there.
    let home = api.json("/api/v1/timelines/home").await;
    assert!(find(&home, "rain again").is_some());
    assert!(find(&home, "hello there").is_some());

    // alice blocks bob's whole server.
    domain_blocks::block(&a.state, &b.host).await.unwrap();
    let home = api.json("/api/v1/timelines/home").await;
    assert_eq!(home, json!([]), "a blocked server's posts leave home");
    let list = api.json("/api/v1/notifications").await;
    assert_eq!(list, json!([]), "and its notifications go");
    let count = api.json("/api/v1/notifications/unread_count").await;
    assert_eq!(count["count"], 0);
    let public = api.json("/api/v1/timelines/public").await;
    assert!(find(&public, "hello there").is_none());

    // Lifting the block brings them back.
    domain_blocks::unblock(&a.state, &b.host).await.unwrap();
    let home = api.json("/api/v1/timelines/home").await;
    assert_eq!(home.as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn a_hidden_post_is_not_streamed() {
    let (a, b) = pair().await;
    follow_accepted(&a, &format!("bob@{}", b.host)).await;
    let api = Api {
        s: &a,
        token: token(&a, "read write").await,
    };
    create_filter(
        &api,
        json!({"title": "Fruit", "context": ["home"], "filter_action": "hide",
               "keywords_attributes": [{"keyword": "durian"}]}),
    )
    .await;
    create_filter(
        &api,
        json!({"title": "Spoilers", "context": ["home"], "filter_action": "warn",
               "keywords_attributes": [{"keyword": "finale"}]}),
    )
    .await;
    let url = format!(
        "ws://{}/api/v1/streaming?stream=user&access_token={}",
        a.host, api.token
    );
    let (mut ws, _) = tokio_tungstenite::connect_async(url)
        .await
        .expect("the socket opens");
    // bob's posts arrive in order, one inbox job after the other: if the
    // hidden one were streamed, it would come before the next.
    statuses::post(&b.state, new_status("durian for breakfast"))
        .await
        .unwrap();
    statuses::post(&b.state, new_status("the finale tonight"))
        .await
        .unwrap();
    let update = loop {
        let msg = tokio::time::timeout(EVENT_WAIT, ws.next())
            .await
            .expect("an event arrives in time")
            .expect("the socket stays open")
            .expect("the socket works");
        let Message::Text(text) = msg else { continue };
        let v: Value = serde_json::from_str(&text).unwrap();
        if v["event"] == "update" {
            break serde_json::from_str::<Value>(v["payload"].as_str().unwrap()).unwrap();
        }
    };
    let content = update["content"].as_str().unwrap();
    assert!(
        content.contains("finale tonight"),
        "the first update is the unfiltered post, not: {content}"
    );
    assert_eq!(update["filtered"][0]["filter"]["title"], "Spoilers");
}
