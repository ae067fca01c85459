//! `/api/v1/notifications/requests`: the senders whose notifications the
//! policy holds back, and the owner's answer to each (accept lets them
//! through and moves what waits into the list; dismiss deletes it).

use super::auth::Auth;
use super::entities::notification_policy::{notification_request, NotificationRequestEntity};
use super::paging::{self, paged_at, Links};
use super::params::{path_id, Params};
use crate::http::error::ApiError;
use crate::ops::notification_requests as ops;
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::Uri;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::json;

/// Ids in one bulk answer, at most (Mastodon's apps send a screenful).
pub const MAX_BULK_IDS: usize = 100;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/notifications/requests", get(index))
        .route("/api/v1/notifications/requests/merged", get(merged))
        .route("/api/v1/notifications/requests/accept", post(accept_many))
        .route("/api/v1/notifications/requests/dismiss", post(dismiss_many))
        .route("/api/v1/notifications/requests/{id}", get(show))
        .route("/api/v1/notifications/requests/{id}/accept", post(accept))
        .route("/api/v1/notifications/requests/{id}/dismiss", post(dismiss))
}

async fn index(
    State(state): State<AppState>,
    auth: Auth,
    uri: Uri,
    p: Params,
) -> Result<Response, ApiError> {
    auth.user("read:notifications")?;
    let page = paging::page(&p, paging::ACCOUNTS_LIMIT);
    let list = state.store.notification_request_page(page)?;
    let ids: Vec<u64> = list.iter().map(|r| r.id).collect();
    let mut body: Vec<NotificationRequestEntity> = Vec::with_capacity(list.len());
    for r in &list {
        body.extend(notification_request(&state, r)?);
    }
    Ok(paged_at(&state, &uri, body, Links::around(&ids)))
}

async fn show(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    auth.user("read:notifications")?;
    let r = state
        .store
        .notification_request(path_id(&id)?)?
        .ok_or_else(|| ApiError::not_found("Record not found"))?;
    let e =
        notification_request(&state, &r)?.ok_or_else(|| ApiError::not_found("Record not found"))?;
    Ok(Json(e).into_response())
}

async fn accept(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    auth.user("write:notifications")?;
    ops::accept(&state, path_id(&id)?).await?;
    Ok(paging::empty_object())
}

async fn dismiss(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    auth.user("write:notifications")?;
    ops::dismiss(&state, path_id(&id)?).await?;
    Ok(paging::empty_object())
}

/// `id[]` of the bulk forms; ids that are not numbers are refused.
fn ids(p: &Params) -> Result<Vec<u64>, ApiError> {
    let raw = p.list("id");
    if raw.len() > MAX_BULK_IDS {
        return Err(ApiError::unprocessable(format!(
            "at most {MAX_BULK_IDS} `id[]` at once"
        )));
    }
    raw.iter()
        .map(|s| {
            s.trim().parse::<u64>().map_err(|_| {
                ApiError::unprocessable(format!("`id[]` must be request ids, not `{s}`"))
            })
        })
        .collect()
}

async fn accept_many(
    State(state): State<AppState>,
    auth: Auth,
    p: Params,
) -> Result<Response, ApiError> {
    auth.user("write:notifications")?;
    ops::accept_many(&state, &ids(&p)?).await?;
    Ok(paging::empty_object())
}

async fn dismiss_many(
    State(state): State<AppState>,
    auth: Auth,
    p: Params,
) -> Result<Response, ApiError> {
    auth.user("write:notifications")?;
    ops::dismiss_many(&state, &ids(&p)?).await?;
    Ok(paging::empty_object())
}

/// Mastodon merges accepted requests in the background and apps wait for
/// this to say done; here accepting is done when it answers.
async fn merged(auth: Auth) -> Result<Response, ApiError> {
    auth.user("read:notifications")?;
    Ok(Json(json!({ "merged": true })).into_response())
}
