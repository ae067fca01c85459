//! Scheduled statuses: an app schedules a post, reads, moves and cancels
//! it, and the post is published once, on time, across restarts.

use crate::common;
use burrow::store::scheduled::{Due, ScheduledStatus};
use burrow::time_fmt::{iso8601_ms, now_ms};
use common::*;
use serde_json::{json, Value};

const MINUTE_MS: i64 = 60 * 1000;

async fn ok_json(res: reqwest::Response) -> Value {
    let status = res.status();
    let body = res.text().await.unwrap();
    assert_eq!(status, 200, "{body}");
    serde_json::from_str(&body).unwrap()
}

async fn home_texts(api: &Api<'_>) -> Vec<String> {
    api.json("/api/v1/timelines/home")
        .await
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["content"].as_str().unwrap().to_string())
        .collect()
}

fn scheduled_count(s: &TestServer) -> usize {
    s.state.store.scheduled_statuses().unwrap().len()
}

#[tokio::test]
async fn an_app_schedules_reads_moves_and_cancels_a_post() {
    let s = TestServer::start().await;
    let api = Api {
        s: &s,
        token: token(&s, "read write").await,
    };
    let at = iso8601_ms(now_ms() + 60 * MINUTE_MS);
    let sched = ok_json(
        api.post_json(
            "/api/v1/statuses",
            json!({"status": "later", "scheduled_at": at, "visibility": "unlisted",
                   "spoiler_text": "cw", "in_reply_to_id": null,
                   "poll": {"options": ["a", "b"], "expires_in": 600}}),
        )
        .await,
    )
    .await;
    assert!(sched["id"].is_string());
    assert_eq!(sched["scheduled_at"], at.as_str());
    let params = &sched["params"];
    assert_eq!(params["text"], "later");
    assert_eq!(params["visibility"], "unlisted");
    assert_eq!(params["spoiler_text"], "cw");
    assert_eq!(params["poll"]["options"], json!(["a", "b"]));
    assert_eq!(params["poll"]["expires_in"], 600);
    assert!(params["media_ids"].is_null());
    assert_eq!(sched["media_attachments"], json!([]));
    // Nothing is posted yet.
    assert!(home_texts(&api).await.is_empty());

    let id = sched["id"].as_str().unwrap();
    let list = api.json("/api/v1/scheduled_statuses").await;
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["id"], id);
    assert_eq!(
        api.json(&format!("/api/v1/scheduled_statuses/{id}")).await["params"]["text"],
        "later"
    );

    let later = iso8601_ms(now_ms() + 120 * MINUTE_MS);
    let moved = ok_json(
        api.put_json(
            &format!("/api/v1/scheduled_statuses/{id}"),
            json!({ "scheduled_at": later }),
        )
        .await,
    )
    .await;
    assert_eq!(moved["scheduled_at"], later.as_str());
    let next = s.state.store.next_scheduled().unwrap().unwrap();
    assert_eq!(iso8601_ms(next.due_ms), later);

    // Moving it too close is refused as at creation.
    let res = api
        .put_json(
            &format!("/api/v1/scheduled_statuses/{id}"),
            json!({ "scheduled_at": iso8601_ms(now_ms() + MINUTE_MS) }),
        )
        .await;
    assert_eq!(res.status(), 422);

    assert_eq!(
        api.delete(&format!("/api/v1/scheduled_statuses/{id}"))
            .await
            .status(),
        200
    );
    assert_eq!(scheduled_count(&s), 0);
    assert!(s.state.store.next_scheduled().unwrap().is_none());
    for path in [
        format!("/api/v1/scheduled_statuses/{id}"),
        "/api/v1/scheduled_statuses/x".into(),
    ] {
        let res = api.get(&path).await;
        assert_eq!(res.status(), 404);
        assert!(res.json::<Value>().await.unwrap()["error"].is_string());
    }
    assert_eq!(
        api.delete(&format!("/api/v1/scheduled_statuses/{id}"))
            .await
            .status(),
        404
    );
}

#[tokio::test]
async fn too_soon_is_refused_and_a_past_time_posts_now() {
    let s = TestServer::start().await;
    let api = Api {
        s: &s,
        token: token(&s, "read write").await,
    };
    let soon = iso8601_ms(now_ms() + 4 * MINUTE_MS);
    let res = api
        .post(
            "/api/v1/statuses",
            &[("status", "soon"), ("scheduled_at", &soon)],
        )
        .await;
    assert_eq!(res.status(), 422);
    assert_eq!(
        res.json::<Value>().await.unwrap()["error"],
        "Validation failed: Scheduled at The scheduled date must be in the future"
    );
    let res = api
        .post(
            "/api/v1/statuses",
            &[("status", "when?"), ("scheduled_at", "tomorrow")],
        )
        .await;
    assert_eq!(res.status(), 422);
    assert!(res.json::<Value>().await.unwrap()["error"].is_string());
    assert_eq!(scheduled_count(&s), 0);
    assert!(home_texts(&api).await.is_empty());

    // Mastodon posts at once when the time has passed already.
    let past = iso8601_ms(now_ms() - MINUTE_MS);
    let posted = ok_json(
        api.post(
            "/api/v1/statuses",
            &[("status", "now"), ("scheduled_at", &past)],
        )
        .await,
    )
    .await;
    assert!(posted["content"].as_str().unwrap().contains("now"));
    assert_eq!(scheduled_count(&s), 0);
}

#[tokio::test]
async fn a_day_holds_at_most_25_scheduled_posts() {
    let s = TestServer::start().await;
    let api = Api {
        s: &s,
        token: token(&s, "read write").await,
    };
    // Noon, two days ahead: every post falls on the same UTC day.
    let day = (now_ms() / 86_400_000 + 2) * 86_400_000 + 12 * 60 * MINUTE_MS;
    for i in 0..25 {
        let at = iso8601_ms(day + i * MINUTE_MS);
        ok_json(
            api.post(
                "/api/v1/statuses",
                &[("status", "many"), ("scheduled_at", &at)],
            )
            .await,
        )
        .await;
    }
    let res = api
        .post(
            "/api/v1/statuses",
            &[("status", "one more"), ("scheduled_at", &iso8601_ms(day))],
        )
        .await;
    assert_eq!(res.status(), 422);
    assert!(res.json::<Value>().await.unwrap()["error"]
        .as_str()
        .unwrap()
        .contains("25 scheduled posts for today"));
    // The next day still has room.
    ok_json(
        api.post(
            "/api/v1/statuses",
            &[
                ("status", "next day"),
                ("scheduled_at", &iso8601_ms(day + 86_400_000)),
            ],
        )
        .await,
    )
    .await;
    assert_eq!(scheduled_count(&s), 26);
    let page = api.get("/api/v1/scheduled_statuses?limit=10").await;
    assert!(page.headers().get("link").is_some());
    assert_eq!(
        page.json::<Value>()
            .await
            .unwrap()
            .as_array()
            .unwrap()
            .len(),
        10
    );
}

#[tokio::test]
async fn media_are_held_for_the_scheduled_post_and_published_with_it() {
    let s = TestServer::start().await;
    let api = Api {
        s: &s,
        token: token(&s, "read write").await,
    };
    let form = reqwest::multipart::Form::new().part("file", png_part(png(8, 8), "a.png"));
    let media: Value = client()
        .post(s.url("/api/v2/media"))
        .bearer_auth(&api.token)
        .multipart(form)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let media_id = media["id"].as_str().unwrap().to_string();
    let at = iso8601_ms(now_ms() + 60 * MINUTE_MS);
    let sched = ok_json(
        api.post(
            "/api/v1/statuses",
            &[
                ("status", "with a picture"),
                ("scheduled_at", &at),
                ("media_ids[]", &media_id),
            ],
        )
        .await,
    )
    .await;
    assert_eq!(sched["params"]["media_ids"], json!([media_id]));
    assert_eq!(sched["media_attachments"][0]["id"], media_id.as_str());

    // Another post cannot take the upload meanwhile.
    let res = api
        .post(
            "/api/v1/statuses",
            &[("status", "thief"), ("media_ids[]", &media_id)],
        )
        .await;
    assert_eq!(res.status(), 422, "{}", res.text().await.unwrap());
    // Nor is it swept as a stray upload.
    let swept = burrow::ops::media::sweep_unattached(&s.state, now_ms() + 30 * 86_400_000)
        .await
        .unwrap();
    assert_eq!(swept, 0);

    // Due now: the worker publishes it with the picture.
    let id: u64 = sched["id"].as_str().unwrap().parse().unwrap();
    make_due(&s, id);
    eventually("the scheduled post is published", || {
        scheduled_count(&s) == 0
    })
    .await;
    let home = api.json("/api/v1/timelines/home").await;
    assert_eq!(home.as_array().unwrap().len(), 1, "{home}");
    assert_eq!(home[0]["media_attachments"][0]["id"], media_id.as_str());
}

/// Moves a scheduled status's time into the past, as the clock would,
/// and wakes the worker as any schedule change does.
fn make_due(s: &TestServer, id: u64) {
    let store = &s.state.store;
    let mut rec = store.scheduled_status(id).unwrap().unwrap();
    rec.scheduled_at_ms = now_ms() - 1_000;
    store.transact(|tx| tx.put_scheduled(&rec)).unwrap();
    s.state.scheduled_wake.notify_one();
}

#[tokio::test]
async fn publishing_again_after_a_crash_posts_once() {
    let s = TestServer::start().await;
    let api = Api {
        s: &s,
        token: token(&s, "read write").await,
    };
    let rec = ScheduledStatus {
        id: s.state.store.next_id(),
        // Far off, so the worker leaves it to the test.
        scheduled_at_ms: now_ms() + 600 * MINUTE_MS,
        text: "exactly once".into(),
        ..Default::default()
    };
    let due = Due {
        due_ms: rec.scheduled_at_ms,
        id: rec.id,
    };
    s.state.store.transact(|tx| tx.put_scheduled(&rec)).unwrap();
    burrow::ops::scheduled::publish(&s.state, due)
        .await
        .unwrap();
    assert_eq!(scheduled_count(&s), 0);
    // A crash after the post but before the entry left the schedule
    // leaves the entry there: the next start publishes it again.
    s.state.store.transact(|tx| tx.put_scheduled(&rec)).unwrap();
    burrow::ops::scheduled::publish(&s.state, due)
        .await
        .unwrap();
    assert_eq!(scheduled_count(&s), 0);
    let texts = home_texts(&api).await;
    assert_eq!(texts.len(), 1, "{texts:?}");
}

#[tokio::test]
async fn a_scheduled_post_survives_a_restart_and_is_published_after_it() {
    let s = TestServer::start().await;
    let token = token(&s, "read write").await;
    let api = Api {
        s: &s,
        token: token.clone(),
    };
    let at = iso8601_ms(now_ms() + 60 * MINUTE_MS);
    let sched = ok_json(
        api.post(
            "/api/v1/statuses",
            &[("status", "after the restart"), ("scheduled_at", &at)],
        )
        .await,
    )
    .await;
    let id: u64 = sched["id"].as_str().unwrap().parse().unwrap();
    let dir = s.stop().await;

    // While stopped, its time passes.
    {
        let mut config = burrow::config::Config::default();
        config.storage.cache_mib = 4;
        let store = burrow::server::open_store(dir.path(), &config).unwrap();
        let mut rec = store.scheduled_status(id).unwrap().unwrap();
        assert_eq!(iso8601_ms(rec.scheduled_at_ms), at);
        rec.scheduled_at_ms = now_ms() - MINUTE_MS;
        store.transact(|tx| tx.put_scheduled(&rec)).unwrap();
        store.flush_sync().unwrap();
    }

    let s = TestServer::start_in(dir, TestOptions::default()).await;
    let api = Api { s: &s, token };
    eventually("the overdue post is published at start", || {
        scheduled_count(&s) == 0
    })
    .await;
    let home = api.json("/api/v1/timelines/home").await;
    assert_eq!(home.as_array().unwrap().len(), 1, "{home}");
    assert!(home[0]["content"]
        .as_str()
        .unwrap()
        .contains("after the restart"));
    assert_eq!(api.json("/api/v1/scheduled_statuses").await, json!([]));
}
