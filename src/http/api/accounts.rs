//! `/api/v1/accounts/verify_credentials` and `update_credentials` (with
//! avatar and header uploads), and `DELETE /api/v1/profile/avatar` and
//! `/header` (Mastodon 4.2).

use super::auth::Auth;
use super::entities::account::credential_account;
use super::params::ParamsWithFiles;
use crate::http::error::ApiError;
use crate::ops::profile::ProfileUpdate;
use crate::ops::profile_images::{Picture, PictureChange, PictureUpdate};
use crate::state::AppState;
use crate::store::preferences::FieldSource;
use crate::store::relations::Rel;
use axum::extract::{DefaultBodyLimit, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, patch};
use axum::{Json, Router};

/// Multipart framing and the text fields around the two pictures.
const MULTIPART_OVERHEAD: usize = 64 * 1024;

/// `update_credentials` may carry an avatar and a header, each up to the
/// media upload limit (Mastodon's 16 MiB); each is checked on its own too.
pub const MAX_CREDENTIALS_BODY_BYTES: usize =
    2 * crate::media::MAX_UPLOAD_BYTES + MULTIPART_OVERHEAD;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/accounts/verify_credentials",
            get(verify_credentials),
        )
        .route(
            "/api/v1/accounts/update_credentials",
            patch(update_credentials)
                .put(update_credentials)
                .layer(DefaultBodyLimit::max(MAX_CREDENTIALS_BODY_BYTES)),
        )
        .route("/api/v1/profile/avatar", delete(remove_avatar))
        .route("/api/v1/profile/header", delete(remove_header))
}

fn owner_entity(state: &AppState) -> Result<Response, ApiError> {
    let account = state
        .store
        .owner_account()?
        .ok_or_else(|| ApiError::not_found("Record not found"))?;
    let prefs = state.store.preferences()?;
    // Counted rather than kept as a counter: pending requests are few (a
    // locked account answers them), and a count can never drift.
    let requests = state.store.relation_accounts(Rel::RequestedBy)?.len() as u64;
    Ok(Json(credential_account(&account, &prefs, requests, &state.urls)).into_response())
}

pub async fn verify_credentials(
    State(state): State<AppState>,
    auth: Auth,
) -> Result<Response, ApiError> {
    auth.user_any(&["profile", "read:accounts"])?;
    owner_entity(&state)
}

pub async fn update_credentials(
    State(state): State<AppState>,
    auth: Auth,
    body: ParamsWithFiles,
) -> Result<Response, ApiError> {
    auth.user("write:accounts")?;
    let p = &body.params;
    let fields = p.objects("fields_attributes").map(|list| {
        list.iter()
            .map(|o| {
                let s = |k: &str| match o.get(k) {
                    Some(serde_json::Value::String(s)) => s.clone(),
                    Some(serde_json::Value::Null) | None => String::new(),
                    Some(other) => other.to_string(),
                };
                FieldSource {
                    name: s("name"),
                    value: s("value"),
                }
            })
            .collect()
    });
    let update = ProfileUpdate {
        display_name: p.str("display_name"),
        note: p.str("note"),
        locked: p.bool("locked")?,
        bot: p.bool("bot")?,
        discoverable: p.bool("discoverable")?,
        indexable: p.bool("indexable")?,
        hide_collections: p.bool("hide_collections")?,
        fields,
        privacy: p.nested_str("source", "privacy"),
        sensitive: p.nested_bool("source", "sensitive")?,
        language: p.nested_str("source", "language"),
    };
    let picture = |field: &str| {
        body.file(field)
            // A file input left empty in a web form sends an empty part.
            .filter(|f| !(f.bytes.is_empty() && f.file_name.is_empty()))
            .map(|f| PictureChange::Replace(f.bytes.to_vec()))
    };
    let pictures = PictureUpdate {
        avatar: picture("avatar"),
        header: picture("header"),
    };
    crate::ops::profile_images::update(&state, update, pictures).await?;
    owner_entity(&state)
}

async fn remove_avatar(State(state): State<AppState>, auth: Auth) -> Result<Response, ApiError> {
    auth.user("write:accounts")?;
    crate::ops::profile_images::remove(&state, Picture::Avatar).await?;
    owner_entity(&state)
}

async fn remove_header(State(state): State<AppState>, auth: Auth) -> Result<Response, ApiError> {
    auth.user("write:accounts")?;
    crate::ops::profile_images::remove(&state, Picture::Header).await?;
    owner_entity(&state)
}
