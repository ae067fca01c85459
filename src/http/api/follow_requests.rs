//! Follow requests to the (locked) owner: list, authorize, reject.

use super::accounts_read::{known_account, relation_list};
use super::auth::Auth;
use super::entities::relationship::{relationship, RelationshipEntity};
use super::params::Params;
use crate::http::error::ApiError;
use crate::ops::follows;
use crate::state::AppState;
use crate::store::relations::Rel;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/follow_requests", get(list))
        .route("/api/v1/follow_requests/{id}/authorize", post(authorize))
        .route("/api/v1/follow_requests/{id}/reject", post(reject))
}

async fn list(State(state): State<AppState>, auth: Auth, p: Params) -> Result<Response, ApiError> {
    auth.user("read:follows")?;
    relation_list(&state, Rel::RequestedBy, "/api/v1/follow_requests", &p)
}

async fn authorize(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Json<RelationshipEntity>, ApiError> {
    auth.user("write:follows")?;
    let a = known_account(&state, &id)?;
    follows::authorize_request(&state, a.id).await?;
    Ok(Json(relationship(&state, a.id)?))
}

async fn reject(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Json<RelationshipEntity>, ApiError> {
    auth.user("write:follows")?;
    let a = known_account(&state, &id)?;
    follows::reject_request(&state, a.id).await?;
    Ok(Json(relationship(&state, a.id)?))
}
