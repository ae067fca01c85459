//! Request-wide behaviour: one log line per request, the "not set up
//! yet" gate in front of everything but the setup page, and the security
//! headers every response carries.

use super::error::ApiError;
use crate::state::AppState;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use std::time::Instant;

/// Logs method, path, status and duration once the response is ready.
/// The query string is left out: it can carry tokens. The client is the
/// one `client::identify` decided (a trusted proxy's word, or the socket).
pub async fn log_request(req: Request, next: Next) -> Response {
    let start = Instant::now();
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let client = super::client::of(&req);
    let res = next.run(req).await;
    let ms = start.elapsed().as_secs_f64() * 1000.0;
    let from = client.addr.map(|a| a.to_string()).unwrap_or_default();
    let scheme = if client.https { "https" } else { "http" };
    tracing::info!(target: "burrow::http", "{method} {path} {} {ms:.1}ms client={from} {scheme}", res.status().as_u16());
    res
}

/// The policy every HTML page is sent with. The pages carry no script
/// of their own and no inline style, so nothing inline may run: if a peer's
/// string ever slipped past the link gate or the sanitiser, the browser
/// would still refuse to run it. Images and media may come from peers'
/// servers over https (avatars, attachments). `form-action` is left out
/// on purpose: the OAuth authorize form ends in a redirect to the app's
/// own `redirect_uri` (often a custom scheme), which `form-action` would
/// block in some browsers, as Mastodon found.
pub const HTML_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
img-src 'self' https: data: blob:; media-src 'self' https:; connect-src 'self'; \
font-src 'self'; base-uri 'none'; frame-ancestors 'none'";

/// Links out of Burrow tell the other site nothing about the page they
/// came from (the owner's page addresses carry ids and search words).
const REFERRER_POLICY: &str = "same-origin";

/// Adds the security headers: the content security policy to HTML
/// responses (one that already has its own, such as media, keeps it),
/// `nosniff` and the referrer policy to every response.
pub async fn security_headers(req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    let is_html = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| {
            t.trim_start()
                .get(..9)
                .is_some_and(|p| p.eq_ignore_ascii_case("text/html"))
        });
    let headers = res.headers_mut();
    if is_html {
        headers
            .entry(header::CONTENT_SECURITY_POLICY)
            .or_insert(HeaderValue::from_static(HTML_CSP));
    }
    headers
        .entry(header::X_CONTENT_TYPE_OPTIONS)
        .or_insert(HeaderValue::from_static("nosniff"));
    headers
        .entry(header::REFERRER_POLICY)
        .or_insert(HeaderValue::from_static(REFERRER_POLICY));
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
