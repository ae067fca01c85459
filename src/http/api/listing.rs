//! What the list endpoints share: ids from the path, Mastodon's paging
//! parameters, and the `Link` header that tells apps where the next and
//! previous pages are.
//!
//! Mastodon pages account lists by the id of the relation (the follow,
//! the block), not of the account, and so does Burrow: `max_id` in a
//! followers `Link` is a relation id.

use super::params::Params;
use crate::http::error::ApiError;
use crate::state::AppState;
use crate::store::timelines::Page;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;

/// Mastodon's page sizes for account lists (followers, blocks, mutes,
/// follow requests, list members).
pub const ACCOUNTS_DEFAULT_LIMIT: usize = 40;
pub const ACCOUNTS_MAX_LIMIT: usize = 80;
/// …and for lists of names (domain blocks, followed tags).
pub const NAMES_DEFAULT_LIMIT: usize = 100;
pub const NAMES_MAX_LIMIT: usize = 200;

/// A record id from the URL path; anything that is not one is 404, as
/// for an id that does not exist.
pub fn path_id(raw: &str) -> Result<u64, ApiError> {
    raw.parse::<u64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(|| ApiError::not_found("Record not found"))
}

fn id_param(p: &Params, key: &str) -> Option<u64> {
    p.str(key).and_then(|s| s.trim().parse().ok())
}

/// `limit`, defaulted and clamped as Mastodon does (0 or nonsense gives
/// the default).
pub fn limit(p: &Params, default: usize, max: usize) -> usize {
    match p.str("limit").and_then(|s| s.trim().parse::<i64>().ok()) {
        Some(n) if n != 0 => (n.unsigned_abs() as usize).min(max),
        _ => default,
    }
}

/// The page a request asks for.
pub fn page(p: &Params, default: usize, max: usize) -> Page {
    Page {
        max_id: id_param(p, "max_id"),
        since_id: id_param(p, "since_id"),
        min_id: id_param(p, "min_id"),
        limit: limit(p, default, max),
    }
}

/// `<…?max_id=OLDEST>; rel="next", <…?min_id=NEWEST>; rel="prev"` for a
/// page whose entries have `ids` (newest first). No header on an empty
/// page; no `next` when the page came back short (nothing older).
pub fn link_header(
    state: &AppState,
    path: &str,
    p: &Params,
    ids: &[u64],
    limit: usize,
) -> Option<String> {
    let (first, last) = (ids.first()?, ids.last()?);
    let url = |key: &str, id: u64| {
        let mut q = url::form_urlencoded::Serializer::new(String::new());
        if p.has("limit") {
            q.append_pair("limit", &limit.to_string());
        }
        q.append_pair(key, &id.to_string());
        format!("{}{}?{}", state.urls.base, path, q.finish())
    };
    let mut links = Vec::new();
    if ids.len() >= limit {
        links.push(format!("<{}>; rel=\"next\"", url("max_id", *last)));
    }
    links.push(format!("<{}>; rel=\"prev\"", url("min_id", *first)));
    Some(links.join(", "))
}

/// A JSON answer with an optional `Link` header.
pub fn paged<T: Serialize>(body: T, link: Option<String>) -> Response {
    let mut res = Json(body).into_response();
    if let Some(v) = link.and_then(|l| HeaderValue::from_str(&l).ok()) {
        res.headers_mut().insert(header::LINK, v);
    }
    res
}

/// An empty JSON object, Mastodon's answer to most deletions.
pub fn empty_object() -> Response {
    Json(serde_json::json!({})).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Map};

    fn params(v: serde_json::Value) -> Params {
        Params(v.as_object().cloned().unwrap_or_else(Map::new))
    }

    #[test]
    fn limits_are_clamped_like_mastodon() {
        assert_eq!(limit(&params(json!({})), 40, 80), 40);
        assert_eq!(limit(&params(json!({"limit": "500"})), 40, 80), 80);
        assert_eq!(limit(&params(json!({"limit": "0"})), 40, 80), 40);
        assert_eq!(limit(&params(json!({"limit": "x"})), 40, 80), 40);
        assert_eq!(limit(&params(json!({"limit": 5})), 40, 80), 5);
    }

    #[test]
    fn path_ids_are_positive_numbers() {
        assert_eq!(path_id("42").unwrap(), 42);
        assert!(path_id("0").is_err());
        assert!(path_id("abc").is_err());
        assert!(path_id("-1").is_err());
    }
}
