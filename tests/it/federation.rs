//! Two Burrow instances federating over loopback: follows, posts with
//! every visibility, replies, likes, boosts, edits, deletes, blocks.

use crate::common;
use burrow::ops::{follows, interactions, statuses};
use burrow::store::relations::Rel;
use burrow::store::statuses::Visibility;
use burrow::store::timelines::{self, Page};
use common::*;

fn home(s: &TestServer) -> Vec<u64> {
    s.state
        .store
        .timeline_page(
            &timelines::home(),
            Page {
                limit: 40,
                ..Default::default()
            },
            |_| true,
        )
        .unwrap()
}

fn home_texts(s: &TestServer) -> Vec<String> {
    home(s)
        .into_iter()
        .filter_map(|id| s.state.store.status(id).unwrap())
        .map(|st| st.content)
        .collect()
}

fn post(text: &str, visibility: Visibility) -> statuses::NewStatus {
    statuses::NewStatus {
        text: text.into(),
        visibility,
        ..Default::default()
    }
}

#[tokio::test]
async fn follow_is_accepted_and_posts_arrive_with_their_visibility() {
    let (a, b) = pair().await;
    let bob_id = follow_accepted(&a, &format!("bob@{}", b.host)).await.id;
    // bob's side knows alice as a follower.
    let alice_on_b = b
        .state
        .store
        .account_by_uri(&a.url("/users/alice"))
        .unwrap()
        .unwrap();
    assert!(b
        .state
        .store
        .has_relation(Rel::FollowedBy, alice_on_b.id)
        .unwrap());
    assert_eq!(
        b.state
            .store
            .owner_account()
            .unwrap()
            .unwrap()
            .followers_count,
        1
    );

    for (text, vis) in [
        ("public hello", Visibility::Public),
        ("unlisted hello", Visibility::Unlisted),
        ("followers hello", Visibility::Private),
    ] {
        statuses::post(&b.state, post(text, vis)).await.unwrap();
        eventually(text, || home_texts(&a).iter().any(|c| c.contains(text))).await;
        let st = home(&a)
            .into_iter()
            .filter_map(|id| a.state.store.status(id).unwrap())
            .find(|s| s.content.contains(text))
            .unwrap();
        assert_eq!(st.visibility, vis, "{text}");
        assert_eq!(st.account_id, bob_id);
    }
}

#[tokio::test]
async fn a_reply_with_a_mention_notifies_and_likes_and_boosts_arrive() {
    let (a, b) = pair().await;
    follow_accepted(&a, &format!("bob@{}", b.host)).await;
    let mine = statuses::post(&a.state, post("hello bob", Visibility::Public))
        .await
        .unwrap();
    // bob resolves alice's post by URL and replies mentioning her.
    let doc = burrow::federation::fetch_object(&b.state, &mine.uri)
        .await
        .expect("fetch alice's note");
    let on_b = burrow::ops::inbound::store_remote_status(&b.state, &doc, 1)
        .await
        .unwrap()
        .unwrap();
    let reply = statuses::post(
        &b.state,
        statuses::NewStatus {
            text: format!("@alice@{} hi back", a.host),
            in_reply_to_id: Some(on_b.id),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(reply.mentions.len(), 1);
    let mention_arrived = || {
        a.state
            .store
            .notification_page(
                Page {
                    limit: 20,
                    ..Default::default()
                },
                |n| n.kind == "mention",
            )
            .unwrap()
            .len()
            == 1
    };
    eventually("alice is notified of the mention", mention_arrived).await;

    interactions::favourite(&b.state, on_b.id).await.unwrap();
    interactions::reblog(&b.state, on_b.id, None).await.unwrap();
    eventually("like and boost arrive", || {
        let s = a.state.store.status(mine.id).unwrap().unwrap();
        s.favourites_count == 1 && s.reblogs_count == 1
    })
    .await;
    let kinds = || -> Vec<String> {
        a.state
            .store
            .notification_page(
                Page {
                    limit: 20,
                    ..Default::default()
                },
                |_| true,
            )
            .unwrap()
            .into_iter()
            .map(|n| n.kind)
            .collect()
    };
    eventually("favourite and reblog notifications", || {
        let k = kinds();
        k.contains(&"favourite".to_string()) && k.contains(&"reblog".to_string())
    })
    .await;
    // The reply is threaded under alice's post.
    let replies = a.state.store.replies(mine.id).unwrap();
    assert_eq!(replies.len(), 1);
}

#[tokio::test]
async fn edits_keep_history_and_deletes_remove_from_timelines() {
    let (a, b) = pair().await;
    follow_accepted(&a, &format!("bob@{}", b.host)).await;
    let st = statuses::post(&b.state, post("first version", Visibility::Public))
        .await
        .unwrap();
    eventually("post arrives", || {
        home_texts(&a).iter().any(|c| c.contains("first version"))
    })
    .await;
    statuses::edit(
        &b.state,
        st.id,
        statuses::EditStatus {
            text: "second version".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    eventually("edit arrives", || {
        home_texts(&a).iter().any(|c| c.contains("second version"))
    })
    .await;
    let on_a = a.state.store.status_by_uri(&st.uri).unwrap().unwrap();
    assert_eq!(on_a.revisions.len(), 1);
    assert!(on_a.revisions[0].content.contains("first version"));

    statuses::delete(&b.state, st.id).await.unwrap();
    eventually("delete arrives", || {
        a.state.store.status_by_uri(&st.uri).unwrap().is_none()
    })
    .await;
    assert!(!home_texts(&a).iter().any(|c| c.contains("version")));
}

#[tokio::test]
async fn unfollow_and_block_end_the_relation_on_both_sides() {
    let (a, b) = pair().await;
    let bob_id = follow_accepted(&a, &format!("bob@{}", b.host)).await.id;
    let alice_on_b = b
        .state
        .store
        .account_by_uri(&a.url("/users/alice"))
        .unwrap()
        .unwrap();
    follows::unfollow(&a.state, bob_id).await.unwrap();
    eventually("bob loses the follower", || {
        !b.state
            .store
            .has_relation(Rel::FollowedBy, alice_on_b.id)
            .unwrap()
    })
    .await;

    follow_accepted(&a, &format!("bob@{}", b.host)).await;
    follows::block(&b.state, alice_on_b.id).await.unwrap();
    eventually("alice learns of the block", || {
        a.state.store.has_relation(Rel::BlockedBy, bob_id).unwrap()
    })
    .await;
    assert!(!a.state.store.has_relation(Rel::Following, bob_id).unwrap());
}

#[tokio::test]
async fn locked_accounts_approve_or_reject_follow_requests() {
    let (a, b) = pair().await;
    // bob locks his account.
    let mut bob = b.state.store.owner_account().unwrap().unwrap();
    bob.locked = true;
    b.state.store.put_account(&bob).unwrap();
    let bob_on_a = burrow::federation::resolve_handle(&a.state, &format!("bob@{}", b.host))
        .await
        .unwrap();
    follows::follow(&a.state, bob_on_a.id, Default::default())
        .await
        .unwrap();
    let alice_uri = a.url("/users/alice");
    eventually("bob sees the request", || {
        b.state
            .store
            .account_by_uri(&alice_uri)
            .unwrap()
            .is_some_and(|al| b.state.store.has_relation(Rel::RequestedBy, al.id).unwrap())
    })
    .await;
    let alice_on_b = b.state.store.account_by_uri(&alice_uri).unwrap().unwrap();
    assert!(a
        .state
        .store
        .has_relation(Rel::Requested, bob_on_a.id)
        .unwrap());
    follows::authorize_request(&b.state, alice_on_b.id)
        .await
        .unwrap();
    eventually("approved", || {
        a.state
            .store
            .has_relation(Rel::Following, bob_on_a.id)
            .unwrap()
    })
    .await;

    // Second run: unfollow, ask again, get rejected.
    follows::unfollow(&a.state, bob_on_a.id).await.unwrap();
    eventually("unfollowed", || {
        !b.state
            .store
            .has_relation(Rel::FollowedBy, alice_on_b.id)
            .unwrap()
    })
    .await;
    follows::follow(&a.state, bob_on_a.id, Default::default())
        .await
        .unwrap();
    eventually("asked again", || {
        b.state
            .store
            .has_relation(Rel::RequestedBy, alice_on_b.id)
            .unwrap()
    })
    .await;
    follows::reject_request(&b.state, alice_on_b.id)
        .await
        .unwrap();
    eventually("rejected", || {
        !a.state
            .store
            .has_relation(Rel::Requested, bob_on_a.id)
            .unwrap()
    })
    .await;
    assert!(!a
        .state
        .store
        .has_relation(Rel::Following, bob_on_a.id)
        .unwrap());
}

#[tokio::test]
async fn direct_posts_reach_only_the_mentioned() {
    let (a, b) = pair().await;
    follow_accepted(&a, &format!("bob@{}", b.host)).await;
    // A third instance follows bob too, but must not get the DM.
    let c = TestServer::start_with(TestOptions {
        username: Some("carol"),
        key_seed: 3,
        ..Default::default()
    })
    .await;
    follow_accepted(&c, &format!("bob@{}", b.host)).await;
    statuses::post(
        &b.state,
        post(&format!("@alice@{} secret", a.host), Visibility::Direct),
    )
    .await
    .unwrap();
    statuses::post(&b.state, post("public marker", Visibility::Public))
        .await
        .unwrap();
    eventually("carol gets the public marker", || {
        home_texts(&c).iter().any(|t| t.contains("marker"))
    })
    .await;
    eventually("alice gets the DM", || {
        home_texts(&a).iter().any(|t| t.contains("secret"))
    })
    .await;
    assert!(!home_texts(&c).iter().any(|t| t.contains("secret")));
    let dm = a
        .state
        .store
        .timeline_page(
            &timelines::direct(),
            Page {
                limit: 5,
                ..Default::default()
            },
            |_| true,
        )
        .unwrap();
    assert_eq!(dm.len(), 1);
}

#[tokio::test]
async fn collections_list_real_followers_posts_and_pins() {
    let (a, b) = pair().await;
    follow_accepted(&a, &format!("bob@{}", b.host)).await;
    let st = statuses::post(&b.state, post("in the outbox", Visibility::Public))
        .await
        .unwrap();
    statuses::post(
        &b.state,
        post("followers only, not in the outbox", Visibility::Private),
    )
    .await
    .unwrap();
    interactions::set_flag(
        &b.state,
        st.id,
        burrow::store::relations::StatusRel::Pin,
        true,
    )
    .await
    .unwrap();
    let followers = get_ap(&b.url("/users/bob/followers?page=1")).await;
    assert_eq!(
        followers["orderedItems"],
        serde_json::json!([a.url("/users/alice")])
    );
    assert_eq!(followers["totalItems"], 1);
    let following = get_ap(&a.url("/users/alice/following?page=1")).await;
    assert_eq!(
        following["orderedItems"],
        serde_json::json!([b.url("/users/bob")])
    );
    let outbox = get_ap(&b.url("/users/bob/outbox?page=true")).await;
    let items = outbox["orderedItems"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{outbox}");
    assert_eq!(items[0]["type"], "Create");
    assert_eq!(items[0]["object"]["id"], st.uri);
    let featured = get_ap(&b.url("/users/bob/collections/featured")).await;
    assert_eq!(featured["orderedItems"][0]["id"], st.uri);
    // The note itself is served at its id; the followers-only one is not
    // served to an unsigned request.
    let note = get_ap(&st.uri).await;
    assert_eq!(note["type"], "Note");
    assert_eq!(note["attributedTo"], b.url("/users/bob"));
}

#[tokio::test]
async fn profile_changes_reach_followers() {
    let (a, b) = pair().await;
    // bob follows alice; alice renames herself.
    let alice_on_b = follow_accepted(&b, &format!("alice@{}", a.host)).await;
    let update = burrow::ops::profile::ProfileUpdate {
        display_name: Some("Alice Renamed".into()),
        ..Default::default()
    };
    burrow::ops::profile::update(&a.state, update)
        .await
        .unwrap();
    eventually("bob sees the new name", || {
        b.state
            .store
            .account(alice_on_b.id)
            .unwrap()
            .unwrap()
            .display_name
            == "Alice Renamed"
    })
    .await;
}

#[tokio::test]
async fn votes_from_peers_are_counted_once_in_local_polls() {
    let (a, b) = pair().await;
    // alice follows bob, so bob's poll reaches her and she can vote on it.
    follow_accepted(&a, &format!("bob@{}", b.host)).await;
    let poll = statuses::post(
        &b.state,
        statuses::NewStatus {
            text: "tea or coffee?".into(),
            visibility: Visibility::Public,
            poll: Some(statuses::NewPoll {
                options: vec!["tea".into(), "coffee".into()],
                expires_in_secs: 3600,
                multiple: false,
            }),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    eventually("the poll arrives", || {
        a.state.store.status_by_uri(&poll.uri).unwrap().is_some()
    })
    .await;
    let there = a.state.store.status_by_uri(&poll.uri).unwrap().unwrap();
    burrow::ops::polls::vote(&a.state, there.id, &[1])
        .await
        .unwrap();
    eventually("bob counts alice's vote", || {
        stored_poll(&b, poll.id).voters_count == 1
    })
    .await;
    let p = stored_poll(&b, poll.id);
    assert_eq!(p.options[0].votes, 0);
    assert_eq!(p.options[1].votes, 1);
    // The vote is not a reply: nothing in bob's threads or notifications.
    assert_eq!(b.state.store.replies(poll.id).unwrap(), Vec::<u64>::new());

    // The same vote delivered again (a retry, a replay) is not counted twice.
    let alice_on_b = b
        .state
        .store
        .account_by_uri(&a.url("/users/alice"))
        .unwrap()
        .unwrap();
    let replay = serde_json::json!({
        "id": format!("{}#votes/again", alice_on_b.uri),
        "type": "Note",
        "name": "coffee",
        "attributedTo": alice_on_b.uri,
        "inReplyTo": poll.uri,
        "to": [b.url("/users/bob")],
    });
    let counted = burrow::ops::polls::remote_vote(&b.state, &alice_on_b, &replay)
        .await
        .unwrap();
    assert!(counted, "recognised as a vote");
    let again = replay
        .as_object()
        .map(|o| {
            let mut o = o.clone();
            o.insert("name".into(), "tea".into());
            serde_json::Value::Object(o)
        })
        .unwrap();
    burrow::ops::polls::remote_vote(&b.state, &alice_on_b, &again)
        .await
        .unwrap();
    let p = stored_poll(&b, poll.id);
    assert_eq!(
        (p.voters_count, p.options[0].votes, p.options[1].votes),
        (1, 0, 1),
        "a single-choice poll takes one vote per account"
    );
}

#[tokio::test]
async fn a_rejected_follow_takes_the_account_out_of_every_list() {
    let (a, b) = pair().await;
    let mut bob = b.state.store.owner_account().unwrap().unwrap();
    bob.locked = true;
    b.state.store.put_account(&bob).unwrap();
    let bob_on_a = burrow::federation::resolve_handle(&a.state, &format!("bob@{}", b.host))
        .await
        .unwrap();
    follows::follow(&a.state, bob_on_a.id, Default::default())
        .await
        .unwrap();
    let alice_uri = a.url("/users/alice");
    eventually("bob sees the request", || {
        b.state
            .store
            .account_by_uri(&alice_uri)
            .unwrap()
            .is_some_and(|al| b.state.store.has_relation(Rel::RequestedBy, al.id).unwrap())
    })
    .await;

    // While the request waits, alice puts bob in two lists.
    let api = Api {
        s: &a,
        token: token(&a, "read write").await,
    };
    let bob_id = bob_on_a.id.to_string();
    let mut lists = Vec::new();
    for title in ["Friends", "Locked people"] {
        let res = api.post("/api/v1/lists", &[("title", title)]).await;
        assert_eq!(res.status(), 200);
        let list: serde_json::Value = res.json().await.unwrap();
        let id = list["id"].as_str().unwrap().to_string();
        let res = api
            .post(
                &format!("/api/v1/lists/{id}/accounts"),
                &[("account_ids[]", bob_id.as_str())],
            )
            .await;
        assert_eq!(res.status(), 200);
        lists.push(id);
    }
    let in_lists = api.json(&format!("/api/v1/accounts/{bob_id}/lists")).await;
    assert_eq!(in_lists.as_array().unwrap().len(), 2);

    // bob says no: the Reject reaches alice's server.
    let alice_on_b = b.state.store.account_by_uri(&alice_uri).unwrap().unwrap();
    follows::reject_request(&b.state, alice_on_b.id)
        .await
        .unwrap();
    eventually("the Reject arrives", || {
        !a.state
            .store
            .has_relation(Rel::Requested, bob_on_a.id)
            .unwrap()
    })
    .await;
    for id in &lists {
        let members = api.json(&format!("/api/v1/lists/{id}/accounts")).await;
        assert_eq!(members, serde_json::json!([]), "list {id} still holds bob");
    }
    let in_lists = api.json(&format!("/api/v1/accounts/{bob_id}/lists")).await;
    assert_eq!(in_lists, serde_json::json!([]));
}

/// Moves a stored poll's end into the past. The API holds every poll open
/// for at least five minutes; the store is how a test gets past that.
fn end_poll_now(store: &burrow::store::Store, id: u64) {
    let past = burrow::time_fmt::now_ms() - 1_000;
    store
        .transact(|tx| {
            let mut s = tx.status(id)?.expect("the poll is stored");
            s.poll.as_mut().expect("it has a poll").expires_at_ms = Some(past);
            tx.update_status(&s)
        })
        .unwrap();
}

fn poll_notifications(s: &TestServer, status_id: u64) -> Vec<u64> {
    s.state
        .store
        .notification_page(
            Page {
                limit: 40,
                ..Default::default()
            },
            |n| n.kind == "poll" && n.status_id == Some(status_id),
        )
        .unwrap()
        .into_iter()
        .map(|n| n.account_id)
        .collect()
}

#[tokio::test]
async fn an_ended_poll_notifies_its_author_and_voters_and_shows_final_counts() {
    let (a, b) = pair().await;
    // bob follows alice, so her poll reaches him and he votes in it.
    follow_accepted(&b, &format!("alice@{}", a.host)).await;
    let poll = statuses::post(
        &a.state,
        statuses::NewStatus {
            text: "cats or dogs?".into(),
            visibility: Visibility::Public,
            poll: Some(statuses::NewPoll {
                options: vec!["cats".into(), "dogs".into()],
                expires_in_secs: statuses::MIN_POLL_EXPIRY_SECS,
                multiple: false,
            }),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    eventually("the poll reaches bob", || {
        b.state.store.status_by_uri(&poll.uri).unwrap().is_some()
    })
    .await;
    let copy = b.state.store.status_by_uri(&poll.uri).unwrap().unwrap();
    burrow::ops::polls::vote(&b.state, copy.id, &[1])
        .await
        .unwrap();
    eventually("alice counts bob's vote", || {
        a.state
            .store
            .status(poll.id)
            .unwrap()
            .unwrap()
            .poll
            .unwrap()
            .voters_count
            == 1
    })
    .await;
    assert!(poll_notifications(&a, poll.id).is_empty(), "not ended yet");
    assert!(poll_notifications(&b, copy.id).is_empty(), "not ended yet");

    end_poll_now(&a.state.store, poll.id);
    // The store changed under the server's feet: say so, as an operation
    // would after its write.
    let _ = a
        .state
        .events
        .send(burrow::events::Event::StatusUpdated(poll.id));

    eventually("alice is told her poll ended", || {
        poll_notifications(&a, poll.id) == vec![poll.account_id]
    })
    .await;
    // bob's copy gets the final counts and the end; bob, who voted, is
    // told too, by his own server.
    eventually("bob's copy has ended", || {
        let p = b
            .state
            .store
            .status(copy.id)
            .unwrap()
            .unwrap()
            .poll
            .unwrap();
        p.expires_at_ms
            .is_some_and(|e| e <= burrow::time_fmt::now_ms())
    })
    .await;
    eventually("bob is told the poll he voted in ended", || {
        poll_notifications(&b, copy.id) == vec![copy.account_id]
    })
    .await;
    let bob_api = Api {
        s: &b,
        token: token(&b, "read").await,
    };
    let shown = bob_api.json(&format!("/api/v1/statuses/{}", copy.id)).await;
    assert_eq!(shown["poll"]["expired"], true);
    assert_eq!(shown["poll"]["votes_count"], 1);
    // Mastodon gives voters_count for multiple-choice polls only.
    assert_eq!(shown["poll"]["voters_count"], serde_json::Value::Null);
    assert_eq!(shown["poll"]["options"][0]["votes_count"], 0);
    assert_eq!(shown["poll"]["options"][1]["votes_count"], 1);
    assert_eq!(shown["poll"]["own_votes"], serde_json::json!([1]));
    assert_eq!(
        shown["edited_at"],
        serde_json::Value::Null,
        "new counts are not an edit"
    );
    let notes = bob_api.json("/api/v1/notifications").await;
    let copy_id = copy.id.to_string();
    let kinds: Vec<&str> = notes
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["status"]["id"] == copy_id.as_str())
        .map(|n| n["type"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, vec!["poll"]);

    // The poll as alice's server serves it says it is closed.
    let served = get_ap(&poll.uri).await;
    assert_eq!(served["type"], "Question");
    assert_eq!(served["closed"], served["endTime"]);
    assert_eq!(served["votersCount"], 1);
    assert_eq!(served["oneOf"][1]["replies"]["totalItems"], 1);
}
