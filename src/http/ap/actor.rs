//! `/users/NAME`: the Person document for ActivityPub clients, the
//! profile page for browsers.

use crate::http::error::PageError;
use crate::http::{wants_activity_json, web};
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;

pub async fn actor(
    State(state): State<AppState>,
    Path(name): Path<String>,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    if !wants_activity_json(&headers) {
        return web::profile::render(&state, &name, &headers);
    }
    let account = web::profile::owner_named(&state, &name)?;
    Ok(super::activity_json(crate::activitypub::actor::person(
        &account,
        &state.urls,
    )))
}
