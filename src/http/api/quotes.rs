//! Quote posts in the client API (Mastodon 4.5): the `quoted_status_id`
//! and `quote_approval_policy` parameters of a new post, the quotes of
//! one of the owner's posts, and revoking one.

use super::auth::Auth;
use super::entities::status::{status, statuses};
use super::params::Params;
use super::statuses::parse_id;
use crate::http::error::ApiError;
use crate::ops::filters::Filters;
use crate::ops::quotes::MAX_QUOTES_LISTED;
use crate::state::AppState;
use crate::store::quotes::QuotePolicy;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/statuses/{id}/quotes", get(list))
        .route(
            "/api/v1/statuses/{id}/quotes/{quoting_id}/revoke",
            post(revoke),
        )
}

/// `quoted_status_id`: empty means none; anything but an id is 404, as
/// Mastodon answers for a post it can't find.
pub fn quoted_status_id(p: &Params) -> Result<Option<u64>, ApiError> {
    match p.str("quoted_status_id").filter(|v| !v.trim().is_empty()) {
        Some(raw) => Ok(Some(parse_id(&raw)?)),
        None => Ok(None),
    }
}

/// `quote_approval_policy`: `public`, `followers` or `nobody`.
pub fn quote_policy(p: &Params) -> Result<Option<QuotePolicy>, ApiError> {
    match p.str("quote_approval_policy").filter(|v| !v.trim().is_empty()) {
        Some(v) => QuotePolicy::parse(v.trim()).map(Some).ok_or_else(|| {
            ApiError::unprocessable(format!(
                "Validation failed: quote_approval_policy `{v}` is not one of public, followers, nobody"
            ))
        }),
        None => Ok(None),
    }
}

/// The accepted quotes of one of the owner's posts (only its author may
/// list them, as on Mastodon).
async fn list(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    p: Params,
) -> Result<Response, ApiError> {
    let owner = auth.user("read:statuses")?;
    let id = parse_id(&id)?;
    let owner_account = state.store.owner()?.map(|o| o.account_id);
    match state.store.status(id)? {
        Some(s) if Some(s.account_id) == owner_account && owner_account == Some(owner) => {}
        _ => return Err(ApiError::not_found("Record not found")),
    }
    let limit = p
        .str("limit")
        .and_then(|l| l.trim().parse::<usize>().ok())
        .unwrap_or(20)
        .clamp(1, MAX_QUOTES_LISTED);
    let ids = state.store.quotes_of(id, limit)?;
    let out = statuses(&state, &auth.viewer(), &ids, &Filters::none())?;
    Ok(Json(out).into_response())
}

async fn revoke(
    State(state): State<AppState>,
    auth: Auth,
    Path((id, quoting_id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    auth.user("write:statuses")?;
    let s = crate::ops::quotes::revoke(&state, parse_id(&id)?, parse_id(&quoting_id)?).await?;
    Ok(Json(status(&state, &s)?).into_response())
}
