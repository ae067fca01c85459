//! Direct messages as conversations: bob, on another instance, writes to
//! alice; her app sees one conversation per thread through
//! `/api/v1/conversations` and the `direct` stream, and can read, remove
//! and page them.

use crate::common;
use burrow::ops::statuses::{self, NewStatus};
use burrow::store::statuses::{Status, Visibility};
use common::*;
use serde_json::{json, Value};
use std::time::Duration;

/// Longest wait for one streamed event; far above what it takes, so a
/// slow machine doesn't fail the test, but a missing event does.
const EVENT_WAIT: Duration = Duration::from_secs(20);

const CONVERSATION_KEYS: &[&str] = &["id", "unread", "accounts", "last_status"];

/// bob writes a direct message to alice (on `a`), optionally in reply to
/// one of his own statuses; returns it once alice's server has stored it.
async fn bob_writes(a: &TestServer, b: &TestServer, text: &str, reply_to: Option<u64>) -> Status {
    let st = statuses::post(
        &b.state,
        NewStatus {
            text: format!("@alice@{} {text}", a.host),
            visibility: Visibility::Direct,
            in_reply_to_id: reply_to,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let uri = st.uri.clone();
    eventually("alice's server stores bob's message", || {
        a.state.store.status_by_uri(&uri).unwrap().is_some()
    })
    .await;
    a.state.store.status_by_uri(&st.uri).unwrap().unwrap()
}

fn ids(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_string())
        .collect()
}

/// The next `conversation` event on a server-sent event stream.
async fn next_conversation(res: &mut reqwest::Response, text: &mut String) -> Value {
    loop {
        if let Some(end) = text.find("\n\n") {
            let block: String = text.drain(..end + 2).collect();
            if let Some(data) = block.strip_prefix("event: conversation\ndata: ") {
                return serde_json::from_str(data.trim_end()).unwrap();
            }
            continue;
        }
        let chunk = tokio::time::timeout(EVENT_WAIT, res.chunk())
            .await
            .expect("an event arrives in time")
            .unwrap()
            .expect("the stream stays open");
        text.push_str(std::str::from_utf8(&chunk).unwrap());
    }
}

#[tokio::test]
async fn a_direct_thread_is_one_conversation_read_removed_and_revived() {
    let (a, b) = pair().await;
    let api = Api {
        s: &a,
        token: token(&a, "read write").await,
    };
    assert_eq!(api.json("/api/v1/conversations").await, json!([]));

    let mut stream = client()
        .get(a.url("/api/v1/streaming/direct"))
        .bearer_auth(&api.token)
        .send()
        .await
        .unwrap();
    assert_eq!(stream.status(), 200);
    let mut buffered = String::new();

    let first = bob_writes(&a, &b, "psst", None).await;
    let bob = a
        .state
        .store
        .account_by_uri(&b.url("/users/bob"))
        .unwrap()
        .unwrap();

    let list = api.json("/api/v1/conversations").await;
    assert_eq!(list.as_array().unwrap().len(), 1, "{list}");
    let c = &list[0];
    for k in CONVERSATION_KEYS {
        assert!(c.get(*k).is_some(), "`{k}` is missing from {c}");
    }
    let id = c["id"].as_str().unwrap().to_string();
    assert_eq!(c["unread"], true);
    assert_eq!(c["accounts"].as_array().unwrap().len(), 1);
    assert_eq!(c["accounts"][0]["id"], bob.id.to_string());
    assert_eq!(c["last_status"]["id"], first.id.to_string());
    assert_eq!(c["last_status"]["visibility"], "direct");

    // The stream announced the same conversation, in the same shape.
    let streamed = next_conversation(&mut stream, &mut buffered).await;
    assert_eq!(streamed, *c);

    // Reading it.
    let res = api
        .post(&format!("/api/v1/conversations/{id}/read"), &[])
        .await;
    assert_eq!(res.status(), 200);
    let read: Value = res.json().await.unwrap();
    assert_eq!(read["id"], id);
    assert_eq!(read["unread"], false);
    assert_eq!(api.json("/api/v1/conversations").await[0]["unread"], false);

    // alice answers: the same conversation moves on to her reply.
    let res = api
        .post(
            "/api/v1/statuses",
            &[
                ("status", &format!("@bob@{} hi!", b.host)),
                ("visibility", "direct"),
                ("in_reply_to_id", &first.id.to_string()),
            ],
        )
        .await;
    assert_eq!(res.status(), 200);
    let reply: Value = res.json().await.unwrap();
    let list = api.json("/api/v1/conversations").await;
    assert_eq!(ids(&list), [id.as_str()]);
    assert_eq!(list[0]["last_status"]["id"], reply["id"]);
    assert_eq!(list[0]["unread"], false);
    assert_eq!(list[0]["accounts"][0]["id"], bob.id.to_string());
    let streamed = next_conversation(&mut stream, &mut buffered).await;
    assert_eq!(streamed["id"], id);
    assert_eq!(streamed["last_status"]["id"], reply["id"]);

    // Removing it empties the list; a second removal finds nothing.
    let res = api.delete(&format!("/api/v1/conversations/{id}")).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Value>().await.unwrap(), json!({}));
    assert_eq!(api.json("/api/v1/conversations").await, json!([]));
    let res = api.delete(&format!("/api/v1/conversations/{id}")).await;
    assert_eq!(res.status(), 404);

    // bob writes again in the thread: the conversation is back, unread.
    let bob_first = b.state.store.status_by_uri(&first.uri).unwrap().unwrap();
    let again = bob_writes(&a, &b, "still there?", Some(bob_first.id)).await;
    let list = api.json("/api/v1/conversations").await;
    assert_eq!(ids(&list), [id.as_str()]);
    assert_eq!(list[0]["unread"], true);
    assert_eq!(list[0]["last_status"]["id"], again.id.to_string());
}

#[tokio::test]
async fn conversations_are_paged_newest_activity_first() {
    let (a, b) = pair().await;
    let api = Api {
        s: &a,
        token: token(&a, "read write").await,
    };
    let from_bob = bob_writes(&a, &b, "first thread", None).await;
    // alice starts a second thread herself: newer, and read.
    let res = api
        .post(
            "/api/v1/statuses",
            &[
                ("status", &format!("@bob@{} second thread", b.host)),
                ("visibility", "direct"),
            ],
        )
        .await;
    assert_eq!(res.status(), 200);
    let mine: Value = res.json().await.unwrap();

    let res = api.get("/api/v1/conversations?limit=1").await;
    assert_eq!(res.status(), 200);
    let link = res.headers()["link"].to_str().unwrap().to_string();
    let page: Value = res.json().await.unwrap();
    assert_eq!(ids(&page), [mine["id"].as_str().unwrap()]);
    assert_eq!(page[0]["unread"], false);
    let next = link
        .split(", ")
        .find(|p| p.ends_with("rel=\"next\""))
        .and_then(|p| p.strip_prefix('<'))
        .and_then(|p| p.split_once('>'))
        .map(|(url, _)| url.to_string())
        .expect("a next link");
    assert!(next.contains("limit=1"), "{next}");
    assert!(
        next.contains(&format!("max_id={}", mine["id"].as_str().unwrap())),
        "{next}"
    );
    assert!(link.contains("rel=\"prev\""), "{link}");
    let path = next.strip_prefix(&a.base).unwrap();
    let page = api.json(path).await;
    assert_eq!(ids(&page), [from_bob.id.to_string()]);
    assert_eq!(page[0]["unread"], true);

    // The default page holds both.
    assert_eq!(
        api.json("/api/v1/conversations")
            .await
            .as_array()
            .unwrap()
            .len(),
        2
    );
}

#[tokio::test]
async fn unknown_conversations_and_missing_scopes_are_refused() {
    let s = TestServer::start().await;
    let api = Api {
        s: &s,
        token: token(&s, "read write").await,
    };
    for path in [
        "/api/v1/conversations/12345/read",
        "/api/v1/conversations/x/read",
    ] {
        let res = api.post(path, &[]).await;
        assert_eq!(res.status(), 404, "{path}");
        let body: Value = res.json().await.unwrap();
        assert!(body["error"].is_string());
    }
    let res = api.delete("/api/v1/conversations/12345").await;
    assert_eq!(res.status(), 404);

    let write_only = Api {
        s: &s,
        token: token(&s, "write").await,
    };
    assert_eq!(write_only.get("/api/v1/conversations").await.status(), 403);
    let read_only = Api {
        s: &s,
        token: token(&s, "read").await,
    };
    let res = read_only
        .post("/api/v1/conversations/12345/read", &[])
        .await;
    assert_eq!(res.status(), 403);
    let res = read_only.delete("/api/v1/conversations/12345").await;
    assert_eq!(res.status(), 403);
    let res = client()
        .get(s.url("/api/v1/conversations"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
}

#[tokio::test]
async fn conversations_last_written_by_hidden_people_are_left_out() {
    let (a, b) = pair().await;
    let api = Api {
        s: &a,
        token: token(&a, "read write follow").await,
    };
    // alice starts a thread (older, last written by her); bob starts
    // another (newer, last written by him).
    let res = api
        .post(
            "/api/v1/statuses",
            &[
                ("status", &format!("@bob@{} from alice", b.host)),
                ("visibility", "direct"),
            ],
        )
        .await;
    assert_eq!(res.status(), 200);
    let mine: Value = res.json().await.unwrap();
    let mine_id = mine["id"].as_str().unwrap().to_string();
    let theirs = bob_writes(&a, &b, "from bob", None).await;
    let theirs_id = theirs.id.to_string();
    let bob = theirs.account_id.to_string();
    let both = [theirs_id.as_str(), mine_id.as_str()];
    assert_eq!(ids(&api.json("/api/v1/conversations").await), both);

    // Muted, blocked, or on a blocked server: bob's conversation goes;
    // alice's own last word keeps hers. A short page is filled past the
    // hidden one.
    let hide_and_check = |what: &'static str| {
        let api = &api;
        let mine_id = mine_id.clone();
        async move {
            let list = api.json("/api/v1/conversations").await;
            assert_eq!(ids(&list), [mine_id.as_str()], "{what}");
            let list = api.json("/api/v1/conversations?limit=1").await;
            assert_eq!(ids(&list), [mine_id.as_str()], "{what}, one per page");
        }
    };
    let res = api.post(&format!("/api/v1/accounts/{bob}/mute"), &[]).await;
    assert_eq!(res.status(), 200);
    hide_and_check("bob muted").await;
    let res = api
        .post(&format!("/api/v1/accounts/{bob}/unmute"), &[])
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(ids(&api.json("/api/v1/conversations").await), both);

    let res = api
        .post("/api/v1/domain_blocks", &[("domain", b.host.as_str())])
        .await;
    assert_eq!(res.status(), 200);
    hide_and_check("bob's server blocked").await;
    let res = client()
        .delete(a.url("/api/v1/domain_blocks"))
        .bearer_auth(&api.token)
        .form(&[("domain", b.host.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(ids(&api.json("/api/v1/conversations").await), both);

    let res = api
        .post(&format!("/api/v1/accounts/{bob}/block"), &[])
        .await;
    assert_eq!(res.status(), 200);
    hide_and_check("bob blocked").await;
}

#[tokio::test]
async fn direct_messages_from_before_conversations_are_listed_after_an_upgrade() {
    let s = TestServer::start().await;
    let api = Api {
        s: &s,
        token: token(&s, "read write").await,
    };
    let res = api
        .post(
            "/api/v1/statuses",
            &[("status", "a note to myself"), ("visibility", "direct")],
        )
        .await;
    assert_eq!(res.status(), 200);
    let note: Value = res.json().await.unwrap();
    let dir = s.stop().await;

    // Make it a store from before conversations: the status in the
    // direct timeline, no conversation records, schema version 1.
    {
        let db = sled::open(dir.path().join(burrow::server::DB_DIR)).unwrap();
        let wipe = |tree: &str, prefix: &[u8]| {
            let t = db.open_tree(tree).unwrap();
            for kv in t.scan_prefix(prefix) {
                t.remove(kv.unwrap().0).unwrap();
            }
        };
        wipe("index", b"conversation\0");
        wipe("index", b"conversation_of\0");
        wipe("timelines", b"conversations\0");
        let meta = db.open_tree("meta").unwrap();
        meta.insert("schema_version", burrow::store::encode(&1u32))
            .unwrap();
        db.flush().unwrap();
    }

    let s = TestServer::start_in(dir, TestOptions::default()).await;
    assert_eq!(
        s.state.store.schema_version().unwrap(),
        burrow::store::SCHEMA_VERSION
    );
    let api = Api {
        s: &s,
        token: token(&s, "read").await,
    };
    let list = api.json("/api/v1/conversations").await;
    assert_eq!(ids(&list), [note["id"].as_str().unwrap()]);
    assert_eq!(list[0]["last_status"]["id"], note["id"]);
    assert_eq!(list[0]["unread"], false);
}
