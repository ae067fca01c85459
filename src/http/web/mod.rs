//! HTML pages: setup, the public profile, static files.

pub mod profile;
mod setup;

use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/setup", get(setup::form).post(setup::submit))
        .route("/@{name}", get(profile::page))
        .route("/static/{file}", get(static_file))
}

async fn home(State(state): State<AppState>) -> Response {
    match state.store.owner_account() {
        Ok(Some(a)) => Redirect::to(&format!("/@{}", a.username)).into_response(),
        _ => StatusCode::SERVICE_UNAVAILABLE.into_response(),
    }
}

async fn static_file(Path(file): Path<String>) -> Response {
    match crate::templates::STATIC_FILES
        .iter()
        .find(|(name, _, _)| *name == file)
    {
        Some((_, content_type, bytes)) => (
            [
                (header::CONTENT_TYPE, *content_type),
                (header::CACHE_CONTROL, "public, max-age=86400"),
            ],
            *bytes,
        )
            .into_response(),
        None => super::error::PageError::not_found("There is no such file.").into_response(),
    }
}
