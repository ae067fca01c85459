//! Notifications as an app reads them: bob on another server follows
//! alice and favourites her post; alice's app lists, filters, reads one,
//! dismisses and clears them; read markers travel between apps.

use crate::common;
use burrow::ops::{interactions, statuses};
use common::*;
use serde_json::{json, Value};

fn kinds(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|n| n["type"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn follow_and_favourite_from_another_server() {
    let (a, b) = pair().await;
    // bob follows alice.
    follow_accepted(&b, &format!("alice@{}", a.host)).await;
    // alice posts; bob favourites it.
    let mine = statuses::post(
        &a.state,
        statuses::NewStatus {
            text: "like this".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let doc = burrow::federation::fetch_object(&b.state, &mine.uri)
        .await
        .expect("bob fetches alice's post");
    let on_b = burrow::ops::inbound::store_remote_status(&b.state, &doc, 1)
        .await
        .unwrap()
        .unwrap();
    interactions::favourite(&b.state, on_b.id).await.unwrap();
    eventually("the favourite arrives", || {
        a.state
            .store
            .status(mine.id)
            .unwrap()
            .unwrap()
            .favourites_count
            == 1
    })
    .await;

    let api = Api {
        s: &a,
        token: token(&a, "read write").await,
    };
    let list = api.json("/api/v1/notifications").await;
    assert_eq!(kinds(&list), ["favourite", "follow"]);
    for n in list.as_array().unwrap() {
        for k in ["id", "type", "group_key", "created_at", "account"] {
            assert!(n.get(k).is_some(), "notification lacks {k}: {n}");
        }
        assert_eq!(n["account"]["username"], "bob");
        assert_eq!(n["account"]["acct"], format!("bob@{}", b.host));
        assert!(n["group_key"].is_string());
        assert!(n["created_at"].as_str().unwrap().ends_with('Z'));
    }
    let fav = &list[0];
    assert_eq!(fav["status"]["id"], mine.id.to_string());
    let key = fav["group_key"].as_str().unwrap();
    assert!(key.starts_with(&format!("favourite-{}-", mine.id)), "{key}");
    assert!(list[1]["group_key"]
        .as_str()
        .unwrap()
        .starts_with("follow-"));
    assert!(list[1].get("status").is_none(), "a follow has no status");

    // Filters.
    let only = api.json("/api/v1/notifications?types[]=follow").await;
    assert_eq!(kinds(&only), ["follow"]);
    let without = api
        .json("/api/v1/notifications?exclude_types[]=follow")
        .await;
    assert_eq!(kinds(&without), ["favourite"]);
    let from = api
        .json(&format!(
            "/api/v1/notifications?account_id={}",
            fav["account"]["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(from.as_array().unwrap().len(), 2);
    let nobody = api.json("/api/v1/notifications?account_id=1").await;
    assert_eq!(nobody, json!([]));
    // Paging with a Link header that keeps the filters.
    let res = api
        .get("/api/v1/notifications?limit=1&exclude_types[]=mention")
        .await;
    let linkh = res.headers()["link"].to_str().unwrap().to_string();
    assert!(linkh.contains("rel=\"next\"") && linkh.contains("exclude_types"));
    assert!(linkh.contains(&format!("{}/api/v1/notifications?", a.base)));
    let one: Value = res.json().await.unwrap();
    assert_eq!(kinds(&one), ["favourite"]);

    // The grouped form: bob's favourite and follow are groups of one;
    // `accounts` holds bob and the favourited post's author.
    let v2 = api.json("/api/v2/notifications").await;
    let groups = v2["notification_groups"].as_array().unwrap();
    assert_eq!(groups.len(), 2);
    assert_eq!(groups[0]["type"], "favourite");
    assert_eq!(groups[0]["notifications_count"], 1);
    assert_eq!(groups[0]["status_id"], mine.id.to_string());
    assert_eq!(v2["accounts"].as_array().unwrap().len(), 2);
    assert_eq!(v2["statuses"].as_array().unwrap().len(), 1);

    // One notification; dismiss it; then clear the rest.
    let fid = fav["id"].as_str().unwrap();
    let got = api.json(&format!("/api/v1/notifications/{fid}")).await;
    assert_eq!(got["type"], "favourite");
    assert_eq!(
        api.json("/api/v1/notifications/unread_count").await["count"],
        2
    );
    let res = api
        .post(&format!("/api/v1/notifications/{fid}/dismiss"), &[])
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        api.get(&format!("/api/v1/notifications/{fid}"))
            .await
            .status(),
        404
    );
    assert_eq!(kinds(&api.json("/api/v1/notifications").await), ["follow"]);
    assert_eq!(
        api.post("/api/v1/notifications/999/dismiss", &[])
            .await
            .status(),
        404
    );
    assert_eq!(
        api.post("/api/v1/notifications/clear", &[]).await.status(),
        200
    );
    assert_eq!(api.json("/api/v1/notifications").await, json!([]));
    let res = api.get("/api/v1/notifications").await;
    assert!(res.headers().get("link").is_none());

    // A read-only token cannot clear; no token cannot read.
    let reader = Api {
        s: &a,
        token: token(&a, "read").await,
    };
    assert_eq!(
        reader
            .post("/api/v1/notifications/clear", &[])
            .await
            .status(),
        403
    );
    let res = client()
        .get(a.url("/api/v1/notifications"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
}

#[tokio::test]
async fn markers_round_trip() {
    let s = TestServer::start().await;
    let api = Api {
        s: &s,
        token: token(&s, "read write").await,
    };
    let none = api
        .json("/api/v1/markers?timeline[]=home&timeline[]=notifications")
        .await;
    assert_eq!(none, json!({}));
    let res = api
        .post(
            "/api/v1/markers",
            &[
                ("home[last_read_id]", "103"),
                ("notifications[last_read_id]", "7"),
            ],
        )
        .await;
    assert_eq!(res.status(), 200);
    let set: Value = res.json().await.unwrap();
    assert_eq!(set["home"]["last_read_id"], "103");
    assert_eq!(set["home"]["version"], 0);
    assert!(set["home"]["updated_at"].as_str().unwrap().ends_with('Z'));
    let res = api
        .post_json("/api/v1/markers", json!({"home": {"last_read_id": "110"}}))
        .await;
    assert_eq!(res.status(), 200);
    let both = api
        .json("/api/v1/markers?timeline[]=home&timeline[]=notifications")
        .await;
    assert_eq!(both["home"]["last_read_id"], "110");
    assert_eq!(both["home"]["version"], 1);
    assert_eq!(both["notifications"]["last_read_id"], "7");
    let only = api.json("/api/v1/markers?timeline[]=notifications").await;
    assert!(only.get("home").is_none());
    let res = api
        .post("/api/v1/markers", &[("home[last_read_id]", "x")])
        .await;
    assert_eq!(res.status(), 422);
    assert_eq!(
        api.json("/api/v1/markers?timeline[]=home").await["home"]["last_read_id"],
        "110"
    );
}

/// A remote account the server knows (its inbox a closed port) that
/// follows the owner and likes `status`, through the inbox's operation.
async fn fan(s: &TestServer, name: &str, status: Option<&str>) -> u64 {
    let them = burrow::store::accounts::Account {
        id: s.state.store.next_id(),
        username: name.into(),
        domain: Some("far.example".into()),
        uri: format!("https://far.example/users/{name}"),
        inbox: "http://127.0.0.1:9/inbox".into(),
        created_at_ms: 1_767_323_045_007,
        ..Default::default()
    };
    s.state.store.put_account(&them).unwrap();
    let owner = s.state.store.owner_account().unwrap().unwrap();
    let follow = json!({"id": format!("{}#follow", them.uri), "type": "Follow",
                        "actor": them.uri, "object": owner.uri});
    burrow::ops::inbound::process(&s.state, &them, &follow)
        .await
        .unwrap();
    if let Some(uri) = status {
        let like = json!({"id": format!("{}#like", them.uri), "type": "Like",
                          "actor": them.uri, "object": uri});
        burrow::ops::inbound::process(&s.state, &them, &like)
            .await
            .unwrap();
    }
    them.id
}

#[tokio::test]
async fn grouped_notifications_policies_and_refusals() {
    let s = TestServer::start().await;
    let mine = statuses::post(
        &s.state,
        statuses::NewStatus {
            text: "like this".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let xavier = fan(&s, "xavier", Some(&mine.uri)).await;
    fan(&s, "yolanda", None).await;
    let api = Api {
        s: &s,
        token: token(&s, "read write").await,
    };
    let list = api.json("/api/v1/notifications").await;
    assert_eq!(kinds(&list), ["follow", "favourite", "follow"]);
    let fav = list[1]["id"].as_str().unwrap().to_string();

    // v2: a group is read, its accounts listed, and it is dismissed. An
    // `ungrouped-ID` key names that notification; reading it shows its group.
    let key = format!("ungrouped-{fav}");
    let g = api.json(&format!("/api/v2/notifications/{key}")).await;
    assert_eq!(
        g["notification_groups"][0]["group_key"],
        list[1]["group_key"]
    );
    assert_eq!(g["notification_groups"][0]["type"], "favourite");
    assert_eq!(g["statuses"][0]["id"], mine.id.to_string());
    let who = api
        .json(&format!("/api/v2/notifications/{key}/accounts"))
        .await;
    assert_eq!(who[0]["id"], xavier.to_string());
    // The two follows are one group.
    assert_eq!(
        api.json("/api/v2/notifications/unread_count").await["count"],
        2
    );
    let v2 = api
        .json("/api/v2/notifications?types[]=follow&limit=1")
        .await;
    assert_eq!(v2["notification_groups"].as_array().unwrap().len(), 1);
    assert_eq!(v2["notification_groups"][0]["type"], "follow");
    assert_eq!(v2["notification_groups"][0]["notifications_count"], 2);
    let res = api
        .post(&format!("/api/v2/notifications/{key}/dismiss"), &[])
        .await;
    assert_eq!(res.status(), 200);
    for path in [
        format!("/api/v2/notifications/{key}"),
        format!("/api/v2/notifications/{key}/accounts"),
        "/api/v2/notifications/ungrouped-4242".into(),
        "/api/v2/notifications/nonsense".into(),
    ] {
        let res = api.get(&path).await;
        assert_eq!(res.status(), 404, "{path}");
        let body: Value = res.json().await.unwrap();
        assert!(body["error"].is_string());
    }
    assert_eq!(
        api.post(&format!("/api/v2/notifications/{key}/dismiss"), &[])
            .await
            .status(),
        404
    );

    // The pre-3.1 dismiss takes the id in the body.
    let newest = list[0]["id"].as_str().unwrap();
    let res = api
        .post("/api/v1/notifications/dismiss", &[("id", newest)])
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(kinds(&api.json("/api/v1/notifications").await), ["follow"]);
    for form in [vec![("id", newest)], vec![("id", "x")], vec![]] {
        let res = api.post("/api/v1/notifications/dismiss", &form).await;
        assert_eq!(res.status(), 404, "{form:?}");
    }

    // Nothing is held back as a request.
    assert_eq!(api.json("/api/v1/notifications/requests").await, json!([]));
    let p1 = api.json("/api/v1/notifications/policy").await;
    assert_eq!(p1["filter_not_following"], false);
    assert_eq!(p1["summary"]["pending_requests_count"], 0);
    let p2 = api.json("/api/v2/notifications/policy").await;
    assert_eq!(p2["for_not_following"], "accept");

    // Scopes: a token for statuses only reads no notifications; a
    // read-only one dismisses nothing; a bad token is 401.
    let statuses_only = Api {
        s: &s,
        token: token(&s, "read:statuses").await,
    };
    for path in [
        "/api/v1/notifications",
        "/api/v2/notifications",
        "/api/v2/notifications/unread_count",
        "/api/v1/notifications/policy",
    ] {
        assert_eq!(statuses_only.get(path).await.status(), 403, "{path}");
    }
    let reader = Api {
        s: &s,
        token: token(&s, "read").await,
    };
    let last = api.json("/api/v1/notifications").await[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    for path in [
        format!("/api/v1/notifications/{last}/dismiss"),
        format!("/api/v2/notifications/ungrouped-{last}/dismiss"),
        "/api/v1/notifications/clear".into(),
    ] {
        assert_eq!(reader.post(&path, &[]).await.status(), 403, "{path}");
    }
    assert_eq!(kinds(&api.json("/api/v1/notifications").await), ["follow"]);
    let bad = Api {
        s: &s,
        token: "not-a-token".into(),
    };
    assert_eq!(bad.get("/api/v2/notifications").await.status(), 401);
}

/// A remote account `them` mentions the owner in a new post.
async fn mention(s: &TestServer, name: &str) -> u64 {
    let them = burrow::store::accounts::Account {
        id: s.state.store.next_id(),
        username: name.into(),
        domain: Some("far.example".into()),
        uri: format!("https://far.example/users/{name}"),
        inbox: "http://127.0.0.1:9/inbox".into(),
        created_at_ms: 1_767_323_045_007,
        ..Default::default()
    };
    s.state.store.put_account(&them).unwrap();
    let owner = s.state.store.owner_account().unwrap().unwrap();
    let note = format!("{}/statuses/1", them.uri);
    let create = json!({"id": format!("{note}/activity"), "type": "Create", "actor": them.uri,
        "object": {"id": note, "type": "Note", "attributedTo": them.uri,
                   "content": "<p>hello @alice</p>", "to": [owner.uri],
                   // Unlisted: a stranger's private mention would wait
                   // as a notification request.
                   "cc": ["https://www.w3.org/ns/activitystreams#Public"],
                   "published": "2026-01-02T03:04:05Z",
                   "tag": [{"type": "Mention", "href": owner.uri, "name": "@alice"}]}});
    burrow::ops::inbound::process(&s.state, &them, &create)
        .await
        .unwrap();
    them.id
}

fn groups_of(v: &Value) -> Vec<Value> {
    v["notification_groups"].as_array().unwrap().clone()
}

fn summary(v: &Value) -> Vec<(String, u64)> {
    groups_of(v)
        .iter()
        .map(|g| {
            (
                g["type"].as_str().unwrap().to_string(),
                g["notifications_count"].as_u64().unwrap(),
            )
        })
        .collect()
}

fn ids_of(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn favourites_and_follows_form_groups() {
    let s = TestServer::start().await;
    let mine = statuses::post(
        &s.state,
        statuses::NewStatus {
            text: "group me".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    // Each follows, then favourites: follow, favourite, follow, favourite…
    let mut fans = Vec::new();
    for name in ["ann", "ben", "cat"] {
        fans.push(fan(&s, name, Some(&mine.uri)).await.to_string());
    }
    let dan = mention(&s, "dan").await.to_string();
    let newest_first: Vec<String> = fans.iter().rev().cloned().collect();
    let api = Api {
        s: &s,
        token: token(&s, "read write").await,
    };
    let v1 = api.json("/api/v1/notifications").await;
    assert_eq!(
        kinds(&v1),
        [
            "mention",
            "favourite",
            "follow",
            "favourite",
            "follow",
            "favourite",
            "follow"
        ]
    );
    let id = |i: usize| v1[i]["id"].as_str().unwrap().to_string();
    // `most_recent_notification_id` is a number, as Mastodon sends it.
    let num = |s: &str| s.parse::<u64>().unwrap();
    assert_eq!(v1[1]["group_key"], v1[3]["group_key"]);
    assert_eq!(v1[1]["group_key"], v1[5]["group_key"]);
    assert_eq!(v1[2]["group_key"], v1[6]["group_key"]);
    assert_eq!(v1[0]["group_key"], format!("ungrouped-{}", id(0)));

    // Three favourites of one post are one group, the follows another,
    // the mention stays alone.
    let v2 = api.json("/api/v2/notifications").await;
    assert_eq!(
        summary(&v2),
        [
            ("mention".into(), 1),
            ("favourite".into(), 3),
            ("follow".into(), 3)
        ]
    );
    let g = groups_of(&v2);
    assert_eq!(g[0]["group_key"], format!("ungrouped-{}", id(0)));
    assert_eq!(ids_of(&g[0]["sample_account_ids"]), vec![dan.clone()]);
    let fav = &g[1];
    assert_eq!(fav["group_key"], v1[1]["group_key"]);
    assert!(fav["group_key"]
        .as_str()
        .unwrap()
        .starts_with(&format!("favourite-{}-", mine.id)));
    assert_eq!(fav["most_recent_notification_id"], num(&id(1)));
    assert_eq!(fav["page_max_id"], id(1));
    // The last page reaches down to the group's oldest.
    assert_eq!(fav["page_min_id"], id(5));
    assert_eq!(fav["latest_page_notification_at"], v1[1]["created_at"]);
    assert_eq!(fav["status_id"], mine.id.to_string());
    assert_eq!(ids_of(&fav["sample_account_ids"]), newest_first);
    assert_eq!(ids_of(&g[2]["sample_account_ids"]), newest_first);
    assert!(g[2]["group_key"].as_str().unwrap().starts_with("follow-"));
    let accounts: Vec<&str> = v2["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap())
        .collect();
    for who in fans.iter().chain([&dan]) {
        assert!(accounts.contains(&who.as_str()), "{who} in {accounts:?}");
    }
    assert_eq!(v2["statuses"].as_array().unwrap().len(), 2);
    assert!(v2.get("partial_accounts").is_none());
    assert_eq!(
        api.json("/api/v2/notifications/unread_count").await["count"],
        3
    );
    assert_eq!(
        api.json("/api/v1/notifications/unread_count").await["count"],
        7
    );

    // An app that groups only favourites sees each follow alone; one
    // that groups nothing sees every notification.
    let favs = api
        .json("/api/v2/notifications?grouped_types[]=favourite")
        .await;
    assert_eq!(
        summary(&favs),
        [
            ("mention".into(), 1),
            ("favourite".into(), 3),
            ("follow".into(), 1),
            ("follow".into(), 1),
            ("follow".into(), 1)
        ]
    );
    assert_eq!(
        groups_of(&favs)[2]["group_key"],
        format!("ungrouped-{}", id(2))
    );
    let none = api.json("/api/v2/notifications?grouped_types[]=").await;
    assert_eq!(groups_of(&none).len(), 7);

    // Partial avatars: the first of each group in full, the rest partial.
    let partial = api
        .json("/api/v2/notifications?expand_accounts=partial_avatars")
        .await;
    let part = partial["partial_accounts"].as_array().unwrap();
    assert!(!part.is_empty());
    assert!(part[0].get("avatar_static").is_some() && part[0].get("note").is_none());
    let res = api.get("/api/v2/notifications?expand_accounts=all").await;
    assert_eq!(res.status(), 400);

    // Paging counts groups; a group cut by the page edge shows again on
    // the next page with what is older.
    let res = api.get("/api/v2/notifications?limit=2").await;
    let link = res.headers()["link"].to_str().unwrap().to_string();
    assert!(link.contains(&format!("max_id={}", id(1))), "{link}");
    let page1: Value = res.json().await.unwrap();
    assert_eq!(
        summary(&page1),
        [("mention".into(), 1), ("favourite".into(), 3)]
    );
    assert_eq!(groups_of(&page1)[1]["page_min_id"], id(1));
    let page2 = api
        .json(&format!("/api/v2/notifications?limit=2&max_id={}", id(1)))
        .await;
    assert_eq!(
        summary(&page2),
        [("follow".into(), 3), ("favourite".into(), 2)]
    );
    let g2 = groups_of(&page2);
    assert_eq!(g2[1]["most_recent_notification_id"], num(&id(3)));
    assert_eq!(g2[0]["page_min_id"], id(2));
    let up = api
        .json(&format!("/api/v2/notifications?limit=2&min_id={}", id(6)))
        .await;
    assert_eq!(
        summary(&up),
        [("follow".into(), 2), ("favourite".into(), 1)]
    );

    // One group by its key, and everyone in it.
    let key = fav["group_key"].as_str().unwrap().to_string();
    let one = api.json(&format!("/api/v2/notifications/{key}")).await;
    let only = &groups_of(&one)[0];
    assert_eq!(only["notifications_count"], 3);
    assert_eq!(only["most_recent_notification_id"], num(&id(1)));
    assert!(only.get("page_min_id").is_none());
    assert_eq!(one["statuses"][0]["id"], mine.id.to_string());
    let who = api
        .json(&format!("/api/v2/notifications/{key}/accounts"))
        .await;
    let who: Vec<String> = who
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(who, newest_first);
    let via_one = api
        .json(&format!("/api/v2/notifications/ungrouped-{}", id(5)))
        .await;
    assert_eq!(groups_of(&via_one)[0]["group_key"], key.as_str());

    // Dismissing the group removes all three favourites.
    let res = api
        .post(&format!("/api/v2/notifications/{key}/dismiss"), &[])
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        kinds(&api.json("/api/v1/notifications").await),
        ["mention", "follow", "follow", "follow"]
    );
    assert_eq!(
        api.get(&format!("/api/v2/notifications/{key}"))
            .await
            .status(),
        404
    );
    assert_eq!(
        api.post(&format!("/api/v2/notifications/{key}/dismiss"), &[])
            .await
            .status(),
        404
    );
}
