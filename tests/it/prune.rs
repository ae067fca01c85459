//! Pruning forgets old remote posts nobody kept, and keeps every kind
//! of post the owner still has a reason to see, with the threads around
//! them; no timeline is left naming a post that is gone.

use crate::common::*;
use burrow::ops::{interactions, prune, statuses};
use burrow::store::relations::StatusRel;
use burrow::store::statuses::Visibility;
use burrow::store::timelines::{self, Page};

/// The status `s` stored for the post of `text` that arrived from afar.
async fn arrived(s: &TestServer, text: &str) -> u64 {
    let find = || {
        s.state
            .store
            .timeline_page(
                &timelines::home(),
                Page {
                    limit: 200,
                    ..Default::default()
                },
                |_| true,
            )
            .unwrap()
            .into_iter()
            .filter_map(|id| s.state.store.status(id).unwrap())
            .find(|st| st.content.contains(text))
            .map(|st| st.id)
    };
    eventually(text, || find().is_some()).await;
    find().unwrap()
}

fn post(text: &str) -> statuses::NewStatus {
    statuses::NewStatus {
        text: text.into(),
        visibility: Visibility::Public,
        ..Default::default()
    }
}

#[tokio::test]
async fn pruning_keeps_what_the_owner_touched_and_frees_the_rest() {
    let (a, b) = pair().await;
    follow_accepted(&a, &format!("bob@{}", b.host)).await;
    let mut on_b = std::collections::HashMap::new();
    for text in [
        "plain one",
        "plain two",
        "favourited",
        "bookmarked",
        "boosted",
        "replied to",
        "thread root",
    ] {
        let s = statuses::post(&b.state, post(text)).await.unwrap();
        on_b.insert(text, s.id);
    }
    let mut reply = post("thread reply");
    reply.in_reply_to_id = Some(on_b["thread root"]);
    statuses::post(&b.state, reply).await.unwrap();
    let mut mention = post(&format!("hello @alice@{}", a.host));
    mention.visibility = Visibility::Public;
    statuses::post(&b.state, mention).await.unwrap();

    let plain1 = arrived(&a, "plain one").await;
    let plain2 = arrived(&a, "plain two").await;
    let fav = arrived(&a, "favourited").await;
    let bookmarked = arrived(&a, "bookmarked").await;
    let boosted = arrived(&a, "boosted").await;
    let replied = arrived(&a, "replied to").await;
    let root = arrived(&a, "thread root").await;
    let thread_reply = arrived(&a, "thread reply").await;
    let mentioned = arrived(&a, "hello").await;
    interactions::favourite(&a.state, fav).await.unwrap();
    interactions::set_flag(&a.state, bookmarked, StatusRel::Bookmark, true)
        .await
        .unwrap();
    interactions::reblog(&a.state, boosted, None).await.unwrap();
    interactions::favourite(&a.state, thread_reply)
        .await
        .unwrap();
    let mut answer = post("my answer");
    answer.in_reply_to_id = Some(replied);
    let own = statuses::post(&a.state, answer).await.unwrap();

    // Nothing is old enough yet: a dry run at the configured age frees nothing.
    let report = prune::run_once(&a.state, false).await.unwrap();
    assert!(
        report.text(false).contains("0 to remove"),
        "{}",
        report.text(false)
    );

    // Everything counts as old: a dry run lists, and removes nothing.
    let later = burrow::time_fmt::now_ms() + 60_000;
    let dry = prune::prune_before(&a.state, later, false).await.unwrap();
    assert!(
        dry.text(false).contains("2 to remove"),
        "{}",
        dry.text(false)
    );
    assert!(a.state.store.status(plain1).unwrap().is_some());

    let done = prune::prune_before(&a.state, later, true).await.unwrap();
    assert!(done.text(true).contains("2 removed"), "{}", done.text(true));
    let client = client();
    let token = token(&a, "read").await;
    for (what, id) in [("plain one", plain1), ("plain two", plain2)] {
        assert!(
            a.state.store.status(id).unwrap().is_none(),
            "{what} was kept"
        );
        let res = client
            .get(a.url(&format!("/api/v1/statuses/{id}")))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 404, "{what}");
    }
    for (what, id) in [
        ("favourited", fav),
        ("bookmarked", bookmarked),
        ("boosted", boosted),
        ("replied to", replied),
        ("the owner's own", own.id),
        ("thread root of a favourited reply", root),
        ("favourited reply", thread_reply),
        ("mention", mentioned),
    ] {
        assert!(
            a.state.store.status(id).unwrap().is_some(),
            "{what} was pruned"
        );
    }
    // Every home timeline entry still names a status the API serves.
    let home: serde_json::Value = client
        .get(a.url("/api/v1/timelines/home?limit=40"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let ids = a
        .state
        .store
        .timeline_page(
            &timelines::home(),
            Page {
                limit: 200,
                ..Default::default()
            },
            |_| true,
        )
        .unwrap();
    for id in &ids {
        assert!(
            a.state.store.status(*id).unwrap().is_some(),
            "home names pruned {id}"
        );
    }
    assert!(!ids.contains(&plain1) && !ids.contains(&plain2));
    assert!(home.as_array().unwrap().len() >= 7, "{home}");
    // The thread still reads whole.
    let ctx: serde_json::Value = client
        .get(a.url(&format!("/api/v1/statuses/{thread_reply}/context")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(ctx["ancestors"][0]["id"], root.to_string(), "{ctx}");

    // A second prune finds nothing more.
    let again = prune::prune_before(&a.state, later, true).await.unwrap();
    assert!(
        again.text(true).contains("0 removed"),
        "{}",
        again.text(true)
    );
}
