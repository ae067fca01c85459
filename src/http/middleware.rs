//! Request-wide behaviour: one log line per request, and the "not set up
//! yet" gate in front of everything but the setup page.

use super::error::ApiError;
use crate::state::AppState;
use axum::extract::{Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use std::time::Instant;

/// Logs method, path, status and duration once the response is ready.
/// The query string is left out: it can carry tokens.
pub async fn log_request(req: Request, next: Next) -> Response {
    let start = Instant::now();
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let res = next.run(req).await;
    let ms = start.elapsed().as_secs_f64() * 1000.0;
    tracing::info!(target: "burrow::http", "{method} {path} {} {ms:.1}ms", res.status().as_u16());
    res
}

/// Until the owner exists, everything but `/setup` and `/static/` answers
/// 503 and says why.
pub async fn require_setup(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let path = req.uri().path();
    if path.starts_with("/setup") || path.starts_with("/static/") || state.is_set_up() {
        return next.run(req).await;
    }
    let message = "This Burrow server is not set up yet. Its owner must open the setup link printed when the server started.";
    let wants_html = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("text/html"));
    if wants_html {
        let body = state
            .templates
            .render(
                "message.html",
                minijinja::context! { title => "Not set up yet", message => message, link => () },
            )
            .unwrap_or_else(|_| message.to_string());
        (StatusCode::SERVICE_UNAVAILABLE, Html(body)).into_response()
    } else {
        ApiError::new(StatusCode::SERVICE_UNAVAILABLE, message).into_response()
    }
}
