//! Errors at the HTTP edge. API and ActivityPub callers get
//! `{"error": "…"}` with the right status; browsers get a readable page.
//! Internal failures are logged in full and reported without detail.

use crate::ops::OpError;
use crate::store::StoreError;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            message: message.into(),
        }
    }
    pub fn bad_request(message: impl Into<String>) -> ApiError {
        Self::new(StatusCode::BAD_REQUEST, message)
    }
    pub fn not_found(message: impl Into<String>) -> ApiError {
        Self::new(StatusCode::NOT_FOUND, message)
    }
    pub fn unprocessable(message: impl Into<String>) -> ApiError {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, message)
    }
    pub fn internal(detail: impl std::fmt::Display) -> ApiError {
        tracing::error!("internal error: {detail}");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal server error; the server log has the details",
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (
            self.status,
            Json(serde_json::json!({ "error": self.message })),
        )
            .into_response()
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        ApiError::internal(e)
    }
}

impl From<OpError> for ApiError {
    fn from(e: OpError) -> Self {
        match e {
            OpError::Invalid(m) => ApiError::unprocessable(m),
            OpError::NotFound(m) => ApiError::not_found(m),
            OpError::Conflict(m) => ApiError::new(StatusCode::CONFLICT, m),
            OpError::Forbidden(m) => ApiError::new(StatusCode::FORBIDDEN, m),
            OpError::Store(e) => ApiError::internal(e),
            OpError::Internal(m) => ApiError::internal(m),
        }
    }
}

/// An error shown to a person in a browser, as a page.
#[derive(Debug)]
pub struct PageError {
    pub status: StatusCode,
    pub title: String,
    pub message: String,
}

impl PageError {
    pub fn new(status: StatusCode, title: &str, message: impl Into<String>) -> PageError {
        PageError {
            status,
            title: title.to_string(),
            message: message.into(),
        }
    }
    pub fn not_found(message: impl Into<String>) -> PageError {
        Self::new(StatusCode::NOT_FOUND, "Not found", message)
    }
    pub fn internal(detail: impl std::fmt::Display) -> PageError {
        tracing::error!("internal error: {detail}");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Something went wrong",
            "The server hit an internal error; its log has the details.",
        )
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        // Rendered without the state: a fixed, tiny page that cannot fail.
        let body = format!(
            "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{t}</title><link rel=\"stylesheet\" href=\"{css}\"></head><body><main><section class=\"card\"><h1>{t}</h1><p>{m}</p><p><a href=\"/\">Go to the front page</a></p></section></main></body></html>",
            t = crate::content::escape(&self.title),
            m = crate::content::escape(&self.message),
            css = crate::templates::stylesheet_url()
        );
        (self.status, axum::response::Html(body)).into_response()
    }
}

impl From<StoreError> for PageError {
    fn from(e: StoreError) -> Self {
        PageError::internal(e)
    }
}

impl From<OpError> for PageError {
    fn from(e: OpError) -> Self {
        match e {
            OpError::Invalid(m) => PageError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "Please check your input",
                m,
            ),
            OpError::NotFound(m) => PageError::not_found(m),
            OpError::Conflict(m) => PageError::new(StatusCode::CONFLICT, "Not possible", m),
            OpError::Forbidden(m) => PageError::new(StatusCode::FORBIDDEN, "Not allowed", m),
            OpError::Store(e) => PageError::internal(e),
            OpError::Internal(m) => PageError::internal(m),
        }
    }
}
