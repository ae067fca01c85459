//! Stored media files, served as the images they are.
//!
//! Names are checked against the exact shape `ops::media` creates (a
//! random token and a known extension), so no path can leave the media
//! directory. The content type comes from that extension, which the
//! upload chose from the decoded bytes; `nosniff` stops browsers guessing
//! otherwise. Files never change once written, so caches may keep them
//! for a year.

use crate::media::Format;
use crate::ops::media::media_dir;
use crate::state::AppState;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

/// Files never change under a name: a year, and `immutable` so browsers
/// skip revalidation.
const CACHE_CONTROL: &str = "public, max-age=31536000, immutable";

/// Length of `crypto::random_token()` (32 bytes, base64url, no padding).
const TOKEN_LEN: usize = 43;

pub fn routes() -> Router<AppState> {
    Router::new().route("/media/{file}", get(serve))
}

/// The format for a file name of the shape uploads get, or `None`.
fn valid_name(name: &str) -> Option<Format> {
    let (token, ext) = name.split_once('.')?;
    let token_ok = token.len() == TOKEN_LEN
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !token_ok {
        return None;
    }
    Format::from_extension(ext)
}

async fn serve(
    State(state): State<AppState>,
    Path(file): Path<String>,
    headers: HeaderMap,
) -> Response {
    let Some(format) = valid_name(&file) else {
        return not_found();
    };
    let etag = format!("\"{file}\"");
    let cached = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    let path = media_dir(&state.data_dir).join(&file);
    let f = match tokio::fs::File::open(&path).await {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return not_found(),
        Err(e) => {
            tracing::error!("reading media file {file}: {e}");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    let common = [
        (header::CONTENT_TYPE, format.mime().to_string()),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_string()),
        (header::CACHE_CONTROL, CACHE_CONTROL.to_string()),
        (header::ETAG, etag),
        // Opened directly, the file is an image and nothing else.
        (
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; sandbox".to_string(),
        ),
    ];
    if cached {
        return (StatusCode::NOT_MODIFIED, common).into_response();
    }
    let len = f.metadata().await.map(|m| m.len()).ok();
    let body = Body::from_stream(tokio_util::io::ReaderStream::new(f));
    let mut res = (common, body).into_response();
    if let Some(len) = len {
        res.headers_mut().insert(header::CONTENT_LENGTH, len.into());
    }
    res
}

fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        [(header::X_CONTENT_TYPE_OPTIONS, "nosniff")],
        "no such media file",
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_upload_shaped_names_are_valid() {
        let token = "a".repeat(TOKEN_LEN);
        assert_eq!(valid_name(&format!("{token}.jpg")), Some(Format::Jpeg));
        assert_eq!(valid_name(&format!("{token}.webp")), Some(Format::Webp));
        for bad in [
            format!("{token}.exe"),
            format!("{token}.jpg.png"),
            format!("../{}.jpg", &token[3..]),
            format!("{}/.jpg", &token[1..]),
            format!("{}..jpg", &token[1..]),
            token.clone(),
            "x.jpg".to_string(),
            format!("{}%2f.jpg", &token[3..]),
        ] {
            assert_eq!(valid_name(&bad), None, "{bad}");
        }
    }
}
