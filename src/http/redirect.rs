//! The plain-HTTP listener beside Burrow's own HTTPS: it answers ACME
//! HTTP-01 challenges and sends everything else to the same path on the
//! public (https) URL. It serves nothing of the site itself.

use crate::tls::acme::Http01Tokens;
use axum::extract::{Path, Request, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

#[derive(Clone)]
struct Plain {
    /// Redirects go here, never to the `Host` a client sent.
    public_url: String,
    tokens: Http01Tokens,
}

pub fn plain_app(public_url: &str, tokens: Http01Tokens) -> Router {
    Router::new()
        .route("/.well-known/acme-challenge/{token}", get(challenge))
        .fallback(to_https)
        .with_state(Plain {
            public_url: public_url.to_string(),
            tokens,
        })
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            super::REQUEST_TIMEOUT,
        ))
        .layer(axum::middleware::from_fn(super::middleware::log_request))
        .layer(axum::middleware::from_fn(
            super::middleware::security_headers,
        ))
}

async fn challenge(State(plain): State<Plain>, Path(token): Path<String>) -> Response {
    match plain.tokens.get(&token) {
        Some(key_authorization) => (
            [(header::CONTENT_TYPE, "application/octet-stream")],
            key_authorization,
        )
            .into_response(),
        None => (StatusCode::NOT_FOUND, "no such challenge").into_response(),
    }
}

async fn to_https(State(plain): State<Plain>, req: Request) -> Response {
    let path = req
        .uri()
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or("/");
    let target = format!("{}{path}", plain.public_url);
    (StatusCode::PERMANENT_REDIRECT, [(header::LOCATION, target)]).into_response()
}
