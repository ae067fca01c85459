//! `GET /api/v1/timelines/link?url=…`: public statuses that link to a
//! page. Mastodon lists the statuses whose preview card is that page;
//! Burrow matches the link itself in the statuses' HTML, which is what
//! a card is made from, so it works for statuses stored before cards.

use super::auth::viewer;
use super::auth::Auth;
use super::entities::status::statuses;
use super::paging::{self, paged_at, Links};
use super::params::Params;
use crate::content::links::MAX_URL_BYTES;
use crate::http::error::ApiError;
use crate::ops::filters::{Context, Filters};
use crate::ops::{hiding, visibility};
use crate::state::AppState;
use crate::store::timelines::{self, Page};
use axum::extract::State;
use axum::http::Uri;
use axum::response::Response;
use axum::routing::get;
use axum::Router;

/// Statuses read from the public timeline per request at most: a link
/// few posts carry must not make one request read the whole store.
pub const MAX_SCANNED: usize = 2_000;
/// Ids read from the timeline at a time while scanning.
const CHUNK: usize = 200;

pub fn routes() -> Router<AppState> {
    Router::new().route("/api/v1/timelines/link", get(link))
}

async fn link(
    State(state): State<AppState>,
    auth: Option<Auth>,
    uri: Uri,
    p: Params,
) -> Result<Response, ApiError> {
    let viewer = viewer(&auth, "read:statuses")?;
    let url = p
        .str("url")
        .map(|u| u.trim().to_string())
        .filter(|u| !u.is_empty())
        .ok_or_else(|| {
            ApiError::unprocessable("`url` is required: the page to list posts about")
        })?;
    if url.len() > MAX_URL_BYTES {
        return Err(ApiError::unprocessable(format!(
            "`url` is longer than {MAX_URL_BYTES} bytes"
        )));
    }
    // As it appears in an `href` of stored HTML.
    let needle = format!("href=\"{}\"", crate::content::escape(&url));
    let page = paging::page(&p, paging::STATUSES_LIMIT);
    let words = Filters::for_viewer(&state, viewer.is_owner(), Context::Public)?;
    let mut found = Vec::new();
    let mut cursor = page.max_id;
    let mut scanned = 0;
    while found.len() < page.limit && scanned < MAX_SCANNED {
        let chunk = state.store.timeline_page(
            &timelines::public(),
            Page {
                max_id: cursor,
                since_id: page.since_id.or(page.min_id),
                min_id: None,
                limit: CHUNK,
            },
            |_| true,
        )?;
        let Some(last) = chunk.last() else { break };
        cursor = Some(*last);
        for id in chunk {
            scanned += 1;
            let Some(s) = state.store.status(id)? else {
                continue;
            };
            let keep = s.reblog_of_id.is_none()
                && s.content.contains(&needle)
                && visibility::may_see(&state, &viewer, &s)?
                && !(viewer.is_owner()
                    && (hiding::status_hidden(&state, &s)? || words.hides(&state, &s)));
            if keep {
                found.push(id);
                if found.len() >= page.limit {
                    break;
                }
            }
        }
    }
    let body = statuses(&state, &viewer, &found, &words)?;
    Ok(paged_at(&state, &uri, body, Links::around(&found)))
}
