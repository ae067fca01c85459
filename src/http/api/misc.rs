//! The small endpoints apps call at start-up or from side screens:
//! preferences, hashtags and followed tags, and the features Burrow does
//! not have (trends, announcements, suggestions), answered with the empty shapes Mastodon
//! uses so apps show an empty screen instead of an error.

use super::auth::Auth;
use super::entities::tag::{tag, Tag};
use super::paging::{self, NAMES_LIMIT};
use super::params::Params;
use crate::http::error::ApiError;
use crate::ops::tags;
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use serde_json::{json, Value};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/preferences", get(preferences))
        .route("/api/v1/followed_tags", get(followed_tags))
        .route("/api/v1/tags/{name}", get(show_tag))
        .route("/api/v1/tags/{name}/follow", post(follow_tag))
        .route("/api/v1/tags/{name}/unfollow", post(unfollow_tag))
        .route("/api/v1/trends", get(public_empty))
        .route("/api/v1/trends/tags", get(public_empty))
        .route("/api/v1/trends/statuses", get(public_empty))
        .route("/api/v1/trends/links", get(public_empty))
        .route("/api/v1/announcements", get(announcements))
        .route(
            "/api/v1/announcements/{id}/dismiss",
            post(dismiss_announcement),
        )
        .route("/api/v1/suggestions", get(suggestions))
        .route("/api/v1/suggestions/{id}", delete(dismiss_suggestion))
        .route("/api/v2/suggestions", get(suggestions))
}

async fn preferences(State(state): State<AppState>, auth: Auth) -> Result<Json<Value>, ApiError> {
    auth.user("read:accounts")?;
    let prefs = state.store.preferences()?;
    let language = Some(prefs.language).filter(|l| !l.is_empty());
    Ok(Json(json!({
        "posting:default:visibility": prefs.privacy,
        "posting:default:sensitive": prefs.sensitive,
        "posting:default:language": language,
        "reading:expand:media": "default",
        "reading:expand:spoilers": false,
    })))
}

async fn followed_tags(
    State(state): State<AppState>,
    auth: Auth,
    p: Params,
) -> Result<Response, ApiError> {
    auth.user("read:follows")?;
    let page = paging::page(&p, NAMES_LIMIT);
    let rows = state.store.followed_tags_page(page)?;
    let mut out = Vec::with_capacity(rows.len());
    for (_, name) in &rows {
        out.push(tag(&state, name)?);
    }
    let ids: Vec<u64> = rows.iter().map(|(id, _)| *id).collect();
    let link = paging::list_link_header(&state, "/api/v1/followed_tags", &p, &ids, page.limit);
    Ok(paging::paged(out, link))
}

fn tag_name(raw: &str) -> Result<String, ApiError> {
    tags::normalize(raw).ok_or_else(|| ApiError::not_found("Record not found"))
}

async fn show_tag(
    State(state): State<AppState>,
    auth: Option<Auth>,
    Path(name): Path<String>,
) -> Result<Json<Tag>, ApiError> {
    if let Some(a) = &auth {
        a.require_any(&["read", "read:follows"])?;
    }
    Ok(Json(tag(&state, &tag_name(&name)?)?))
}

async fn follow_tag(
    State(state): State<AppState>,
    auth: Auth,
    Path(name): Path<String>,
) -> Result<Json<Tag>, ApiError> {
    auth.user("write:follows")?;
    let name = tags::follow(&state, &name).await?;
    Ok(Json(tag(&state, &name)?))
}

async fn unfollow_tag(
    State(state): State<AppState>,
    auth: Auth,
    Path(name): Path<String>,
) -> Result<Json<Tag>, ApiError> {
    auth.user("write:follows")?;
    let name = tags::unfollow(&state, &name).await?;
    Ok(Json(tag(&state, &name)?))
}

/// Trends need a crowd; a one-person server has none to show.
async fn public_empty() -> Json<Vec<Value>> {
    Json(Vec::new())
}

async fn announcements(auth: Auth) -> Result<Json<Vec<Value>>, ApiError> {
    auth.user("read")?;
    Ok(Json(Vec::new()))
}

async fn dismiss_announcement(auth: Auth) -> Result<Json<Value>, ApiError> {
    auth.user("write:accounts")?;
    Err(ApiError::not_found("Record not found"))
}

/// Nothing is suggested, so dismissing succeeds with nothing to do.
async fn dismiss_suggestion(auth: Auth) -> Result<Json<Value>, ApiError> {
    auth.user("read")?;
    Ok(Json(json!({})))
}

async fn suggestions(auth: Auth) -> Result<Json<Vec<Value>>, ApiError> {
    auth.user("read")?;
    Ok(Json(Vec::new()))
}
