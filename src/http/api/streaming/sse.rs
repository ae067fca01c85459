//! `/api/v1/streaming/user`, `/public/local`, `/hashtag?tag=`…: one
//! stream per request as server-sent events (`event: update`, `data:
//! <json>`), for clients that don't use the WebSocket.
//!
//! The response body is produced as hyper asks for it, so a client that
//! stops reading stops being fed; once it falls more than
//! `events::EVENT_BUFFER` events behind, the stream ends and the app
//! reconnects and reloads.

use super::streams::{self, Channel, StreamError, Subscriptions};
use crate::events::Event;
use crate::http::api::auth::Auth;
use crate::http::error::ApiError;
use crate::state::AppState;
use axum::extract::State;
use axum::http::{header, HeaderName, StatusCode, Uri};
use axum::response::sse::{self, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use std::collections::VecDeque;
use std::convert::Infallible;
use std::time::Duration;
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::broadcast::Receiver;
use tokio::sync::watch;

/// A `:thump` comment this often keeps proxies and NAT from dropping an
/// idle stream (nginx's default read timeout is 60 s).
pub const HEARTBEAT: Duration = Duration::from_secs(30);

/// Mastodon's `isTruthy` for `only_media`.
fn truthy(v: &str) -> bool {
    matches!(
        v.to_ascii_lowercase().as_str(),
        "1" | "true" | "t" | "on" | "yes" | "y"
    )
}

/// The stream a path names (Mastodon's paths), with `only_media` for the
/// public ones.
fn channel_name(path: &str, only_media: bool) -> Option<&'static str> {
    let rest = path
        .strip_prefix("/api/v1/streaming/")?
        .trim_end_matches('/');
    Some(match (rest, only_media) {
        ("user", _) => "user",
        ("user/notification", _) => "user:notification",
        ("public", false) => "public",
        ("public", true) => "public:media",
        ("public/local", false) => "public:local",
        ("public/local", true) => "public:local:media",
        ("public/remote", false) => "public:remote",
        ("public/remote", true) => "public:remote:media",
        ("hashtag", _) => "hashtag",
        ("hashtag/local", _) => "hashtag:local",
        ("list", _) => "list",
        ("direct", _) => "direct",
        _ => return None,
    })
}

fn api_error(e: StreamError) -> ApiError {
    ApiError::new(e.status, e.message)
}

pub async fn stream(
    State(state): State<AppState>,
    auth: Option<Auth>,
    uri: Uri,
) -> Result<Response, ApiError> {
    let auth =
        auth.ok_or_else(|| ApiError::new(StatusCode::UNAUTHORIZED, streams::MISSING_TOKEN))?;
    let (mut tag, mut list, mut only_media) = (None, None, false);
    for (k, v) in url::form_urlencoded::parse(uri.query().unwrap_or("").as_bytes()) {
        match &*k {
            "tag" => tag = tag.or(Some(v.into_owned())),
            "list" => list = list.or(Some(v.into_owned())),
            "only_media" => only_media = truthy(&v),
            _ => {}
        }
    }
    let name = channel_name(uri.path(), only_media)
        .ok_or_else(|| ApiError::bad_request("Unknown channel requested"))?;
    let channel = Channel::parse(name, tag.as_deref(), list.as_deref()).map_err(api_error)?;
    let mut subs = Subscriptions::new(auth).map_err(api_error)?;
    subs.subscribe(
        channel,
        streams::stream_name(name, tag.as_deref(), list.as_deref()),
    )
    .map_err(api_error)?;
    let conn = Conn {
        events: state.events.subscribe(),
        stopping: state.stopping.subscribe(),
        state,
        subs,
        pending: VecDeque::from([sse::Event::default().comment(")")]),
    };
    let body = futures_util::stream::unfold(conn, |mut conn| async move {
        let event = conn.next().await?;
        Some((Ok::<_, Infallible>(event), conn))
    });
    Ok((
        [
            (header::CACHE_CONTROL, "no-store"),
            // nginx would otherwise hold events back to fill its buffer.
            (HeaderName::from_static("x-accel-buffering"), "no"),
        ],
        Sse::new(body).keep_alive(KeepAlive::new().interval(HEARTBEAT).text("thump")),
    )
        .into_response())
}

/// One SSE client's stream.
struct Conn {
    state: AppState,
    subs: Subscriptions,
    events: Receiver<Event>,
    stopping: watch::Receiver<bool>,
    /// Events rendered from one broadcast event, not yet sent (one per
    /// stream, and an SSE request has one stream).
    pending: VecDeque<sse::Event>,
}

impl Conn {
    /// The next SSE event; `None` ends the response.
    async fn next(&mut self) -> Option<sse::Event> {
        loop {
            if let Some(e) = self.pending.pop_front() {
                return Some(e);
            }
            let event = tokio::select! {
                e = self.events.recv() => e,
                _ = streams::stopped(&mut self.stopping) => return None,
            };
            let event = match event {
                Ok(e) => e,
                Err(RecvError::Lagged(n)) => {
                    tracing::info!(
                        "an event-stream client fell {n} events behind; ending it so it reloads"
                    );
                    return None;
                }
                Err(RecvError::Closed) => return None,
            };
            if self.subs.ended_by(&event) {
                return None;
            }
            match self.subs.deliveries(&self.state, &event) {
                Ok(out) => self.pending.extend(out.iter().map(|d| {
                    // Mastodon writes JavaScript's `undefined` for events
                    // without a payload; a browser drops an event without
                    // data, so some data it must be.
                    let data = d.payload.as_deref().unwrap_or("undefined");
                    sse::Event::default().event(d.event).data(data)
                })),
                Err(e) => tracing::error!("cannot stream {event:?}: {e}"),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_name_mastodon_streams() {
        assert_eq!(
            channel_name("/api/v1/streaming/user/notification", false),
            Some("user:notification")
        );
        assert_eq!(
            channel_name("/api/v1/streaming/public/local", true),
            Some("public:local:media")
        );
        assert_eq!(
            channel_name("/api/v1/streaming/hashtag/local/", false),
            Some("hashtag:local")
        );
        assert_eq!(channel_name("/api/v1/streaming/health", false), None);
        assert!(truthy("True") && truthy("1") && !truthy("0") && !truthy(""));
    }
}
