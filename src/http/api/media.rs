//! `POST /api/v1/media`, `/api/v2/media` and `GET/PUT/DELETE
//! /api/v1/media/:id`. Decoding happens in `ops::media`, bounded there.

use super::auth::Auth;
use super::entities::status::{local_media, MediaEntity};
use crate::http::error::ApiError;
use crate::state::AppState;
use axum::extract::{DefaultBodyLimit, Multipart, Path, State};
use axum::routing::{get, post};
use axum::{Json, Router};

/// Multipart framing and text fields around the file.
const MULTIPART_OVERHEAD: usize = 64 * 1024;

pub fn routes() -> Router<AppState> {
    let upload_limit = DefaultBodyLimit::max(crate::media::MAX_UPLOAD_BYTES + MULTIPART_OVERHEAD);
    Router::new()
        .route("/api/v1/media", post(upload).layer(upload_limit))
        .route("/api/v2/media", post(upload).layer(upload_limit))
        .route("/api/v1/media/{id}", get(show).put(update).delete(destroy))
}

fn media_id(id: &str) -> Result<u64, ApiError> {
    crate::store::ids::parse_id(id).ok_or_else(|| ApiError::not_found("Record not found"))
}

/// `"x,y"` as Mastodon clients send the focal point.
pub(crate) fn parse_focus(s: &str) -> Result<(f32, f32), ApiError> {
    let bad = || {
        ApiError::unprocessable(format!(
            "focus `{s}` must be two numbers from -1.0 to 1.0, like 0.5,-0.2"
        ))
    };
    let (x, y) = s.split_once(',').ok_or_else(bad)?;
    Ok((
        x.trim().parse().map_err(|_| bad())?,
        y.trim().parse().map_err(|_| bad())?,
    ))
}

async fn upload(
    State(state): State<AppState>,
    auth: Auth,
    mut form: Multipart,
) -> Result<Json<MediaEntity>, ApiError> {
    auth.user_any(&["write:media", "write"])?;
    let mut file: Option<(Vec<u8>, Option<String>, Option<String>)> = None;
    let mut description = None;
    let mut focus = None;
    loop {
        let field = match form.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => {
                return Err(ApiError::new(
                    e.status(),
                    format!("the upload could not be read: {}", e.body_text()),
                ))
            }
        };
        match field.name().unwrap_or("") {
            "file" => {
                let name = field.file_name().map(str::to_string);
                let ctype = field.content_type().map(str::to_string);
                let bytes = field.bytes().await.map_err(|e| {
                    ApiError::new(
                        e.status(),
                        format!("the upload could not be read: {}", e.body_text()),
                    )
                })?;
                file = Some((bytes.to_vec(), name, ctype));
            }
            "description" => {
                description = Some(
                    field
                        .text()
                        .await
                        .map_err(|e| ApiError::unprocessable(e.body_text()))?,
                )
            }
            "focus" => {
                focus = Some(parse_focus(
                    &field
                        .text()
                        .await
                        .map_err(|e| ApiError::unprocessable(e.body_text()))?,
                )?)
            }
            // Custom thumbnails (for audio and video) are not supported; ignore.
            _ => {}
        }
    }
    let (bytes, name, ctype) =
        file.ok_or_else(|| ApiError::unprocessable("Validation failed: File can't be blank"))?;
    let rec = crate::ops::media::upload(
        &state,
        bytes,
        name.as_deref(),
        ctype.as_deref(),
        description.as_deref(),
        focus,
    )
    .await?;
    Ok(Json(local_media(&rec, &state.urls)))
}

async fn show(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Json<MediaEntity>, ApiError> {
    auth.user_any(&["write:media", "write"])?;
    let rec = crate::ops::media::get(&state, media_id(&id)?)?;
    Ok(Json(local_media(&rec, &state.urls)))
}

async fn update(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    params: super::params::Params,
) -> Result<Json<MediaEntity>, ApiError> {
    auth.user_any(&["write:media", "write"])?;
    let focus = match params.str("focus") {
        Some(f) => Some(parse_focus(&f)?),
        None => None,
    };
    let rec = crate::ops::media::update(
        &state,
        media_id(&id)?,
        params.str("description").as_deref(),
        focus,
    )
    .await?;
    Ok(Json(local_media(&rec, &state.urls)))
}

/// Answers `{}` as Mastodon's `render_empty` does: apps parse every 200
/// body as JSON, and an empty one fails that parse.
async fn destroy(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    auth.user_any(&["write:media", "write"])?;
    crate::ops::media::delete_unattached(&state, media_id(&id)?).await?;
    Ok(Json(serde_json::json!({})))
}
