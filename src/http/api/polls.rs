//! `/api/v1/polls`: read a poll and vote in it. A poll's id is its
//! status's id.

use super::auth::viewer;
use super::auth::Auth;
use super::entities::status::poll;
use super::params::Params;
use super::statuses::find;
use crate::http::error::ApiError;
use crate::ops::visibility::Viewer;
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/polls/{id}", get(show))
        .route("/api/v1/polls/{id}/votes", post(vote))
}

fn entity(s: &crate::store::statuses::Status) -> Result<Response, ApiError> {
    let p = s
        .poll
        .as_ref()
        .ok_or_else(|| ApiError::not_found("Record not found"))?;
    Ok(Json(poll(s.id, p)).into_response())
}

async fn show(
    State(state): State<AppState>,
    auth: Option<Auth>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    entity(&find(&state, &id, &viewer(&auth, "read:statuses")?)?)
}

async fn vote(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    p: Params,
) -> Result<Response, ApiError> {
    auth.user("write:statuses")?;
    let id = find(&state, &id, &Viewer::Owner)?.id;
    let choices = p
        .list("choices")
        .iter()
        .map(|c| {
            c.trim().parse::<usize>().map_err(|_| {
                ApiError::unprocessable(format!("`choices` must be option numbers, not `{c}`"))
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let s = crate::ops::polls::vote(&state, id, &choices).await?;
    entity(&s)
}
