//! `/api/v1/scheduled_statuses`: the owner's posts waiting for their
//! time; read, moved to another time, or cancelled. Scheduling itself is
//! `POST /api/v1/statuses` with `scheduled_at`.

use super::auth::Auth;
use super::entities::scheduled_status::scheduled_status;
use super::paging::{self, list_link_header, paged};
use super::params::{path_id, Params};
use crate::http::error::ApiError;
use crate::ops::scheduled;
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};

/// Scheduled statuses per page (Mastodon's default for this list).
pub const SCHEDULED_LIMIT: usize = 20;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/scheduled_statuses", get(index))
        .route(
            "/api/v1/scheduled_statuses/{id}",
            get(show).put(update).delete(destroy),
        )
}

/// `scheduled_at` as apps send it (ISO 8601 with a zone), or 422.
pub fn parse_time(raw: &str) -> Result<i64, ApiError> {
    crate::time_fmt::parse_rfc3339_ms(raw.trim()).ok_or_else(|| {
        ApiError::unprocessable(format!(
            "Validation failed: Scheduled at `{raw}` is not an ISO 8601 date and time"
        ))
    })
}

async fn index(State(state): State<AppState>, auth: Auth, p: Params) -> Result<Response, ApiError> {
    auth.user("read:statuses")?;
    let page = paging::page(&p, SCHEDULED_LIMIT);
    let all = state.store.scheduled_statuses()?;
    let ids = paging::page_ids(all.iter().map(|s| s.id).collect(), page);
    let body: Vec<_> = ids
        .iter()
        .filter_map(|id| all.iter().find(|s| s.id == *id))
        .map(|s| scheduled_status(&state, s))
        .collect();
    let link = list_link_header(&state, "/api/v1/scheduled_statuses", &p, &ids, page.limit);
    Ok(paged(body, link))
}

async fn show(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    auth.user("read:statuses")?;
    let s = state
        .store
        .scheduled_status(path_id(&id)?)?
        .ok_or_else(|| ApiError::not_found("Record not found"))?;
    Ok(Json(scheduled_status(&state, &s)).into_response())
}

async fn update(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    p: Params,
) -> Result<Response, ApiError> {
    auth.user("write:statuses")?;
    let id = path_id(&id)?;
    let raw = p
        .str("scheduled_at")
        .filter(|v| !v.trim().is_empty())
        .ok_or_else(|| ApiError::unprocessable("Validation failed: `scheduled_at` is required"))?;
    let s = scheduled::reschedule(&state, id, parse_time(&raw)?).await?;
    Ok(Json(scheduled_status(&state, &s)).into_response())
}

async fn destroy(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    auth.user("write:statuses")?;
    scheduled::cancel(&state, path_id(&id)?).await?;
    Ok(paging::empty_object())
}
