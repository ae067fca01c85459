//! Reading the compose form, which carries images: `multipart/form-data`
//! with up to four files, each with its alt text, besides the text
//! fields. A plain urlencoded body (no files) is read as any other form.
//!
//! Each image is handed to `ops::media::upload` (the operation behind
//! `POST /api/v1/media`) as soon as its part has arrived, so memory holds
//! one file at a time, never the whole body. Files are accepted only
//! after the session's CSRF token, which browsers send first (fields go
//! in page order and the token is the form's first field): a forged
//! cross-site post is refused before any image is read. When anything
//! later fails, the images uploaded so far are deleted again.

use super::session::{csrf_refused, Post, Session};
use crate::crypto::secure_eq;
use crate::http::error::PageError;
use crate::media::MAX_UPLOAD_BYTES;
use crate::ops::statuses::MAX_MEDIA_ATTACHMENTS;
use crate::state::AppState;
use axum::extract::multipart::{Field, MultipartError};
use axum::extract::{FromRequest, FromRequestParts, Multipart, Request};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;

/// Multipart framing and the text fields around the files (the text and
/// four alt texts are a few KiB at most).
pub const MULTIPART_OVERHEAD: usize = 64 * 1024;

/// The compose form's body limit: the API's per-file limit for each of
/// the images a post may carry. Every single file is bounded again on
/// its own as it arrives.
pub const MAX_COMPOSE_BODY_BYTES: usize =
    MAX_MEDIA_ATTACHMENTS * MAX_UPLOAD_BYTES + MULTIPART_OVERHEAD;

/// Longest text field read. The post (500 characters) and an alt text
/// (1,500) fit many times over in UTF-8.
pub const MAX_TEXT_FIELD_BYTES: usize = 16 * 1024;

/// The file inputs are `media_0` … `media_3`, their alt texts
/// `description_0` … `description_3`.
const FILE_FIELD: &str = "media_";
const DESCRIPTION_FIELD: &str = "description_";

/// A compose form that carried the session's token, with the ids of the
/// images it uploaded in the order of the form's slots.
pub struct ComposePost<T> {
    pub form: T,
    pub media_ids: Vec<u64>,
}

impl<T> ComposePost<T> {
    /// Deletes the uploaded images, when the post they were for failed.
    pub async fn discard_media(&self, state: &AppState) {
        discard(state, &self.media_ids).await;
    }
}

async fn discard(state: &AppState, ids: &[u64]) {
    for id in ids {
        if let Err(e) = crate::ops::media::delete_unattached(state, *id).await {
            // The sweeper removes it within a day.
            tracing::warn!("could not delete unused upload {id}: {e:?}");
        }
    }
}

impl<T: DeserializeOwned + Send> FromRequest<AppState> for ComposePost<T> {
    type Rejection = Response;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Response> {
        let multipart = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.to_ascii_lowercase().starts_with("multipart/form-data"));
        if !multipart {
            let post = Post::<T>::from_request(req, state).await?;
            return Ok(ComposePost {
                form: post.form,
                media_ids: Vec::new(),
            });
        }
        let (mut parts, body) = req.into_parts();
        let session = Session::from_request_parts(&mut parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let mp = Multipart::from_request(Request::from_parts(parts, body), state)
            .await
            .map_err(|e| unreadable(&e.body_text()).into_response())?;
        let mut uploaded: Vec<(usize, u64)> = Vec::new();
        match read_multipart(state, &session, mp, &mut uploaded).await {
            Ok(form) => {
                uploaded.sort_by_key(|(slot, _)| *slot);
                Ok(ComposePost {
                    form,
                    media_ids: uploaded.into_iter().map(|(_, id)| id).collect(),
                })
            }
            Err(e) => {
                let ids: Vec<u64> = uploaded.iter().map(|(_, id)| *id).collect();
                discard(state, &ids).await;
                Err(e.into_response())
            }
        }
    }
}

fn unreadable(detail: &str) -> PageError {
    PageError::new(
        StatusCode::BAD_REQUEST,
        "The form could not be read",
        format!("The form arrived incomplete or damaged ({detail}). Go back and send it again."),
    )
}

fn multipart_error(e: MultipartError) -> PageError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        return too_large(&format!(
            "The images together are larger than {} MiB. Send fewer or smaller images.",
            MAX_COMPOSE_BODY_BYTES / (1024 * 1024)
        ));
    }
    unreadable(&e.body_text())
}

fn too_large(message: &str) -> PageError {
    PageError::new(StatusCode::PAYLOAD_TOO_LARGE, "Too large", message)
}

/// A part's bytes, or `None` once it passes `max`.
async fn read_bounded(field: &mut Field<'_>, max: usize) -> Result<Option<Vec<u8>>, PageError> {
    let mut out = Vec::new();
    while let Some(chunk) = field.chunk().await.map_err(multipart_error)? {
        if out.len() + chunk.len() > max {
            return Ok(None);
        }
        out.extend_from_slice(&chunk);
    }
    Ok(Some(out))
}

/// The slot of `media_N` / `description_N`, if N is one of the form's.
fn slot(name: &str, prefix: &str) -> Option<usize> {
    name.strip_prefix(prefix)?
        .parse()
        .ok()
        .filter(|n| *n < MAX_MEDIA_ATTACHMENTS)
}

async fn read_multipart<T: DeserializeOwned>(
    state: &AppState,
    session: &Session,
    mut mp: Multipart,
    uploaded: &mut Vec<(usize, u64)>,
) -> Result<T, PageError> {
    let mut csrf_ok = false;
    let mut pairs: Vec<(String, String)> = Vec::new();
    let mut descriptions: [Option<String>; MAX_MEDIA_ATTACHMENTS] = Default::default();
    while let Some(mut field) = mp.next_field().await.map_err(multipart_error)? {
        let name = field.name().unwrap_or("").to_string();
        if let Some(file_name) = field.file_name().map(str::to_string) {
            if !csrf_ok {
                return Err(csrf_refused());
            }
            let n = uploaded.len() + 1;
            let content_type = field.content_type().map(str::to_string);
            let bytes = read_bounded(&mut field, MAX_UPLOAD_BYTES)
                .await?
                .ok_or_else(|| {
                    too_large(&format!(
                        "Image {n} ({file_name}) is larger than {} MiB. Scale it down or save it as a JPEG, then try again.",
                        MAX_UPLOAD_BYTES / (1024 * 1024)
                    ))
                })?;
            // A file input left empty still sends an empty part.
            if bytes.is_empty() && file_name.is_empty() {
                continue;
            }
            if uploaded.len() == MAX_MEDIA_ATTACHMENTS {
                return Err(PageError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "Too many images",
                    format!("A post can carry at most {MAX_MEDIA_ATTACHMENTS} images. Go back and leave out the rest."),
                ));
            }
            let taken = |s: &usize| uploaded.iter().any(|(u, _)| u == s);
            let slot = slot(&name, FILE_FIELD)
                .filter(|s| !taken(s))
                .or_else(|| (0..MAX_MEDIA_ATTACHMENTS).find(|s| !taken(s)))
                .unwrap_or(0);
            let description = descriptions[slot].take();
            let rec = crate::ops::media::upload(
                state,
                bytes,
                Some(&file_name),
                content_type.as_deref(),
                description.as_deref(),
                None,
            )
            .await
            .map_err(|e| match PageError::from(e) {
                p if p.status == StatusCode::UNPROCESSABLE_ENTITY => PageError::new(
                    p.status,
                    "This image can't be used",
                    format!("Image {n} ({file_name}): {}.", p.message),
                ),
                p => p,
            })?;
            uploaded.push((slot, rec.id));
            continue;
        }
        let value = read_bounded(&mut field, MAX_TEXT_FIELD_BYTES)
            .await?
            .ok_or_else(|| {
                too_large(&format!(
                    "The field `{name}` is longer than {MAX_TEXT_FIELD_BYTES} bytes. Shorten it."
                ))
            })?;
        let value = String::from_utf8_lossy(&value).into_owned();
        if name == "csrf" {
            if !secure_eq(value.as_bytes(), session.csrf.as_bytes()) {
                return Err(csrf_refused());
            }
            csrf_ok = true;
        } else if let Some(s) = slot(&name, DESCRIPTION_FIELD) {
            match uploaded.iter().find(|(u, _)| *u == s) {
                // Alt text after its file: set it on the upload.
                Some((_, id)) if !value.trim().is_empty() => {
                    crate::ops::media::update(state, *id, Some(&value), None).await?;
                }
                Some(_) => {}
                None => descriptions[s] = Some(value),
            }
        } else {
            pairs.push((name, value));
        }
    }
    if !csrf_ok {
        return Err(csrf_refused());
    }
    let encoded = serde_urlencoded::to_string(&pairs).map_err(PageError::internal)?;
    serde_urlencoded::from_str(&encoded).map_err(|e| {
        PageError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Please check your input",
            format!("The form could not be read ({e}). Go back and try again."),
        )
    })
}
