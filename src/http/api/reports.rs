//! `POST /api/v1/reports`: the owner reports an account, and with
//! `forward` its server hears of it (`ops::reports`).

use super::auth::Auth;
use super::entities::report::report;
use super::params::Params;
use crate::http::error::ApiError;
use crate::ops::reports::{self, NewReport};
use crate::state::AppState;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};

pub fn routes() -> Router<AppState> {
    Router::new().route("/api/v1/reports", post(create))
}

/// Ids in `key[]`; one that is not an id is 422.
fn ids(p: &Params, key: &str) -> Result<Vec<u64>, ApiError> {
    p.list(key)
        .iter()
        .map(|v| v.trim())
        .filter(|v| !v.is_empty())
        .map(|v| {
            v.parse::<u64>().map_err(|_| {
                ApiError::unprocessable(format!("`{key}` must be a list of ids, not `{v}`"))
            })
        })
        .collect()
}

async fn create(
    State(state): State<AppState>,
    auth: Auth,
    p: Params,
) -> Result<Response, ApiError> {
    auth.user("write:reports")?;
    let raw = p
        .str("account_id")
        .filter(|v| !v.trim().is_empty())
        .ok_or_else(|| ApiError::unprocessable("`account_id` is required"))?;
    let account_id = raw
        .trim()
        .parse::<u64>()
        .map_err(|_| ApiError::not_found("Record not found"))?;
    let new = NewReport {
        account_id,
        status_ids: ids(&p, "status_ids")?,
        comment: p.str("comment").unwrap_or_default(),
        forward: p.bool("forward")?.unwrap_or(false),
        category: p.str("category").filter(|c| !c.is_empty()),
        rule_ids: ids(&p, "rule_ids")?,
    };
    let r = reports::report(&state, new).await?;
    Ok(Json(report(&state, &r)?).into_response())
}
