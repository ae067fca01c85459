//! The notification policy as apps use it: bob, on another server, whom
//! alice does not follow, writes to her; what the policy filters waits as
//! a notification request (neither listed, streamed nor pushed) until she
//! accepts or dismisses it, and what it drops is not kept at all.

use crate::common::*;
use crate::push::{b64, fixed_key, Sink, AUTH, UA_PRIVATE, UA_PUBLIC};
use burrow::ops::statuses::{self, NewStatus};
use burrow::push::aesgcm;
use burrow::store::statuses::{Status, Visibility};
use serde_json::{json, Value};

/// bob writes to alice (on `a`); returns the status once `a` has it.
async fn bob_writes(a: &TestServer, b: &TestServer, text: &str, visibility: Visibility) -> Status {
    let st = statuses::post(
        &b.state,
        NewStatus {
            text: format!("@alice@{} {text}", a.host),
            visibility,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let uri = st.uri.clone();
    eventually("alice's server stores bob's post", || {
        a.state.store.status_by_uri(&uri).unwrap().is_some()
    })
    .await;
    a.state.store.status_by_uri(&st.uri).unwrap().unwrap()
}

fn texts(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|n| n["status"]["content"].as_str().unwrap_or("").to_string())
        .collect()
}

#[tokio::test]
async fn a_strangers_private_mention_waits_as_a_request_until_accepted() {
    let (a, b) = pair().await;
    let api = Api {
        s: &a,
        token: token(&a, "read write push").await,
    };
    // alice's phone is subscribed to mentions.
    let mut sink = Sink::start(201).await;
    let res = api
        .post(
            "/api/v1/push/subscription",
            &[
                ("subscription[endpoint]", sink.endpoint.as_str()),
                ("subscription[keys][p256dh]", UA_PUBLIC),
                ("subscription[keys][auth]", AUTH),
                ("data[alerts][mention]", "true"),
            ],
        )
        .await;
    assert_eq!(res.status(), 200);

    // By default (as on Mastodon) a private mention from someone alice
    // does not follow waits.
    let secret = bob_writes(&a, &b, "psst, secret", Visibility::Direct).await;
    let listed = api.json("/api/v1/notifications").await;
    assert!(
        !texts(&listed).iter().any(|t| t.contains("secret")),
        "{listed}"
    );
    let grouped = api.json("/api/v2/notifications").await;
    assert_eq!(grouped["notification_groups"], json!([]));

    let policy = api.json("/api/v2/notifications/policy").await;
    assert_eq!(policy["for_private_mentions"], "filter");
    assert_eq!(
        policy["summary"],
        json!({"pending_requests_count": 1, "pending_notifications_count": 1})
    );
    let requests = api.json("/api/v1/notifications/requests").await;
    let list = requests.as_array().unwrap();
    assert_eq!(list.len(), 1, "{requests}");
    let req = &list[0];
    assert_eq!(req["account"]["acct"], format!("bob@{}", b.host));
    assert_eq!(req["notifications_count"], "1");
    assert_eq!(req["last_status"]["id"], secret.id.to_string());
    for key in ["id", "created_at", "updated_at"] {
        assert!(req[key].is_string(), "{key}: {req}");
    }
    let id = req["id"].as_str().unwrap().to_string();
    assert_eq!(
        api.json(&format!("/api/v1/notifications/requests/{id}"))
            .await["id"],
        id
    );
    // Asked for bob's notifications, the list shows what waits.
    let bob_id = req["account"]["id"].as_str().unwrap().to_string();
    let his = api
        .json(&format!("/api/v1/notifications?account_id={bob_id}"))
        .await;
    assert!(texts(&his).iter().any(|t| t.contains("secret")), "{his}");

    // A public mention passes; it is the first thing pushed, so the
    // filtered one before it was not.
    bob_writes(&a, &b, "hello in public", Visibility::Public).await;
    let msg = sink.next().await;
    let salt = msg.headers["encryption"].to_str().unwrap()["salt=".len()..].to_string();
    let dh = msg.headers["crypto-key"]
        .to_str()
        .unwrap()
        .split(';')
        .find_map(|p| p.strip_prefix("dh="))
        .unwrap()
        .to_string();
    let payload: Value = serde_json::from_slice(
        &aesgcm::decrypt(
            fixed_key(&b64(UA_PRIVATE)),
            &b64(AUTH),
            &b64(&dh),
            &b64(&salt),
            &msg.body,
        )
        .unwrap(),
    )
    .unwrap();
    assert!(
        payload["body"]
            .as_str()
            .unwrap()
            .contains("hello in public"),
        "{payload}"
    );

    // Accepted: what waited enters the list, and bob is let through.
    let res = api
        .post(&format!("/api/v1/notifications/requests/{id}/accept"), &[])
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Value>().await.unwrap(), json!({}));
    let listed = texts(&api.json("/api/v1/notifications").await);
    assert!(listed.iter().any(|t| t.contains("secret")), "{listed:?}");
    assert_eq!(api.json("/api/v1/notifications/requests").await, json!([]));
    assert_eq!(
        api.json("/api/v1/notifications/requests/merged").await,
        json!({"merged": true})
    );
    bob_writes(&a, &b, "another secret", Visibility::Direct).await;
    let listed = texts(&api.json("/api/v1/notifications").await);
    assert!(
        listed.iter().any(|t| t.contains("another secret")),
        "{listed:?}"
    );
    let res = api
        .get(&format!("/api/v1/notifications/requests/{id}"))
        .await;
    assert_eq!(res.status(), 404);
}

#[tokio::test]
async fn dropped_notifications_are_not_kept_and_dismissed_requests_go() {
    let (a, b) = pair().await;
    let api = Api {
        s: &a,
        token: token(&a, "read write").await,
    };
    // Strangers dropped.
    let res = api
        .put_json(
            "/api/v2/notifications/policy",
            json!({"for_not_following": "drop"}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let v2: Value = res.json().await.unwrap();
    assert_eq!(v2["for_not_following"], "drop");
    assert_eq!(v2["for_limited_accounts"], "filter");
    let v1 = api.json("/api/v1/notifications/policy").await;
    assert_eq!(v1["filter_not_following"], true);
    assert_eq!(v1["filter_not_followers"], false);
    assert_eq!(v1["summary"]["pending_requests_count"], 0);

    bob_writes(&a, &b, "dropped words", Visibility::Public).await;
    assert_eq!(api.json("/api/v1/notifications").await, json!([]));
    assert_eq!(api.json("/api/v1/notifications/requests").await, json!([]));

    // The v1 form turns the drop into a filter.
    let res = client()
        .patch(a.url("/api/v1/notifications/policy"))
        .bearer_auth(&api.token)
        .form(&[("filter_not_following", "true")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(
        api.json("/api/v2/notifications/policy").await["for_not_following"],
        "filter"
    );
    bob_writes(&a, &b, "filtered words", Visibility::Public).await;
    let requests = api.json("/api/v1/notifications/requests").await;
    let id = requests[0]["id"].as_str().unwrap().to_string();
    assert_eq!(api.json("/api/v1/notifications").await, json!([]));

    // Dismissed in bulk: what waited is gone, bob is not let through.
    let res = api
        .post(
            "/api/v1/notifications/requests/dismiss",
            &[("id[]", id.as_str()), ("id[]", "12345")],
        )
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(api.json("/api/v1/notifications/requests").await, json!([]));
    let bob = a
        .state
        .store
        .account_by_acct(&format!("bob@{}", b.host))
        .unwrap()
        .unwrap();
    assert!(a.state.store.held_notifications(bob.id).unwrap().is_empty());
    bob_writes(&a, &b, "still filtered", Visibility::Public).await;
    assert_eq!(api.json("/api/v1/notifications").await, json!([]));
    assert_eq!(
        api.json("/api/v2/notifications/policy").await["summary"]["pending_requests_count"],
        1
    );

    // Bad input changes nothing and says why; reading needs the scope.
    let res = api
        .put_json(
            "/api/v2/notifications/policy",
            json!({"for_new_accounts": "sometimes", "for_not_following": "accept"}),
        )
        .await;
    assert_eq!(res.status(), 422);
    let v: Value = res.json().await.unwrap();
    assert!(
        v["error"].as_str().unwrap().contains("for_new_accounts"),
        "{v}"
    );
    assert_eq!(
        api.json("/api/v2/notifications/policy").await["for_not_following"],
        "filter"
    );
    let res = api
        .post("/api/v1/notifications/requests/accept", &[("id[]", "x")])
        .await;
    assert_eq!(res.status(), 422);
    let read_only = token(&a, "read").await;
    let res = client()
        .patch(a.url("/api/v2/notifications/policy"))
        .bearer_auth(&read_only)
        .form(&[("for_not_following", "accept")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
}
