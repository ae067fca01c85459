//! Owner forms that carry files (`multipart/form-data`): the compose form
//! (`compose_form`) and the profile form in settings.
//!
//! Files are accepted only after the session's CSRF token, which browsers
//! send first (fields go in page order and the token is each form's first
//! field): a forged cross-site post is refused before any file is read.
//! Every part is bounded on its own as it arrives; the route's body limit
//! bounds the whole.

use super::session::{csrf_refused, Post, Session};
use crate::crypto::secure_eq;
use crate::http::error::PageError;
use crate::media::MAX_UPLOAD_BYTES;
use crate::state::AppState;
use axum::extract::multipart::{Field, MultipartError};
use axum::extract::{FromRequest, FromRequestParts, Multipart, Request};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;

/// Longest text field read. The post (500 characters), an alt text
/// (1,500) and a bio (500) fit many times over in UTF-8.
pub const MAX_TEXT_FIELD_BYTES: usize = 16 * 1024;

/// Multipart framing and the text fields around the files (a few KiB).
pub const MULTIPART_OVERHEAD: usize = 64 * 1024;

/// The profile form's body limit: an avatar and a header, each within the
/// API's per-file limit.
pub const MAX_PROFILE_BODY_BYTES: usize = 2 * MAX_UPLOAD_BYTES + MULTIPART_OVERHEAD;

/// True when the request body is multipart.
pub fn is_multipart(req: &Request) -> bool {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().starts_with("multipart/form-data"))
}

/// One part of a form, past the CSRF token (which the reader checks and
/// keeps to itself).
pub enum Part {
    Text {
        name: String,
        value: String,
    },
    File {
        name: String,
        file_name: String,
        content_type: Option<String>,
        bytes: Vec<u8>,
    },
}

/// Reads a multipart owner form part by part.
pub struct FormReader {
    mp: Multipart,
    session: Session,
    csrf_ok: bool,
    files: usize,
    /// The route's body limit, named when a body passes it.
    body_limit: usize,
}

impl FormReader {
    /// The session (whose token the form must carry) and the multipart
    /// body of `req`.
    pub async fn new(
        req: Request,
        state: &AppState,
        body_limit: usize,
    ) -> Result<FormReader, Response> {
        let (mut parts, body) = req.into_parts();
        let session = Session::from_request_parts(&mut parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let mp = Multipart::from_request(Request::from_parts(parts, body), state)
            .await
            .map_err(|e| unreadable(&e.body_text()).into_response())?;
        Ok(FormReader {
            mp,
            session,
            csrf_ok: false,
            files: 0,
            body_limit,
        })
    }

    /// The next part, or `None` at the end. A file before the token is
    /// refused; a file input left empty (an empty part with no name) is
    /// skipped.
    pub async fn next(&mut self) -> Result<Option<Part>, PageError> {
        let limit = self.body_limit;
        while let Some(mut field) = self.mp.next_field().await.map_err(|e| error(e, limit))? {
            let name = field.name().unwrap_or("").to_string();
            if let Some(file_name) = field.file_name().map(str::to_string) {
                if !self.csrf_ok {
                    return Err(csrf_refused());
                }
                let n = self.files + 1;
                let content_type = field.content_type().map(str::to_string);
                let bytes = read_bounded(&mut field, MAX_UPLOAD_BYTES, limit)
                    .await?
                    .ok_or_else(|| {
                        too_large(&format!(
                            "Image {n} ({file_name}) is larger than {} MiB. Scale it down or save it as a JPEG, then try again.",
                            MAX_UPLOAD_BYTES / (1024 * 1024)
                        ))
                    })?;
                if bytes.is_empty() && file_name.is_empty() {
                    continue;
                }
                self.files = n;
                return Ok(Some(Part::File {
                    name,
                    file_name,
                    content_type,
                    bytes,
                }));
            }
            let value = read_bounded(&mut field, MAX_TEXT_FIELD_BYTES, limit)
                .await?
                .ok_or_else(|| {
                    too_large(&format!(
                        "The field `{name}` is longer than {MAX_TEXT_FIELD_BYTES} bytes. Shorten it."
                    ))
                })?;
            let value = String::from_utf8_lossy(&value).into_owned();
            if name == "csrf" {
                if !secure_eq(value.as_bytes(), self.session.csrf.as_bytes()) {
                    return Err(csrf_refused());
                }
                self.csrf_ok = true;
                continue;
            }
            return Ok(Some(Part::Text { name, value }));
        }
        if !self.csrf_ok {
            return Err(csrf_refused());
        }
        Ok(None)
    }
}

/// A part's bytes, or `None` once it passes `max`.
async fn read_bounded(
    field: &mut Field<'_>,
    max: usize,
    body_limit: usize,
) -> Result<Option<Vec<u8>>, PageError> {
    let mut out = Vec::new();
    while let Some(chunk) = field.chunk().await.map_err(|e| error(e, body_limit))? {
        if out.len() + chunk.len() > max {
            return Ok(None);
        }
        out.extend_from_slice(&chunk);
    }
    Ok(Some(out))
}

fn error(e: MultipartError, body_limit: usize) -> PageError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        return too_large(&format!(
            "The images together are larger than {} MiB. Send fewer or smaller images.",
            body_limit / (1024 * 1024)
        ));
    }
    unreadable(&e.body_text())
}

/// The text fields as a form struct, read as a urlencoded form would be.
pub fn decode_form<T: DeserializeOwned>(pairs: &[(String, String)]) -> Result<T, PageError> {
    let encoded = serde_urlencoded::to_string(pairs).map_err(PageError::internal)?;
    serde_urlencoded::from_str(&encoded).map_err(|e| {
        PageError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Please check your input",
            format!("The form could not be read ({e}). Go back and try again."),
        )
    })
}

fn unreadable(detail: &str) -> PageError {
    PageError::new(
        StatusCode::BAD_REQUEST,
        "The form could not be read",
        format!("The form arrived incomplete or damaged ({detail}). Go back and send it again."),
    )
}

fn too_large(message: &str) -> PageError {
    PageError::new(StatusCode::PAYLOAD_TOO_LARGE, "Too large", message)
}

/// A file of a `FilesPost`.
pub struct FormFile {
    /// The form field (the file input's name).
    pub field: String,
    pub bytes: Vec<u8>,
}

/// An owner's form with files held in memory, for forms whose files are
/// few and used together (the profile's avatar and header, saved with
/// the text or not at all). A urlencoded body is read as `Post` reads it.
pub struct FilesPost<T> {
    pub session: Session,
    pub form: T,
    pub files: Vec<FormFile>,
}

impl<T> FilesPost<T> {
    /// The file sent as `field`, if any (the last, when sent twice).
    pub fn take_file(&mut self, field: &str) -> Option<FormFile> {
        let i = self.files.iter().rposition(|f| f.field == field)?;
        Some(self.files.swap_remove(i))
    }
}

impl<T: DeserializeOwned + Send> FromRequest<AppState> for FilesPost<T> {
    type Rejection = Response;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Response> {
        if !is_multipart(&req) {
            let post = Post::<T>::from_request(req, state).await?;
            return Ok(FilesPost {
                session: post.session,
                form: post.form,
                files: Vec::new(),
            });
        }
        let mut reader = FormReader::new(req, state, MAX_PROFILE_BODY_BYTES).await?;
        let mut pairs = Vec::new();
        let mut files = Vec::new();
        while let Some(part) = reader.next().await.map_err(IntoResponse::into_response)? {
            match part {
                Part::Text { name, value } => pairs.push((name, value)),
                Part::File { name, bytes, .. } => files.push(FormFile { field: name, bytes }),
            }
        }
        let form = decode_form(&pairs).map_err(IntoResponse::into_response)?;
        Ok(FilesPost {
            session: reader.session,
            form,
            files,
        })
    }
}
