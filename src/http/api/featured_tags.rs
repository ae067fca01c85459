//! `/api/v1/featured_tags`: the hashtags the owner shows on the profile.

use super::auth::Auth;
use super::entities::featured_tag::{featured_tag, FeaturedTagEntity};
use super::entities::tag::{tag, Tag};
use super::params::Params;
use crate::http::error::ApiError;
use crate::ops::featured_tags;
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::routing::{delete, get};
use axum::{Json, Router};
use serde_json::{json, Value};

/// Suggestions offered at most, as Mastodon offers.
const MAX_SUGGESTIONS: usize = 10;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/featured_tags", get(list).post(create))
        .route("/api/v1/featured_tags/{id}", delete(remove))
        .route("/api/v1/featured_tags/suggestions", get(suggestions))
}

/// Every featured tag of the account, as entities.
pub fn entities(state: &AppState, account_id: u64) -> Result<Vec<FeaturedTagEntity>, ApiError> {
    let owner = state.store.owner()?;
    if owner.map(|o| o.account_id) != Some(account_id) {
        return Ok(Vec::new());
    }
    let mut out = Vec::new();
    for f in state.store.featured_tags()? {
        out.push(featured_tag(state, account_id, &f)?);
    }
    Ok(out)
}

fn owner_id(state: &AppState) -> Result<u64, ApiError> {
    Ok(state.store.owner()?.map(|o| o.account_id).unwrap_or(0))
}

async fn list(
    State(state): State<AppState>,
    auth: Auth,
) -> Result<Json<Vec<FeaturedTagEntity>>, ApiError> {
    auth.user("read:accounts")?;
    Ok(Json(entities(&state, owner_id(&state)?)?))
}

async fn create(
    State(state): State<AppState>,
    auth: Auth,
    p: Params,
) -> Result<Json<FeaturedTagEntity>, ApiError> {
    auth.user("write:accounts")?;
    let name = p
        .str("name")
        .ok_or_else(|| ApiError::unprocessable("Validation failed: name is missing"))?;
    let f = featured_tags::feature(&state, &name).await?;
    Ok(Json(featured_tag(&state, owner_id(&state)?, &f)?))
}

async fn remove(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    auth.user("write:accounts")?;
    let id = id
        .parse()
        .map_err(|_| ApiError::not_found("Record not found"))?;
    featured_tags::unfeature(&state, id).await?;
    Ok(Json(json!({})))
}

async fn suggestions(
    State(state): State<AppState>,
    auth: Auth,
) -> Result<Json<Vec<Tag>>, ApiError> {
    auth.user("read:accounts")?;
    let mut out = Vec::new();
    for name in featured_tags::suggestions(&state, MAX_SUGGESTIONS)? {
        out.push(tag(&state, &name)?);
    }
    Ok(Json(out))
}
