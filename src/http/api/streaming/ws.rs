//! `/api/v1/streaming` over WebSocket: one socket, any number of streams
//! chosen by `?stream=` and by `subscribe`/`unsubscribe` messages.
//!
//! Each socket is one task that waits on three things at once: the
//! event broadcast, the client, and a ping timer. Nothing is queued per
//! socket: an event is rendered and written before the next is read, so
//! a slow client holds back only itself, and once it falls more than
//! `events::EVENT_BUFFER` events behind, the broadcast says so and the
//! socket is closed (the app reconnects and reloads over REST, which is
//! cheaper than buffering for it).

use super::streams::{self, Channel, Delivery, StreamError, Subscriptions};
use crate::events::Event;
use crate::http::api::auth::{authenticate, Auth};
use crate::http::error::ApiError;
use crate::state::AppState;
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::{close_code, CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::Value;
use std::time::Duration;
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::broadcast::Receiver;

/// A ping this often keeps NAT and proxies from dropping an idle socket
/// (nginx's default read timeout is 60 s) and finds dead peers: a socket
/// that has not answered the previous ping by the next one is closed.
pub const PING_INTERVAL: Duration = Duration::from_secs(30);

/// Longest wait for one message to be written. A client that reads
/// nothing for this long is gone or stuck; waiting longer would keep its
/// socket and task alive for nothing.
pub const SEND_TIMEOUT: Duration = Duration::from_secs(20);

/// Read buffer per socket. Clients send only small subscribe messages;
/// tungstenite's default (128 KiB) would be most of a socket's memory.
pub const READ_BUFFER: usize = 4 * 1024;

/// Largest message a client may send. A subscribe message is well under
/// 200 bytes; anything near this is not a Mastodon client.
pub const MAX_CLIENT_MESSAGE: usize = 8 * 1024;

/// Most bytes held for a socket whose writes are failing, beyond which the
/// send fails and the socket is closed.
pub const MAX_WRITE_BUFFER: usize = 256 * 1024;

/// `GET /api/v1/streaming` with `Upgrade: websocket`.
///
/// The token comes from `Authorization`, `access_token`, or
/// `Sec-WebSocket-Protocol`. Like Mastodon, every socket needs a valid
/// token (public streams need no scope, but a token all the same), and a
/// missing or unknown one is answered 401 before the upgrade.
pub async fn upgrade(
    State(state): State<AppState>,
    auth: Option<Auth>,
    headers: HeaderMap,
    uri: Uri,
    ws: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    // Browsers can't set headers on a WebSocket, so web clients pass the
    // token as the subprotocol; Chrome drops the socket unless the server
    // answers with the protocol it offered.
    let protocol = headers
        .get(header::SEC_WEBSOCKET_PROTOCOL)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(',').next())
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_string);
    let auth = match (auth, &protocol) {
        (Some(a), _) => a,
        (None, Some(p)) => match authenticate(&state, p) {
            Ok(a) => a,
            Err(e) => return e.into_response(),
        },
        (None, None) => {
            return ApiError::new(StatusCode::UNAUTHORIZED, streams::MISSING_TOKEN).into_response()
        }
    };
    let subs = match Subscriptions::new(auth) {
        Ok(s) => s,
        Err(e) => return api_error(e).into_response(),
    };
    let mut ws = match ws {
        Ok(ws) => ws,
        Err(_) => {
            return ApiError::bad_request(
                "This is the WebSocket endpoint; connect with a WebSocket client, or read server-sent events from /api/v1/streaming/user and its siblings",
            )
            .into_response()
        }
    };
    if let Some(p) = protocol.and_then(|p| HeaderValue::from_str(&p).ok()) {
        ws.set_selected_protocol(p);
    }
    let query = Query::parse(&uri);
    // Listening starts before the 101 is sent, so nothing that happens
    // after the client sees the socket open is missed.
    let events = state.events.subscribe();
    ws.read_buffer_size(READ_BUFFER)
        .write_buffer_size(0)
        .max_write_buffer_size(MAX_WRITE_BUFFER)
        .max_message_size(MAX_CLIENT_MESSAGE)
        .max_frame_size(MAX_CLIENT_MESSAGE)
        .on_upgrade(move |socket| serve(socket, state, subs, events, query))
}

fn api_error(e: StreamError) -> ApiError {
    ApiError::new(e.status, e.message)
}

/// `stream`, `tag` and `list` of the upgrade request's query.
#[derive(Default)]
struct Query {
    stream: Option<String>,
    tag: Option<String>,
    list: Option<String>,
}

impl Query {
    fn parse(uri: &Uri) -> Query {
        let mut q = Query::default();
        for (k, v) in url::form_urlencoded::parse(uri.query().unwrap_or("").as_bytes()) {
            let slot = match &*k {
                "stream" => &mut q.stream,
                "tag" => &mut q.tag,
                "list" => &mut q.list,
                _ => continue,
            };
            slot.get_or_insert_with(|| v.into_owned());
        }
        q
    }
}

/// An event as Mastodon frames it on a socket.
#[derive(Serialize)]
struct Envelope<'a> {
    stream: &'a [String],
    event: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    payload: Option<&'a str>,
}

fn envelope(d: &Delivery<'_>) -> String {
    serde_json::to_string(&Envelope {
        stream: d.stream,
        event: d.event,
        payload: d.payload.as_deref(),
    })
    .unwrap_or_default()
}

/// An error about a subscription, sent on the socket, which stays open.
fn error_message(e: &StreamError) -> String {
    serde_json::json!({ "error": e.message, "status": e.status.as_u16() }).to_string()
}

async fn send(socket: &mut WebSocket, msg: Message) -> bool {
    matches!(
        tokio::time::timeout(SEND_TIMEOUT, socket.send(msg)).await,
        Ok(Ok(()))
    )
}

fn close(code: u16, reason: &'static str) -> Option<CloseFrame> {
    Some(CloseFrame {
        code,
        reason: reason.into(),
    })
}

async fn serve(
    mut socket: WebSocket,
    state: AppState,
    mut subs: Subscriptions,
    mut events: Receiver<Event>,
    query: Query,
) {
    let mut stopping = state.stopping.subscribe();
    if let Some(name) = &query.stream {
        let r = Channel::parse(name, query.tag.as_deref(), query.list.as_deref()).and_then(|c| {
            let stream = streams::stream_name(name, query.tag.as_deref(), query.list.as_deref());
            subs.subscribe(c, stream)
        });
        if let Err(e) = r {
            if !send(&mut socket, Message::Text(error_message(&e).into())).await {
                return;
            }
        }
    }
    let start = tokio::time::Instant::now() + PING_INTERVAL;
    let mut ping = tokio::time::interval_at(start, PING_INTERVAL);
    let mut ping_unanswered = false;
    let farewell = 'socket: loop {
        tokio::select! {
            event = events.recv() => match event {
                Ok(event) => {
                    if subs.ended_by(&event) {
                        break close(close_code::NORMAL, "access token revoked");
                    }
                    let out = match subs.deliveries(&state, &event) {
                        Ok(out) => out,
                        Err(e) => {
                            tracing::error!("cannot stream {event:?}: {e}");
                            continue;
                        }
                    };
                    for d in &out {
                        if !send(&mut socket, Message::Text(envelope(d).into())).await {
                            break 'socket None;
                        }
                    }
                }
                Err(RecvError::Lagged(n)) => {
                    tracing::info!("a streaming client fell {n} events behind; closing it so it reloads");
                    break close(close_code::AGAIN, "fell behind; reconnect and reload");
                }
                Err(RecvError::Closed) => break close(close_code::AWAY, "server stopping"),
            },
            msg = socket.recv() => {
                ping_unanswered = false;
                match msg {
                    Some(Ok(Message::Text(text))) => {
                        if let Some(reply) = on_message(&mut subs, &text) {
                            if !send(&mut socket, Message::Text(reply.into())).await {
                                break None;
                            }
                        }
                    }
                    Some(Ok(Message::Binary(_))) => {
                        break close(close_code::UNSUPPORTED, "binary messages are not supported");
                    }
                    // tungstenite answers pings itself.
                    Some(Ok(Message::Ping(_) | Message::Pong(_))) => {}
                    Some(Ok(Message::Close(_))) | Some(Err(_)) | None => break None,
                }
            }
            _ = ping.tick() => {
                if ping_unanswered {
                    break None;
                }
                if !send(&mut socket, Message::Ping(Default::default())).await {
                    break None;
                }
                ping_unanswered = true;
            }
            _ = streams::stopped(&mut stopping) => break close(close_code::AWAY, "server stopping"),
        }
    };
    if let Some(frame) = farewell {
        send(&mut socket, Message::Close(Some(frame))).await;
    }
}

/// Handles `{"type": "subscribe"|"unsubscribe", "stream": …, "tag": …,
/// "list": …}`; returns an error message for the client, if any. Like
/// Mastodon, what isn't JSON or has another type is ignored.
fn on_message(subs: &mut Subscriptions, text: &str) -> Option<String> {
    let msg: Value = serde_json::from_str(text).ok()?;
    // Mastodon takes the first value when a field is an array, and list
    // ids may come as numbers.
    let field = |name: &str| -> Option<String> {
        let v = match msg.get(name)? {
            Value::Array(a) => a.first()?.clone(),
            v => v.clone(),
        };
        match v {
            Value::String(s) => Some(s),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        }
    };
    let kind = msg.get("type").and_then(Value::as_str)?;
    let name = field("stream").unwrap_or_default();
    let (tag, list) = (field("tag"), field("list"));
    let channel = Channel::parse(&name, tag.as_deref(), list.as_deref());
    match kind {
        "subscribe" => {
            let stream = streams::stream_name(&name, tag.as_deref(), list.as_deref());
            channel
                .and_then(|c| subs.subscribe(c, stream))
                .err()
                .map(|e| error_message(&e))
        }
        "unsubscribe" => match channel {
            Ok(c) => {
                subs.unsubscribe(&c);
                None
            }
            Err(_) => {
                Some(serde_json::json!({ "error": "Error unsubscribing from channel" }).to_string())
            }
        },
        _ => None,
    }
}
