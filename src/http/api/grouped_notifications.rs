//! Grouped notifications (`/api/v2/notifications`), as Mastodon 4.3
//! serves them: a page holds up to `limit` groups, each standing for the
//! newest of its notifications in the page (the oldest when paging up
//! with `min_id`), with the group's count and sample accounts worked out
//! from the notifications up to the page's newest.
//!
//! Paging cursors are notification ids, so a group cut by a page edge
//! shows again on the next page with its older notifications; apps merge
//! groups by key, as they do with Mastodon.

use super::auth::Auth;
use super::entities::account::account;
use super::entities::notification::{count, grouped, notification, Group, Shape};
use super::notifications::{visible, Wanted};
use super::paging::{self, paged_at, Links};
use super::params::Params;
use crate::http::error::ApiError;
use crate::ops::filters::{Context, Filters};
use crate::ops::notification_groups::{self as groups, GroupData, Range};
use crate::state::AppState;
use crate::store::notifications::Notification;
use crate::store::timelines::Page;
use axum::extract::{Path, State};
use axum::http::Uri;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;
use std::collections::HashSet;

/// The kinds this request groups: its `grouped_types`, or all that can.
fn grouped_types(p: &Params) -> Vec<&'static str> {
    let asked = p.get("grouped_types").map(|_| p.list("grouped_types"));
    groups::grouped_types(asked.as_deref())
}

/// `expand_accounts`: `full` (the default) or `partial_avatars`.
fn shape(p: &Params) -> Result<Shape, ApiError> {
    let partial = match p.str("expand_accounts").as_deref() {
        None | Some("full") => false,
        Some("partial_avatars") => true,
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "Invalid value for 'expand_accounts': '{other}', allowed values are 'full' and 'partial_avatars'"
            )))
        }
    };
    Ok(Shape {
        paginated: true,
        partial,
    })
}

pub async fn index(
    State(state): State<AppState>,
    auth: Auth,
    uri: Uri,
    p: Params,
) -> Result<Response, ApiError> {
    auth.user("read:notifications")?;
    let shape = shape(&p)?;
    let page = paging::page(&p, paging::NOTIFICATIONS_LIMIT);
    let types = grouped_types(&p);
    let words = Filters::load(&state, Context::Notifications)?;
    let wanted = Wanted::read(&p);
    // One notification per group, in the order the page walks.
    let mut seen = HashSet::new();
    let reps = state.store.notification_page(page, |n| {
        wanted.accepts(n) && visible(&state, &words, n) && seen.insert(groups::key_for(n, &types))
    })?;
    let range = range(&reps, page);
    let keys: Vec<String> = reps
        .iter()
        .map(|n| groups::key_for(n, &types))
        .filter(|k| !k.starts_with("ungrouped-"))
        .collect();
    let mut data = groups::gather(&state.store, &keys, range, |n| visible(&state, &words, n))?;
    let ids: Vec<u64> = reps.iter().map(|n| n.id).collect();
    let mut list = Vec::with_capacity(reps.len());
    for n in reps {
        let Some(e) = notification(&state, &n, &words)? else {
            continue;
        };
        let key = groups::key_for(&n, &types);
        let d = data.remove(&key);
        list.push(Group { n, e, key, data: d });
    }
    Ok(paged_at(
        &state,
        &uri,
        grouped(&state, list, shape)?,
        Links::around(&ids),
    ))
}

/// The ids a page covers (Mastodon's `pagination_range`): from its oldest
/// to its newest group; a page short of `limit` is the last one that way,
/// so it reaches to the request's own bound.
fn range(reps: &[Notification], page: Page) -> Range {
    let (Some(newest), Some(oldest)) = (reps.first(), reps.last()) else {
        return Range::ALL;
    };
    if reps.len() >= page.limit.max(1) {
        Range {
            begin: oldest.id,
            end: newest.id,
        }
    } else if page.min_id.is_some() {
        Range {
            begin: oldest.id,
            end: page.max_id.map_or(u64::MAX, |m| m.saturating_sub(1)),
        }
    } else {
        Range {
            begin: page.since_id.map_or(0, |s| s.saturating_add(1)),
            end: newest.id,
        }
    }
}

/// The group's notifications the owner may see, newest first, and its
/// key, or 404. `ungrouped-ID` names a notification; if that one belongs
/// to a group, the answer is its whole group, as on Mastodon.
fn members(state: &AppState, key: &str) -> Result<(String, Vec<Notification>), ApiError> {
    let words = Filters::load(state, Context::Notifications)?;
    let mut list = groups::members(&state.store, key, |n| visible(state, &words, n))?;
    let Some(first) = list.first() else {
        return Err(ApiError::not_found("Record not found"));
    };
    let real = groups::group_key(first);
    if real != key {
        list = groups::members(&state.store, &real, |n| visible(state, &words, n))?;
    }
    if list.is_empty() {
        return Err(ApiError::not_found("Record not found"));
    }
    Ok((real, list))
}

pub async fn show(
    State(state): State<AppState>,
    auth: Auth,
    Path(key): Path<String>,
) -> Result<Response, ApiError> {
    auth.user("read:notifications")?;
    let (key, list) = members(&state, &key)?;
    let words = Filters::load(&state, Context::Notifications)?;
    let n = list[0].clone();
    let e =
        notification(&state, &n, &words)?.ok_or_else(|| ApiError::not_found("Record not found"))?;
    let data = (!key.starts_with("ungrouped-")).then(|| GroupData {
        count: list.len() as u64,
        most_recent: n.clone(),
        sample_account_ids: list
            .iter()
            .take(groups::SAMPLE_ACCOUNTS)
            .map(|m| m.account_id)
            .collect(),
        page_min_id: list.last().map_or(n.id, |m| m.id),
    });
    let group = Group { n, e, key, data };
    let body = grouped(&state, vec![group], Shape::default())?;
    Ok(Json(body).into_response())
}

/// Everyone in the group, newest first, up to `limit`.
pub async fn accounts(
    State(state): State<AppState>,
    auth: Auth,
    Path(key): Path<String>,
    p: Params,
) -> Result<Response, ApiError> {
    auth.user("read:notifications")?;
    let limit = paging::page(&p, paging::ACCOUNTS_LIMIT).limit;
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    for n in members(&state, &key)?.1 {
        if out.len() >= limit {
            break;
        }
        if !seen.insert(n.account_id) {
            continue;
        }
        if let Some(a) = state.store.account(n.account_id)? {
            out.push(account(&a, &state.urls));
        }
    }
    Ok(Json(out).into_response())
}

/// Removes every notification in the group, whatever filters hide.
pub async fn dismiss(
    State(state): State<AppState>,
    auth: Auth,
    Path(key): Path<String>,
) -> Result<Response, ApiError> {
    auth.user("write:notifications")?;
    let list = groups::members(&state.store, &key, |_| true)?;
    if state.store.dismiss_notifications(&list)? == 0 {
        return Err(ApiError::not_found("Record not found"));
    }
    state.store.flush().await?;
    Ok(Json(json!({})).into_response())
}

/// Unread groups: those with notifications newer than the
/// `notifications` read marker, up to `limit`.
pub async fn unread_count(
    State(state): State<AppState>,
    auth: Auth,
    p: Params,
) -> Result<Response, ApiError> {
    auth.user("read:notifications")?;
    let limit = super::notifications::unread_limit(&p);
    let since = state.store.marker("notifications")?.map(|m| m.last_read_id);
    let page = Page {
        since_id: since,
        limit,
        ..Default::default()
    };
    let types = grouped_types(&p);
    let words = Filters::load(&state, Context::Notifications)?;
    let mut seen = HashSet::new();
    let n = state
        .store
        .notification_page(page, |n| {
            visible(&state, &words, n) && seen.insert(groups::key_for(n, &types))
        })?
        .len();
    Ok(Json(count(n)).into_response())
}
