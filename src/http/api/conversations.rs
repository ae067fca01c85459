//! `/api/v1/conversations`: the owner's direct-message threads, most
//! recently active first. Pages are cut by last-status id, and the `Link`
//! header carries those ids, as Mastodon's does.

use super::auth::Auth;
use super::entities::conversation::{conversation, ConversationEntity};
use super::paging::{self, empty_object, paged_at, Links};
use super::params::{path_id, Params};
use crate::http::error::ApiError;
use crate::ops::conversations as ops;
use crate::ops::hiding;
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::Uri;
use axum::response::Response;
use axum::routing::{delete, get, post};
use axum::{Json, Router};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/conversations", get(list))
        .route("/api/v1/conversations/{id}", delete(remove))
        .route("/api/v1/conversations/{id}/read", post(read))
}

/// Mastodon's scopes: reading needs `read:statuses`; marking read and
/// removing are `write:conversations`.
async fn list(
    State(state): State<AppState>,
    auth: Auth,
    uri: Uri,
    p: Params,
) -> Result<Response, ApiError> {
    auth.user("read:statuses")?;
    let page = paging::page(&p, paging::STATUSES_LIMIT);
    // Like Mastodon, a conversation whose last status comes from someone
    // the owner blocked or muted (or whose server they blocked) is left
    // out; the rule is the timelines' (`ops::hiding`).
    let found = state
        .store
        .conversations_page(page, |last| match state.store.status(last) {
            Ok(Some(s)) => !hiding::status_hidden(&state, &s).unwrap_or(true),
            Ok(None) => true,
            Err(_) => false,
        })?;
    let cursors: Vec<u64> = found.iter().map(|c| c.last_status_id).collect();
    let mut out = Vec::with_capacity(found.len());
    for c in &found {
        out.push(conversation(&state, c)?);
    }
    Ok(paged_at(
        &state,
        &uri,
        out,
        Links::if_full(&cursors, page.limit),
    ))
}

async fn remove(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    auth.user("write:conversations")?;
    ops::remove(&state, path_id(&id)?).await?;
    Ok(empty_object())
}

async fn read(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Json<ConversationEntity>, ApiError> {
    auth.user("write:conversations")?;
    let c = ops::mark_read(&state, path_id(&id)?).await?;
    Ok(Json(conversation(&state, &c)?))
}
