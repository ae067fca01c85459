//! The HTTP edge: routers, extractors, and the conversion of errors into
//! responses. Only this module (and its children) knows axum.

pub mod ap;
pub mod api;
pub mod client;
pub mod error;
pub mod media;
mod middleware;
pub mod redirect;
pub mod web;
pub mod wellknown;

use crate::state::AppState;
use axum::extract::DefaultBodyLimit;
use axum::Router;
use std::time::Duration;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::cors::CorsLayer;
use tower_http::timeout::TimeoutLayer;

/// Largest request body accepted anywhere except media uploads. Peers
/// never send activities near this size.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;
/// A request that takes longer than this is answered 408 and dropped, so a
/// slow client can't pin memory.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// The whole application; used by `main` and by the tests alike.
pub fn app(state: AppState) -> Router {
    // Discovery and ActivityPub documents are public and read by
    // browser-based clients too: any origin may read them.
    let public = Router::new()
        .merge(wellknown::routes())
        .merge(ap::routes())
        .merge(media::routes())
        .layer(CorsLayer::permissive());
    Router::new()
        .merge(public)
        .merge(web::routes())
        .merge(api::routes())
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            middleware::require_setup,
        ))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            REQUEST_TIMEOUT,
        ))
        .layer(catch_panics())
        .layer(axum::middleware::from_fn(middleware::log_request))
        .layer(axum::middleware::from_fn(middleware::security_headers))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            client::identify,
        ))
        .with_state(state)
}

/// What a panic inside a request becomes.
type PanicResponder = fn(Box<dyn std::any::Any + Send + 'static>) -> axum::response::Response;

/// Defence in depth: a panic inside one request (a bug no test found)
/// becomes a logged 500 with a JSON `{"error": …}` body, and the server
/// goes on serving every other request. Parsing code is written not to
/// panic; this layer is for the panic nobody foresaw. It sits inside the
/// request log, so the 500 is logged like any answer.
pub fn catch_panics() -> CatchPanicLayer<PanicResponder> {
    CatchPanicLayer::custom(panic_response as PanicResponder)
}

fn panic_response(panic: Box<dyn std::any::Any + Send + 'static>) -> axum::response::Response {
    use axum::response::IntoResponse;
    error::ApiError::internal(format!(
        "a request panicked: {}",
        crate::supervisor::panic_message(panic.as_ref())
    ))
    .into_response()
}

/// True when the client asked for ActivityPub JSON rather than HTML.
pub fn wants_activity_json(headers: &axum::http::HeaderMap) -> bool {
    headers
        .get_all(axum::http::header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| {
            v.contains("application/activity+json")
                || v.contains("application/ld+json")
                || v.split(',')
                    .any(|t| t.trim().starts_with("application/json"))
        })
}
