//! Notifications as an app reads them: bob on another server follows
//! alice and favourites her post; alice's app lists, filters, reads one,
//! dismisses and clears them; read markers travel between apps.

mod common;
use burrow::ops::{follows, interactions, statuses};
use burrow::store::relations::Rel;
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
    let alice_on_b = burrow::federation::resolve_handle(&b.state, &format!("alice@{}", a.host))
        .await
        .expect("alice resolves");
    follows::follow(&b.state, alice_on_b.id, Default::default())
        .await
        .unwrap();
    eventually("the follow is accepted", || {
        b.state
            .store
            .has_relation(Rel::Following, alice_on_b.id)
            .unwrap()
    })
    .await;
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
        assert_eq!(
            n["group_key"],
            format!("ungrouped-{}", n["id"].as_str().unwrap())
        );
        assert!(n["created_at"].as_str().unwrap().ends_with('Z'));
    }
    let fav = &list[0];
    assert_eq!(fav["status"]["id"], mine.id.to_string());
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

    // The grouped form: one group per notification.
    let v2 = api.json("/api/v2/notifications").await;
    let groups = v2["notification_groups"].as_array().unwrap();
    assert_eq!(groups.len(), 2);
    assert_eq!(groups[0]["type"], "favourite");
    assert_eq!(groups[0]["notifications_count"], 1);
    assert_eq!(groups[0]["status_id"], mine.id.to_string());
    assert_eq!(v2["accounts"].as_array().unwrap().len(), 1);
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
