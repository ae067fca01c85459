//! Apps watching live: a WebSocket (and an event stream) on the
//! streaming API hears the owner's posts, edits and deletes, posts and
//! favourites arriving from another instance, and only the streams it
//! subscribed to.

use crate::common;
use burrow::ops::{interactions, statuses};
use common::*;
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use std::time::Duration;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::{self, Message};

/// Longest wait for one expected event; far above what it takes, so a
/// slow machine doesn't fail the test, but a missing event does.
const EVENT_WAIT: Duration = Duration::from_secs(20);

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

fn ws_url(s: &TestServer, query: &str) -> String {
    format!("ws://{}/api/v1/streaming{query}", s.host)
}

async fn connect(s: &TestServer, query: &str) -> Socket {
    let (ws, res) = tokio_tungstenite::connect_async(ws_url(s, query))
        .await
        .expect("the socket opens");
    assert_eq!(res.status(), 101);
    ws
}

/// A streamed event: its stream name, event name and decoded payload.
#[derive(Debug)]
struct Streamed {
    stream: Vec<String>,
    event: String,
    payload: Value,
}

/// The next event on the socket (errors and pings skipped), bounded.
async fn next(ws: &mut Socket) -> Streamed {
    loop {
        let msg = tokio::time::timeout(EVENT_WAIT, ws.next())
            .await
            .expect("an event arrives in time")
            .expect("the socket stays open")
            .expect("the socket works");
        let Message::Text(text) = msg else { continue };
        let v: Value = serde_json::from_str(&text).unwrap();
        if v.get("error").is_some() {
            continue;
        }
        // Entities are JSON in a string; a delete's payload is the bare id.
        let payload = match (v["event"].as_str(), v["payload"].as_str()) {
            (Some("delete"), Some(id)) => Value::String(id.to_string()),
            (_, Some(p)) => serde_json::from_str(p).unwrap(),
            (_, None) => Value::Null,
        };
        return Streamed {
            stream: serde_json::from_value(v["stream"].clone()).unwrap(),
            event: v["event"].as_str().unwrap().to_string(),
            payload,
        };
    }
}

/// Skips events until `event` with a payload `matches`; returns it.
async fn expect(ws: &mut Socket, event: &str, matches: impl Fn(&Value) -> bool) -> Streamed {
    loop {
        let e = next(ws).await;
        if e.event == event && matches(&e.payload) {
            return e;
        }
    }
}

/// The next error message on the socket. Subscriptions are handled in the
/// order they are sent, so once the error for a later, bad one arrives,
/// the earlier ones are in effect.
async fn expect_error(ws: &mut Socket) -> Value {
    loop {
        let msg = tokio::time::timeout(EVENT_WAIT, ws.next())
            .await
            .expect("a reply arrives in time")
            .unwrap()
            .unwrap();
        if let Message::Text(text) = msg {
            let v: Value = serde_json::from_str(&text).unwrap();
            if v.get("error").is_some() {
                return v;
            }
        }
    }
}

async fn send(ws: &mut Socket, v: Value) {
    ws.send(Message::Text(v.to_string().into())).await.unwrap();
}

/// Sends `v`, then a subscription that must fail, and waits for that
/// failure: by then `v` has been applied.
async fn send_and_settle(ws: &mut Socket, v: Value) {
    send(ws, v).await;
    send(ws, json!({"type": "subscribe", "stream": "no-such-stream"})).await;
    let err = expect_error(ws).await;
    assert_eq!(err["error"], "Unknown stream type");
    assert_eq!(err["status"], 400);
}

fn new_status(text: &str) -> statuses::NewStatus {
    statuses::NewStatus {
        text: text.into(),
        ..Default::default()
    }
}

fn id_is(id: u64) -> impl Fn(&Value) -> bool {
    move |p| is_id(&p["id"], id)
}

/// Ids are strings in Mastodon's JSON.
fn is_id(v: &Value, id: u64) -> bool {
    v.as_str().and_then(|s| s.parse::<u64>().ok()) == Some(id)
}

#[tokio::test]
async fn the_user_stream_hears_posts_edits_and_deletes() {
    let s = TestServer::start().await;
    let token = token(&s, "read write").await;
    let mut ws = connect(&s, &format!("?stream=user&access_token={token}")).await;

    let st = statuses::post(&s.state, new_status("live from the burrow"))
        .await
        .unwrap();
    let e = expect(&mut ws, "update", id_is(st.id)).await;
    assert_eq!(e.stream, vec!["user"]);
    assert!(e.payload["content"]
        .as_str()
        .unwrap()
        .contains("live from the burrow"));
    assert_eq!(e.payload["account"]["username"], "alice");

    statuses::edit(
        &s.state,
        st.id,
        statuses::EditStatus {
            text: "edited in the burrow".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let e = expect(&mut ws, "status.update", id_is(st.id)).await;
    assert!(e.payload["content"]
        .as_str()
        .unwrap()
        .contains("edited in the burrow"));
    assert!(e.payload["edited_at"].is_string());

    statuses::delete(&s.state, st.id).await.unwrap();
    let e = expect(&mut ws, "delete", |_| true).await;
    // A delete carries the bare id, not an object.
    assert_eq!(e.payload, Value::String(st.id.to_string()));
    assert_eq!(e.stream, vec!["user"]);
}

#[tokio::test]
async fn posts_and_favourites_from_another_instance_arrive_live() {
    let (a, b) = pair().await;
    let token = token(&a, "read").await;
    let mut ws = connect(&a, &format!("?stream=user&access_token={token}")).await;

    let bob = follow_accepted(&a, &format!("bob@{}", b.host)).await;

    statuses::post(&b.state, new_status("hello from the other burrow"))
        .await
        .unwrap();
    let e = expect(&mut ws, "update", |p| {
        p["content"]
            .as_str()
            .is_some_and(|c| c.contains("hello from the other burrow"))
    })
    .await;
    assert_eq!(e.stream, vec!["user"]);
    assert_eq!(e.payload["account"]["id"], bob.id.to_string());

    // bob finds alice's post by its URL and favourites it.
    let mine = statuses::post(&a.state, new_status("please like this"))
        .await
        .unwrap();
    let doc = burrow::federation::fetch_object(&b.state, &mine.uri)
        .await
        .expect("bob fetches alice's note");
    let on_b = burrow::ops::inbound::store_remote_status(&b.state, &doc, 1)
        .await
        .unwrap()
        .unwrap();
    interactions::favourite(&b.state, on_b.id).await.unwrap();
    let e = expect(&mut ws, "notification", |p| p["type"] == "favourite").await;
    assert_eq!(e.stream, vec!["user"]);
    assert_eq!(e.payload["status"]["id"], mine.id.to_string());
    assert_eq!(e.payload["account"]["id"], bob.id.to_string());
}

#[tokio::test]
async fn a_token_in_the_subprotocol_is_accepted_and_echoed() {
    let s = TestServer::start().await;
    let token = token(&s, "read").await;
    let mut req = ws_url(&s, "?stream=user").into_client_request().unwrap();
    req.headers_mut()
        .insert("sec-websocket-protocol", token.parse().unwrap());
    let (mut ws, res) = tokio_tungstenite::connect_async(req).await.unwrap();
    assert_eq!(res.status(), 101);
    assert_eq!(
        res.headers()["sec-websocket-protocol"].to_str().unwrap(),
        token
    );
    let st = statuses::post(&s.state, new_status("via the subprotocol"))
        .await
        .unwrap();
    expect(&mut ws, "update", id_is(st.id)).await;
}

#[tokio::test]
async fn sockets_without_a_valid_token_are_refused_before_the_upgrade() {
    let s = TestServer::start().await;
    for query in [
        "?stream=user",
        "?stream=public",
        "?stream=user&access_token=nope",
    ] {
        match tokio_tungstenite::connect_async(ws_url(&s, query)).await {
            Err(tungstenite::Error::Http(res)) => assert_eq!(res.status(), 401, "{query}"),
            other => panic!("{query}: expected a 401, got {other:?}"),
        }
    }
    // A token without a read scope may not have the home stream: the
    // socket opens (public streams need no scope) and says why.
    let write_only = token(&s, "write").await;
    let mut ws = connect(&s, &format!("?stream=user&access_token={write_only}")).await;
    let err = expect_error(&mut ws).await;
    assert_eq!(err["status"], 401);
    assert_eq!(
        err["error"],
        "Access token does not have the required scopes"
    );
}

#[tokio::test]
async fn subscribe_and_unsubscribe_messages_choose_streams() {
    let s = TestServer::start().await;
    let token = token(&s, "read write").await;
    let mut ws = connect(&s, &format!("?access_token={token}")).await;

    send_and_settle(
        &mut ws,
        json!({"type": "subscribe", "stream": "hashtag", "tag": "Burrows"}),
    )
    .await;
    let tagged = statuses::post(&s.state, new_status("digging #burrows"))
        .await
        .unwrap();
    let e = expect(&mut ws, "update", id_is(tagged.id)).await;
    assert_eq!(e.stream, vec!["hashtag", "Burrows"]);

    send_and_settle(
        &mut ws,
        json!({"type": "unsubscribe", "stream": "hashtag", "tag": "burrows"}),
    )
    .await;
    send_and_settle(&mut ws, json!({"type": "subscribe", "stream": "user"})).await;
    let again = statuses::post(&s.state, new_status("still digging #burrows"))
        .await
        .unwrap();
    let marker = statuses::post(&s.state, new_status("a marker"))
        .await
        .unwrap();
    // Everything about `again` is sent before anything about the marker.
    loop {
        let e = next(&mut ws).await;
        assert_eq!(
            e.stream,
            vec!["user"],
            "only the user stream is left: {e:?}"
        );
        if is_id(&e.payload["id"], marker.id) {
            break;
        }
        assert_eq!(e.payload["id"], again.id.to_string());
    }
}

#[tokio::test]
async fn an_event_stream_client_hears_the_same_update() {
    let s = TestServer::start().await;
    let res = client()
        .get(s.url("/api/v1/streaming/health"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/plain"));
    assert_eq!(res.text().await.unwrap(), "OK");

    let res = client()
        .get(s.url("/api/v1/streaming/user"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);

    let token = token(&s, "read").await;
    let mut res = client()
        .get(s.url("/api/v1/streaming/user"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/event-stream"));
    let st = statuses::post(&s.state, new_status("streamed as events"))
        .await
        .unwrap();
    let mut text = String::new();
    let data = loop {
        let chunk = tokio::time::timeout(EVENT_WAIT, res.chunk())
            .await
            .expect("an event arrives in time")
            .unwrap()
            .expect("the stream stays open");
        text.push_str(std::str::from_utf8(&chunk).unwrap());
        // Events end with a blank line.
        let Some(end) = text.find("\n\n") else {
            continue;
        };
        let block: String = text.drain(..end + 2).collect();
        if let Some(data) = block
            .strip_prefix("event: update\ndata: ")
            .map(|d| d.trim_end().to_string())
        {
            break data;
        }
    };
    let status: Value = serde_json::from_str(&data).unwrap();
    assert_eq!(status["id"], st.id.to_string());
    assert!(status["content"]
        .as_str()
        .unwrap()
        .contains("streamed as events"));
}

#[tokio::test]
async fn the_instance_points_apps_at_the_streaming_server() {
    let s = TestServer::start().await;
    let v2: Value = client()
        .get(s.url("/api/v2/instance"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let v1: Value = client()
        .get(s.url("/api/v1/instance"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let base = format!("ws://{}", s.host);
    assert_eq!(v2["configuration"]["urls"]["streaming"], base);
    assert_eq!(v1["urls"]["streaming_api"], base);
    // Apps append the path to what the instance advertises.
    let token = token(&s, "read").await;
    let url = format!("{base}/api/v1/streaming?stream=user&access_token={token}");
    let (_ws, res) = tokio_tungstenite::connect_async(url).await.unwrap();
    assert_eq!(res.status(), 101);
}

#[tokio::test]
async fn a_client_that_falls_behind_is_closed_so_it_reloads() {
    let s = TestServer::start().await;
    let token = token(&s, "read").await;
    let mut ws = connect(&s, &format!("?stream=user&access_token={token}")).await;
    // The test and the server share one thread: the socket's task can't
    // run while these are sent, so it finds itself far behind.
    for _ in 0..burrow::events::EVENT_BUFFER * 2 {
        s.state
            .events
            .send(burrow::events::Event::FiltersChanged)
            .unwrap();
    }
    let frame = loop {
        let msg = tokio::time::timeout(EVENT_WAIT, ws.next())
            .await
            .expect("the server answers in time")
            .expect("a close frame comes before the end")
            .unwrap();
        if let Message::Close(frame) = msg {
            break frame.expect("the close says why");
        }
    };
    assert_eq!(u16::from(frame.code), 1013);
}

#[tokio::test]
async fn stopping_the_server_ends_event_streams() {
    let s = TestServer::start().await;
    let token = token(&s, "read").await;
    let mut res = client()
        .get(s.url("/api/v1/streaming/public"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    // A graceful stop waits for open responses; an endless one must end.
    tokio::time::timeout(EVENT_WAIT, s.stop())
        .await
        .expect("the server stops despite the open stream");
    let ended = async { while let Ok(Some(_)) = res.chunk().await {} };
    tokio::time::timeout(EVENT_WAIT, ended)
        .await
        .expect("the stream ends");
}

/// Waits for the socket's close frame, skipping what comes before it.
async fn close_frame(ws: &mut Socket) -> tungstenite::protocol::CloseFrame {
    loop {
        let msg = tokio::time::timeout(EVENT_WAIT, ws.next())
            .await
            .expect("the server answers in time")
            .expect("a close frame comes before the end")
            .unwrap();
        if let Message::Close(frame) = msg {
            return frame.expect("the close says why");
        }
    }
}

#[tokio::test]
async fn revoking_a_token_closes_its_streams_and_only_its_own() {
    let s = TestServer::start().await;
    let (app, revoked) = app_and_token(&s, "read").await;
    let (other_app, other) = app_and_token(&s, "read").await;
    let mut ws = connect(&s, &format!("?stream=user&access_token={revoked}")).await;
    let mut sse = client()
        .get(s.url("/api/v1/streaming/public"))
        .bearer_auth(&revoked)
        .send()
        .await
        .unwrap();
    assert_eq!(sse.status(), 200);
    let mut kept = connect(&s, &format!("?stream=user&access_token={other}")).await;

    let res = client()
        .post(s.url("/oauth/revoke"))
        .form(&[
            ("client_id", app["client_id"].as_str().unwrap()),
            ("client_secret", app["client_secret"].as_str().unwrap()),
            ("token", revoked.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);

    // The socket gets a normal close, the event stream ends.
    let frame = close_frame(&mut ws).await;
    assert_eq!(u16::from(frame.code), 1000);
    assert!(frame.reason.contains("revoked"), "{}", frame.reason);
    let ended = async { while let Ok(Some(_)) = sse.chunk().await {} };
    tokio::time::timeout(EVENT_WAIT, ended)
        .await
        .expect("the event stream ends");

    // The other app's socket still streams.
    let st = statuses::post(&s.state, new_status("still here"))
        .await
        .unwrap();
    expect(&mut kept, "update", id_is(st.id)).await;

    // Revoking that app from the settings closes its socket too.
    let client_id = other_app["client_id"].as_str().unwrap();
    burrow::ops::authorized_apps::revoke(&s.state, client_id)
        .await
        .unwrap();
    let frame = close_frame(&mut kept).await;
    assert_eq!(u16::from(frame.code), 1000);
}
