//! An app posting, reading, editing and deleting statuses, threading
//! replies, and favouriting, boosting, bookmarking and pinning them.

use crate::common;
use common::*;
use serde_json::{json, Value};

/// Every key Mastodon's Status entity has.
const STATUS_KEYS: &[&str] = &[
    "id",
    "created_at",
    "in_reply_to_id",
    "in_reply_to_account_id",
    "sensitive",
    "spoiler_text",
    "visibility",
    "language",
    "uri",
    "url",
    "replies_count",
    "reblogs_count",
    "favourites_count",
    "edited_at",
    "favourited",
    "reblogged",
    "muted",
    "bookmarked",
    "pinned",
    "content",
    "filtered",
    "reblog",
    "application",
    "account",
    "media_attachments",
    "mentions",
    "tags",
    "emojis",
    "card",
    "poll",
];

fn assert_status(v: &Value) {
    for k in STATUS_KEYS {
        assert!(v.get(k).is_some(), "status lacks {k}: {v}");
    }
    assert!(v["id"].is_string());
    let created = v["created_at"].as_str().unwrap();
    assert!(
        created.len() == 24 && created.ends_with('Z') && created.as_bytes()[19] == b'.',
        "{created}"
    );
}

async fn post_status(api: &Api<'_>, form: &[(&str, &str)]) -> Value {
    let res = api.post("/api/v1/statuses", form).await;
    let status = res.status();
    let body = res.text().await.unwrap();
    assert_eq!(status, 200, "{body}");
    serde_json::from_str(&body).unwrap()
}

fn status_count(s: &TestServer) -> u64 {
    s.state
        .store
        .owner_account()
        .unwrap()
        .unwrap()
        .statuses_count
}

#[tokio::test]
async fn post_read_edit_history_source_delete() {
    let s = TestServer::start().await;
    let api = Api {
        s: &s,
        token: token(&s, "read write").await,
    };
    let st = post_status(
        &api,
        &[
            ("status", "hello #world"),
            ("visibility", "public"),
            ("language", "en"),
        ],
    )
    .await;
    assert_status(&st);
    assert_eq!(st["visibility"], "public");
    assert_eq!(st["language"], "en");
    assert_eq!(st["application"]["name"], "Test App");
    assert_eq!(st["tags"][0]["name"], "world");
    assert_eq!(st["account"]["username"], "alice");
    assert!(st["content"].as_str().unwrap().contains("hello"));
    let id = st["id"].as_str().unwrap().to_string();

    // Readable with the token and, being public, without one.
    let got = api.json(&format!("/api/v1/statuses/{id}")).await;
    assert_eq!(got["id"], st["id"]);
    let anon = client()
        .get(s.url(&format!("/api/v1/statuses/{id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(anon.status(), 200);

    // Edit: content changes, edited_at set, history has both versions.
    let res = api
        .put_json(
            &format!("/api/v1/statuses/{id}"),
            json!({"status": "hello again", "spoiler_text": "cw"}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let edited: Value = res.json().await.unwrap();
    assert_status(&edited);
    assert!(edited["content"].as_str().unwrap().contains("hello again"));
    assert!(edited["edited_at"].is_string());
    assert_eq!(edited["spoiler_text"], "cw");
    assert_eq!(edited["sensitive"], true);

    let history = api.json(&format!("/api/v1/statuses/{id}/history")).await;
    let h = history.as_array().unwrap();
    assert_eq!(h.len(), 2);
    for v in h {
        for k in [
            "content",
            "spoiler_text",
            "sensitive",
            "created_at",
            "account",
            "poll",
            "media_attachments",
            "emojis",
        ] {
            assert!(v.get(k).is_some(), "edit lacks {k}: {v}");
        }
    }
    assert!(h[0]["content"].as_str().unwrap().contains("#"));
    assert!(h[1]["content"].as_str().unwrap().contains("hello again"));
    assert_eq!(h[1]["spoiler_text"], "cw");

    let src = api.json(&format!("/api/v1/statuses/{id}/source")).await;
    assert_eq!(
        src,
        json!({"id": id, "text": "hello again", "spoiler_text": "cw"})
    );

    // Delete returns the text for redrafting; then the status is gone.
    let res = api.delete(&format!("/api/v1/statuses/{id}")).await;
    assert_eq!(res.status(), 200);
    let deleted: Value = res.json().await.unwrap();
    assert_eq!(deleted["text"], "hello again");
    assert_eq!(deleted["id"], id.as_str());
    let res = api.get(&format!("/api/v1/statuses/{id}")).await;
    assert_eq!(res.status(), 404);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"], "Record not found");
    assert_eq!(
        api.delete(&format!("/api/v1/statuses/{id}")).await.status(),
        404
    );
}

#[tokio::test]
async fn idempotency_content_warnings_and_private_posts() {
    let s = TestServer::start().await;
    let api = Api {
        s: &s,
        token: token(&s, "read write").await,
    };
    let send = |key: &'static str| {
        client()
            .post(s.url("/api/v1/statuses"))
            .bearer_auth(&api.token)
            .header("Idempotency-Key", key)
            .json(&json!({"status": "once only", "spoiler_text": "spoilers", "visibility": "private"}))
            .send()
    };
    let a: Value = send("k-1").await.unwrap().json().await.unwrap();
    let b: Value = send("k-1").await.unwrap().json().await.unwrap();
    assert_eq!(a["id"], b["id"]);
    assert_eq!(status_count(&s), 1);
    assert_eq!(a["spoiler_text"], "spoilers");
    assert_eq!(a["sensitive"], true);
    assert_eq!(a["visibility"], "private");
    let c: Value = send("k-2").await.unwrap().json().await.unwrap();
    assert_ne!(a["id"], c["id"]);

    // Followers-only posts are not shown to visitors without a token.
    let res = client()
        .get(s.url(&format!("/api/v1/statuses/{}", a["id"].as_str().unwrap())))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
}

#[tokio::test]
async fn replies_thread_into_context() {
    let s = TestServer::start().await;
    let api = Api {
        s: &s,
        token: token(&s, "read write").await,
    };
    let root = post_status(&api, &[("status", "root")]).await;
    let rid = root["id"].as_str().unwrap();
    let r1 = post_status(&api, &[("status", "reply one"), ("in_reply_to_id", rid)]).await;
    let r1id = r1["id"].as_str().unwrap();
    assert_eq!(r1["in_reply_to_id"], rid);
    assert_eq!(r1["in_reply_to_account_id"], root["account"]["id"]);
    let r11 = post_status(
        &api,
        &[("status", "reply to one"), ("in_reply_to_id", r1id)],
    )
    .await;
    let r2 = post_status(&api, &[("status", "reply two"), ("in_reply_to_id", rid)]).await;

    let ctx = api.json(&format!("/api/v1/statuses/{rid}/context")).await;
    assert_eq!(ctx["ancestors"], json!([]));
    let d: Vec<&str> = ctx["descendants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["id"].as_str().unwrap())
        .collect();
    // Thread order: a reply, then its replies, then the next reply.
    assert_eq!(
        d,
        [
            r1id,
            r11["id"].as_str().unwrap(),
            r2["id"].as_str().unwrap()
        ]
    );
    let ctx = api
        .json(&format!(
            "/api/v1/statuses/{}/context",
            r11["id"].as_str().unwrap()
        ))
        .await;
    let a: Vec<&str> = ctx["ancestors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["id"].as_str().unwrap())
        .collect();
    assert_eq!(a, [rid, r1id]);
    assert_eq!(ctx["descendants"], json!([]));
    let root = api.json(&format!("/api/v1/statuses/{rid}")).await;
    assert_eq!(root["replies_count"], 2);

    // Replying to something that does not exist stores nothing.
    let before = status_count(&s);
    let res = api
        .post(
            "/api/v1/statuses",
            &[("status", "lost"), ("in_reply_to_id", "123456")],
        )
        .await;
    assert_eq!(res.status(), 404);
    assert_eq!(status_count(&s), before);
}

#[tokio::test]
async fn favourite_boost_bookmark_pin_and_undo() {
    let s = TestServer::start().await;
    let api = Api {
        s: &s,
        token: token(&s, "read write").await,
    };
    let st = post_status(&api, &[("status", "like me")]).await;
    let id = st["id"].as_str().unwrap().to_string();
    let act = |what: &str| format!("/api/v1/statuses/{id}/{what}");
    let post_ok = |what: String| {
        let api = &api;
        async move {
            let res = api.post(&what, &[]).await;
            let status = res.status();
            let body = res.text().await.unwrap();
            assert_eq!(status, 200, "{what}: {body}");
            serde_json::from_str::<Value>(&body).unwrap()
        }
    };

    let v = post_ok(act("favourite")).await;
    assert_eq!(v["favourited"], true);
    assert_eq!(v["favourites_count"], 1);
    let by = api.json(&act("favourited_by")).await;
    assert_eq!(by.as_array().unwrap().len(), 1);
    assert_eq!(by[0]["username"], "alice");
    let v = post_ok(act("unfavourite")).await;
    assert_eq!(v["favourited"], false);
    assert_eq!(v["favourites_count"], 0);
    assert_eq!(api.json(&act("favourited_by")).await, json!([]));

    // A boost is a status of its own wrapping the original.
    let boost = post_ok(act("reblog")).await;
    assert_status(&boost);
    assert_ne!(boost["id"], id.as_str());
    assert_eq!(boost["reblog"]["id"], id.as_str());
    assert_eq!(boost["reblog"]["reblogged"], true);
    assert_eq!(boost["reblogged"], true);
    let by = api.json(&act("reblogged_by")).await;
    assert_eq!(by[0]["username"], "alice");
    let orig = post_ok(act("unreblog")).await;
    assert_eq!(orig["id"], id.as_str());
    assert_eq!(orig["reblogged"], false);
    assert_eq!(orig["reblogs_count"], 0);
    let gone = api
        .get(&format!(
            "/api/v1/statuses/{}",
            boost["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(gone.status(), 404);

    for (on, off, key) in [
        ("bookmark", "unbookmark", "bookmarked"),
        ("pin", "unpin", "pinned"),
        ("mute", "unmute", "muted"),
    ] {
        post_ok(act(on)).await;
        let v = api.json(&format!("/api/v1/statuses/{id}")).await;
        assert_eq!(v[key], true, "{on}");
        post_ok(act(off)).await;
        let v = api.json(&format!("/api/v1/statuses/{id}")).await;
        assert_eq!(v[key], false, "{off}");
    }
    assert_eq!(
        api.post("/api/v1/statuses/999/favourite", &[])
            .await
            .status(),
        404
    );
}

#[tokio::test]
async fn errors_scopes_and_nothing_stored_on_failure() {
    let s = TestServer::start().await;
    let reader = Api {
        s: &s,
        token: token(&s, "read").await,
    };
    let writer = Api {
        s: &s,
        token: token(&s, "write:statuses read:statuses").await,
    };
    // Missing scope.
    let res = reader.post("/api/v1/statuses", &[("status", "x")]).await;
    assert_eq!(res.status(), 403);
    // Bad token.
    let res = client()
        .post(s.url("/api/v1/statuses"))
        .bearer_auth("not-a-token")
        .form(&[("status", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    // No token at all.
    let res = client()
        .post(s.url("/api/v1/statuses"))
        .form(&[("status", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    // Malformed input: empty, too long, bad visibility, bad poll.
    let long = "x".repeat(501);
    for form in [
        vec![("status", "")],
        vec![("status", long.as_str())],
        vec![("status", "x"), ("visibility", "everyone")],
        vec![
            ("status", "x"),
            ("poll[options][]", "only one"),
            ("poll[expires_in]", "3600"),
        ],
        vec![
            ("status", "x"),
            ("poll[options][]", "a"),
            ("poll[options][]", "b"),
        ],
        vec![("status", "x"), ("media_ids[]", "abc")],
        vec![("status", "x"), ("sensitive", "perhaps")],
    ] {
        let res = writer.post("/api/v1/statuses", &form).await;
        assert_eq!(res.status(), 422, "{form:?}");
        let body: Value = res.json().await.unwrap();
        assert!(body["error"].as_str().is_some_and(|e| !e.is_empty()));
    }
    let res = client()
        .post(s.url("/api/v1/statuses"))
        .bearer_auth(&writer.token)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert!(res.status().is_client_error());
    assert_eq!(status_count(&s), 0);

    // A poll that is well formed is stored with the post.
    let st = post_status(
        &writer,
        &[
            ("status", "which?"),
            ("poll[options][]", "a"),
            ("poll[options][]", "b"),
            ("poll[expires_in]", "3600"),
        ],
    )
    .await;
    assert_eq!(st["poll"]["options"].as_array().unwrap().len(), 2);
    assert_eq!(st["poll"]["expired"], false);

    // Unknown and malformed ids.
    assert_eq!(writer.get("/api/v1/statuses/12345").await.status(), 404);
    assert_eq!(writer.get("/api/v1/statuses/abc").await.status(), 404);
    assert_eq!(
        writer.get("/api/v1/statuses/12345/context").await.status(),
        404
    );
    // Editing someone else's or nothing: 404, and nothing changes.
    let res = writer
        .put_json("/api/v1/statuses/12345", json!({"status": "x"}))
        .await;
    assert_eq!(res.status(), 404);
    // Reading the multiple-status form returns what exists.
    let id = st["id"].as_str().unwrap();
    let many = writer
        .json(&format!("/api/v1/statuses?id[]={id}&id[]=42"))
        .await;
    assert_eq!(many.as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn polls_count_local_votes_once() {
    let s = TestServer::start().await;
    let api = Api {
        s: &s,
        token: token(&s, "read write").await,
    };
    let st = post_status(
        &api,
        &[
            ("status", "pick"),
            ("poll[options][]", "red"),
            ("poll[options][]", "blue"),
            ("poll[expires_in]", "600"),
        ],
    )
    .await;
    let id = st["id"].as_str().unwrap();
    let poll = api.json(&format!("/api/v1/polls/{id}")).await;
    assert_eq!(poll["voted"], false);
    assert_eq!(poll["id"], id);
    for bad in [
        vec![("choices[]", "5")],
        vec![("choices[]", "0"), ("choices[]", "1")],
        vec![],
    ] {
        let res = api.post(&format!("/api/v1/polls/{id}/votes"), &bad).await;
        assert_eq!(res.status(), 422, "{bad:?}");
    }
    let res = api
        .post(&format!("/api/v1/polls/{id}/votes"), &[("choices[]", "1")])
        .await;
    assert_eq!(res.status(), 200);
    let voted: Value = res.json().await.unwrap();
    assert_eq!(voted["voted"], true);
    assert_eq!(voted["own_votes"], json!([1]));
    assert_eq!(voted["votes_count"], 1);
    assert_eq!(voted["options"][1]["votes_count"], 1);
    let again = api
        .post(&format!("/api/v1/polls/{id}/votes"), &[("choices[]", "0")])
        .await;
    assert_eq!(again.status(), 422);
    assert_eq!(api.get("/api/v1/polls/4242").await.status(), 404);
}

#[tokio::test]
async fn a_vote_in_a_remote_poll_reaches_its_author() {
    let (a, b) = pair().await;
    follow_accepted(&a, &format!("bob@{}", b.host)).await;
    let poll = burrow::ops::statuses::post(
        &b.state,
        burrow::ops::statuses::NewStatus {
            text: "tea or coffee".into(),
            poll: Some(burrow::ops::statuses::NewPoll {
                options: vec!["tea".into(), "coffee".into()],
                expires_in_secs: 3600,
                multiple: false,
            }),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let mut on_a = None;
    eventually("the poll arrives", || {
        on_a = a.state.store.status_by_uri(&poll.uri).unwrap();
        on_a.is_some()
    })
    .await;
    let api = Api {
        s: &a,
        token: token(&a, "read write").await,
    };
    let res = api
        .post(
            &format!("/api/v1/polls/{}/votes", on_a.unwrap().id),
            &[("choices[]", "1")],
        )
        .await;
    assert_eq!(res.status(), 200);
    let v: Value = res.json().await.unwrap();
    assert_eq!(v["own_votes"], json!([1]));
    // bob's server counts the vote (a Note named "coffee") on the option,
    // and keeps it out of the thread.
    eventually("the vote reaches bob's server", || {
        stored_poll(&b, poll.id).voters_count == 1
    })
    .await;
    let p = stored_poll(&b, poll.id);
    assert_eq!((p.options[0].votes, p.options[1].votes), (0, 1));
    assert!(b.state.store.replies(poll.id).unwrap().is_empty());
}

#[tokio::test]
async fn refused_actions_change_nothing() {
    let s = TestServer::start().await;
    let writer = Api {
        s: &s,
        token: token(&s, "read write").await,
    };
    let reader = Api {
        s: &s,
        token: token(&s, "read").await,
    };
    let bad = Api {
        s: &s,
        token: "not-a-token".into(),
    };
    let st = post_status(&writer, &[("status", "keep me as I am")]).await;
    let id = st["id"].as_str().unwrap().to_string();
    let path = format!("/api/v1/statuses/{id}");

    // A read-only token may do none of the actions; a bad token none.
    for action in [
        "favourite",
        "reblog",
        "bookmark",
        "pin",
        "mute",
        "unfavourite",
        "unreblog",
        "unbookmark",
        "unpin",
        "unmute",
    ] {
        let p = format!("{path}/{action}");
        assert_eq!(reader.post(&p, &[]).await.status(), 403, "{action}");
        assert_eq!(bad.post(&p, &[]).await.status(), 401, "{action}");
    }
    let res = reader.put_json(&path, json!({"status": "changed"})).await;
    assert_eq!(res.status(), 403);
    assert_eq!(reader.delete(&path).await.status(), 403);
    assert_eq!(bad.delete(&path).await.status(), 401);
    let now = writer.json(&path).await;
    for key in ["favourited", "reblogged", "bookmarked", "pinned", "muted"] {
        assert_eq!(now[key], false, "{key}");
    }
    assert_eq!(now["content"], st["content"]);
    assert_eq!(status_count(&s), 1);

    // A malformed edit is refused and leaves no revision behind.
    let long = "x".repeat(501);
    for body in [
        json!({"status": ""}),
        json!({"status": long}),
        json!({"status": "x", "sensitive": "perhaps"}),
        json!({"status": "x", "media_ids": ["abc"]}),
        json!({"status": "x", "poll": {"options": ["one"], "expires_in": 600}}),
    ] {
        let res = writer.put_json(&path, body.clone()).await;
        assert_eq!(res.status(), 422, "{body}");
        let err: Value = res.json().await.unwrap();
        assert!(err["error"].as_str().is_some_and(|e| !e.is_empty()));
    }
    let now = writer.json(&path).await;
    assert_eq!(now["content"], st["content"]);
    assert!(now["edited_at"].is_null());
    let history = writer.json(&format!("{path}/history")).await;
    assert_eq!(history.as_array().unwrap().len(), 1);

    // Unknown statuses, for every action and list.
    for sub in [
        "",
        "/history",
        "/source",
        "/context",
        "/reblogged_by",
        "/favourited_by",
    ] {
        let p = format!("/api/v1/statuses/4242{sub}");
        let res = writer.get(&p).await;
        assert_eq!(res.status(), 404, "{p}");
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["error"], "Record not found", "{p}");
    }
    for action in [
        "reblog",
        "unreblog",
        "bookmark",
        "unbookmark",
        "pin",
        "unpin",
        "mute",
        "unmute",
        "unfavourite",
    ] {
        let p = format!("/api/v1/statuses/4242/{action}");
        assert_eq!(writer.post(&p, &[]).await.status(), 404, "{p}");
    }
    assert_eq!(status_count(&s), 1);
}

#[tokio::test]
async fn a_poll_that_ended_while_the_server_was_stopped_is_announced_at_start() {
    let s = TestServer::start().await;
    let token = token(&s, "read write").await;
    let api = Api {
        s: &s,
        token: token.clone(),
    };
    let st = post_status(
        &api,
        &[
            ("status", "lunch?"),
            ("poll[options][]", "soup"),
            ("poll[options][]", "salad"),
            ("poll[expires_in]", "300"),
        ],
    )
    .await;
    let id: u64 = st["id"].as_str().unwrap().parse().unwrap();
    let dir = s.stop().await;

    // While stopped, the poll's end passes: the API holds polls open for
    // five minutes at least, so the test moves the end in the store.
    {
        let mut config = burrow::config::Config::default();
        config.storage.cache_mib = 4;
        let store = burrow::server::open_store(dir.path(), &config).unwrap();
        let past = burrow::time_fmt::now_ms() - 1_000;
        store
            .transact(|tx| {
                let mut s = tx.status(id)?.unwrap();
                s.poll.as_mut().unwrap().expires_at_ms = Some(past);
                tx.update_status(&s)
            })
            .unwrap();
        store.flush_sync().unwrap();
    }

    let s = TestServer::start_in(dir, TestOptions::default()).await;
    let api = Api { s: &s, token };
    eventually("the poll's end is handled after the start", || {
        s.state
            .store
            .notification_page(
                burrow::store::timelines::Page {
                    limit: 20,
                    ..Default::default()
                },
                |n| n.kind == "poll",
            )
            .is_ok_and(|n| !n.is_empty())
    })
    .await;
    let id = id.to_string();
    let notes = api.json("/api/v1/notifications").await;
    let polls: Vec<&Value> = notes
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["type"] == "poll")
        .collect();
    assert_eq!(polls.len(), 1, "one poll notification: {notes}");
    assert_eq!(polls[0]["status"]["id"], id.as_str());
    assert_eq!(polls[0]["account"]["username"], "alice");
    let poll = api.json(&format!("/api/v1/polls/{id}")).await;
    assert_eq!(poll["expired"], true);
}
