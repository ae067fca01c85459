//! Mastodon's streaming API: live timelines and notifications over
//! WebSocket (`/api/v1/streaming`) or server-sent events
//! (`/api/v1/streaming/user`…), fed by `state.events`.
//!
//! Streaming responses outlive the request timeout on purpose: tower's
//! `TimeoutLayer` bounds only the time until the response head (a 101
//! or the SSE headers), not the upgraded socket or the body that
//! follows, so the streaming routes sit behind it like every other.
//! They end when the client leaves, falls behind, or the server stops
//! (`state.stopping`).

pub mod sse;
pub mod streams;
pub mod ws;

use crate::state::AppState;
use axum::http::header;
use axum::routing::{any, get};
use axum::Router;

/// The SSE paths, as Mastodon names them.
const SSE_PATHS: &[&str] = &[
    "/api/v1/streaming/user",
    "/api/v1/streaming/user/notification",
    "/api/v1/streaming/public",
    "/api/v1/streaming/public/local",
    "/api/v1/streaming/public/remote",
    "/api/v1/streaming/hashtag",
    "/api/v1/streaming/hashtag/local",
    "/api/v1/streaming/list",
    "/api/v1/streaming/direct",
];

pub fn routes() -> Router<AppState> {
    let router = Router::new()
        .route("/api/v1/streaming", any(ws::upgrade))
        .route("/api/v1/streaming/health", get(health));
    SSE_PATHS
        .iter()
        .fold(router, |r, path| r.route(path, get(sse::stream)))
}

/// Apps check this before connecting.
async fn health() -> impl axum::response::IntoResponse {
    ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], "OK")
}
