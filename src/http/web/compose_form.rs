//! Reading the compose form, which carries images: `multipart/form-data`
//! with up to four files, each with its alt text, besides the text
//! fields. A plain urlencoded body (no files) is read as any other form.
//!
//! Each image is handed to `ops::media::upload` (the operation behind
//! `POST /api/v1/media`) as soon as its part has arrived, so memory holds
//! one file at a time, never the whole body. `multipart_form` reads the
//! parts and refuses files sent before the CSRF token. When anything
//! later fails, the images uploaded so far are deleted again.

use super::multipart_form::{decode_form, is_multipart, FormReader, Part, MULTIPART_OVERHEAD};
use super::session::Post;
use crate::http::error::PageError;
use crate::media::MAX_UPLOAD_BYTES;
use crate::ops::statuses::MAX_MEDIA_ATTACHMENTS;
use crate::state::AppState;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;

/// The compose form's body limit: the API's per-file limit for each of
/// the images a post may carry. Every single file is bounded again on
/// its own as it arrives.
pub const MAX_COMPOSE_BODY_BYTES: usize =
    MAX_MEDIA_ATTACHMENTS * MAX_UPLOAD_BYTES + MULTIPART_OVERHEAD;

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
        if !is_multipart(&req) {
            let post = Post::<T>::from_request(req, state).await?;
            return Ok(ComposePost {
                form: post.form,
                media_ids: Vec::new(),
            });
        }
        let reader = FormReader::new(req, state, MAX_COMPOSE_BODY_BYTES).await?;
        let mut uploaded: Vec<(usize, u64)> = Vec::new();
        match read_multipart(state, reader, &mut uploaded).await {
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

/// The slot of `media_N` / `description_N`, if N is one of the form's.
fn slot(name: &str, prefix: &str) -> Option<usize> {
    name.strip_prefix(prefix)?
        .parse()
        .ok()
        .filter(|n| *n < MAX_MEDIA_ATTACHMENTS)
}

async fn read_multipart<T: DeserializeOwned>(
    state: &AppState,
    mut reader: FormReader,
    uploaded: &mut Vec<(usize, u64)>,
) -> Result<T, PageError> {
    let mut pairs: Vec<(String, String)> = Vec::new();
    let mut descriptions: [Option<String>; MAX_MEDIA_ATTACHMENTS] = Default::default();
    while let Some(part) = reader.next().await? {
        let (name, value) = match part {
            Part::Text { name, value } => (name, value),
            Part::File {
                name,
                file_name,
                content_type,
                bytes,
            } => {
                let n = uploaded.len() + 1;
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
        };
        if let Some(s) = slot(&name, DESCRIPTION_FIELD) {
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
    decode_form(&pairs)
}
