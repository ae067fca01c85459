//! Mastodon's list paging: `max_id` (strictly older), `since_id`
//! (strictly newer), `min_id` (the page just newer), `limit`, and the
//! `Link` header that tells apps where the next and previous pages are.
//!
//! Apps never build these URLs themselves; they follow `Link`, so the
//! header carries absolute URLs. The access token is never copied into it.
//!
//! Mastodon pages account lists by the id of the relation (the follow,
//! the block), not of the account, and so does Burrow: `max_id` in a
//! followers `Link` is a relation id.

use super::params::Params;
use crate::state::AppState;
use crate::store::timelines::Page;
use axum::http::{header, HeaderValue, Uri};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;

/// Statuses per page when the app does not say (Mastodon's
/// `DEFAULT_STATUSES_LIMIT`); at most twice that, as Mastodon clamps.
pub const STATUSES_LIMIT: usize = 20;
/// Accounts per page (followers, blocks, mutes, follow requests, list
/// members, favourited_by, reblogged_by): Mastodon's
/// `DEFAULT_ACCOUNTS_LIMIT`.
pub const ACCOUNTS_LIMIT: usize = 40;
/// Notifications per page: Mastodon's `DEFAULT_NOTIFICATIONS_LIMIT`.
pub const NOTIFICATIONS_LIMIT: usize = 40;
/// Names per page (domain blocks, followed tags): small strings, so
/// Mastodon hands out more of them at once.
pub const NAMES_LIMIT: usize = 100;

/// Query keys that are cursors: replaced in `Link` URLs, never copied.
const CURSORS: &[&str] = &["max_id", "since_id", "min_id", "access_token"];

/// `limit`, defaulting to `default` and clamped to twice it, as Mastodon's
/// `limit_param` does. 0 or nonsense gives the default: an app that sends
/// garbage is better served by the first page than by an error.
pub fn limit(p: &Params, default: usize) -> usize {
    match p.str("limit").and_then(|s| s.trim().parse::<i64>().ok()) {
        Some(n) if n != 0 => (n.unsigned_abs() as usize).min(default * 2),
        _ => default,
    }
}

/// Reads the cursors and limit. An id that is not a number is ignored
/// (Mastodon's casts turn it into nothing useful either).
pub fn page(p: &Params, default: usize) -> Page {
    let id = |k: &str| p.str(k).and_then(|v| v.trim().parse::<u64>().ok());
    Page {
        max_id: id("max_id"),
        since_id: id("since_id"),
        min_id: id("min_id"),
        limit: limit(p, default),
    }
}

/// Where the neighbouring pages are: `next` is the id to pass as `max_id`
/// (older), `prev` the id to pass as `min_id` (newer). `None` leaves that
/// link out.
#[derive(Clone, Copy, Debug, Default)]
pub struct Links {
    pub next: Option<u64>,
    pub prev: Option<u64>,
}

impl Links {
    /// Timelines and notifications: both links whenever the page has
    /// anything, none on an empty page (Mastodon's controllers skip the
    /// header then).
    pub fn around(ids: &[u64]) -> Links {
        match (ids.first(), ids.last()) {
            (Some(first), Some(last)) => Links {
                next: Some(*last),
                prev: Some(*first),
            },
            _ => Links::default(),
        }
    }

    /// Bookmarks, favourites, account lists: `next` only while pages are
    /// full (Mastodon's `records_continue?`), `prev` when not empty.
    pub fn if_full(ids: &[u64], limit: usize) -> Links {
        Links {
            next: ids.last().copied().filter(|_| ids.len() >= limit),
            prev: ids.first().copied(),
        }
    }
}

/// The `Link` header value for `path` (e.g. `/api/v1/timelines/home`)
/// with the request's `query` minus its cursors, so every filter of the
/// request carries over to the next page.
pub fn link_header(
    state: &AppState,
    path: &str,
    query: Option<&str>,
    links: Links,
) -> Option<String> {
    let kept: Vec<(String, String)> = url::form_urlencoded::parse(query.unwrap_or("").as_bytes())
        .filter(|(k, _)| !CURSORS.contains(&k.as_ref()))
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    render(state, path, &kept, links)
}

/// The `Link` header of account and name lists, whose only filter is the
/// page size: their URLs carry `limit` (as clamped) when the app gave one,
/// and nothing else of the request. `ids` are the page's entries, newest
/// first; `next` only while pages are full.
pub fn list_link_header(
    state: &AppState,
    path: &str,
    p: &Params,
    ids: &[u64],
    limit: usize,
) -> Option<String> {
    let kept: Vec<(String, String)> = if p.has("limit") {
        vec![("limit".to_string(), limit.to_string())]
    } else {
        Vec::new()
    };
    render(state, path, &kept, Links::if_full(ids, limit))
}

/// `<…?max_id=OLDEST>; rel="next", <…?min_id=NEWEST>; rel="prev"`, each
/// URL with the `kept` pairs before its cursor; `None` when neither link
/// is wanted.
fn render(state: &AppState, path: &str, kept: &[(String, String)], links: Links) -> Option<String> {
    let url = |cursor: &str, id: u64| {
        let mut q = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in kept {
            q.append_pair(k, v);
        }
        q.append_pair(cursor, &id.to_string());
        format!("{}{}?{}", state.urls.base, path, q.finish())
    };
    let mut parts = Vec::new();
    if let Some(id) = links.next {
        parts.push(format!("<{}>; rel=\"next\"", url("max_id", id)));
    }
    if let Some(id) = links.prev {
        parts.push(format!("<{}>; rel=\"prev\"", url("min_id", id)));
    }
    (!parts.is_empty()).then(|| parts.join(", "))
}

/// A JSON list with its `Link` header.
pub fn paged<T: Serialize>(body: T, link: Option<String>) -> Response {
    let mut res = Json(body).into_response();
    if let Some(v) = link.and_then(|l| HeaderValue::from_str(&l).ok()) {
        res.headers_mut().insert(header::LINK, v);
    }
    res
}

/// A JSON list whose `Link` header points back at the request's own URL
/// (path and filters), with `links` as cursors.
pub fn paged_at<T: Serialize>(state: &AppState, uri: &Uri, body: T, links: Links) -> Response {
    paged(body, link_header(state, uri.path(), uri.query(), links))
}

/// An empty JSON object, Mastodon's answer to most deletions.
pub fn empty_object() -> Response {
    Json(serde_json::json!({})).into_response()
}

/// Applies a page to ids already in hand (newest first), for lists that
/// are not stored in id order (favourited_by, pins, merged tag timelines).
pub fn page_ids(mut ids: Vec<u64>, page: Page) -> Vec<u64> {
    ids.sort_unstable_by(|a, b| b.cmp(a));
    ids.dedup();
    ids.retain(|id| {
        page.max_id.map_or(true, |m| *id < m)
            && page.since_id.map_or(true, |s| *id > s)
            && page.min_id.map_or(true, |m| *id > m)
    });
    let limit = page.limit.max(1);
    if page.min_id.is_some() && ids.len() > limit {
        // The page just newer than min_id: the oldest `limit` of the rest.
        ids.split_off(ids.len() - limit)
    } else {
        ids.truncate(limit);
        ids
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Map};

    fn params(v: serde_json::Value) -> Params {
        Params(v.as_object().cloned().unwrap_or_else(Map::new))
    }

    #[test]
    fn limits_and_cursors_as_mastodon_reads_them() {
        assert_eq!(page(&params(json!({})), STATUSES_LIMIT).limit, 20);
        assert_eq!(limit(&params(json!({"limit": "100"})), 20), 40);
        assert_eq!(limit(&params(json!({"limit": "500"})), 40), 80);
        assert_eq!(limit(&params(json!({"limit": "5"})), 20), 5);
        assert_eq!(limit(&params(json!({"limit": 5})), 40), 5);
        assert_eq!(limit(&params(json!({"limit": "-3"})), 20), 3);
        assert_eq!(limit(&params(json!({"limit": "0"})), 40), 40);
        assert_eq!(limit(&params(json!({"limit": "x"})), 20), 20);
        let p = page(&params(json!({"max_id": "12", "since_id": "nope"})), 20);
        assert_eq!((p.max_id, p.since_id), (Some(12), None));
    }

    #[test]
    fn pages_ids_in_hand() {
        let ids: Vec<u64> = (1..=10).collect();
        let pg = |max, since, min, limit| Page {
            max_id: max,
            since_id: since,
            min_id: min,
            limit,
        };
        assert_eq!(page_ids(ids.clone(), pg(None, None, None, 3)), [10, 9, 8]);
        assert_eq!(page_ids(ids.clone(), pg(Some(8), None, None, 3)), [7, 6, 5]);
        assert_eq!(page_ids(ids.clone(), pg(None, None, Some(2), 3)), [5, 4, 3]);
        assert_eq!(page_ids(ids, pg(None, Some(8), None, 3)), [10, 9]);
    }
}
