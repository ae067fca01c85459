//! Notifications: the v1 list and its actions; the v2 grouped form that
//! 4.3-era apps ask for lives in `grouped_notifications.rs`.
//! The policy and the requests it fills are in `notification_policy.rs`
//! and `notification_requests.rs`.

use super::auth::Auth;
use super::entities::notification::{count, intact, notification, NotificationEntity};
use super::grouped_notifications as grouped;
use super::paging::{self, paged_at, Links};
use super::params::Params;
use super::statuses::{hidden_author, parse_id};
use crate::http::error::ApiError;
use crate::ops::filters::{Context, Filters};
use crate::state::AppState;
use crate::store::notifications::Notification;
use crate::store::timelines::Page;
use axum::extract::{Path, State};
use axum::http::Uri;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};

/// Unread notifications counted by default, and at most (Mastodon's
/// `unread_count` bounds: the badge only needs "many").
pub const UNREAD_DEFAULT: usize = 100;
pub const UNREAD_MAX: usize = 1000;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/notifications", get(index))
        .route("/api/v1/notifications/clear", post(clear))
        .route("/api/v1/notifications/dismiss", post(dismiss_legacy))
        .route("/api/v1/notifications/unread_count", get(unread_count))
        .route("/api/v1/notifications/{id}", get(show))
        .route("/api/v1/notifications/{id}/dismiss", post(dismiss))
        .route("/api/v2/notifications", get(grouped::index))
        .route(
            "/api/v2/notifications/unread_count",
            get(grouped::unread_count),
        )
        .route("/api/v2/notifications/{group_key}", get(grouped::show))
        .route(
            "/api/v2/notifications/{group_key}/dismiss",
            post(grouped::dismiss),
        )
        .route(
            "/api/v2/notifications/{group_key}/accounts",
            get(grouped::accounts),
        )
}

/// The request's own filters: `types`, `exclude_types`, `account_id`.
pub(super) struct Wanted {
    types: Vec<String>,
    exclude: Vec<String>,
    from: Option<u64>,
}

impl Wanted {
    pub(super) fn read(p: &Params) -> Wanted {
        Wanted {
            types: p.list("types"),
            exclude: p.list("exclude_types"),
            // An account id that is no number matches nobody.
            from: p
                .str("account_id")
                .filter(|a| !a.is_empty())
                .map(|a| a.trim().parse::<u64>().unwrap_or(0)),
        }
    }

    pub(super) fn accepts(&self, n: &Notification) -> bool {
        (self.types.is_empty() || self.types.contains(&n.kind))
            && !self.exclude.contains(&n.kind)
            && self.from.map_or(true, |x| x == n.account_id)
    }
}

/// Whether the owner is to see a notification at all: its author not
/// muted or blocked, its subjects still there, no `hide` filter on it.
pub(super) fn visible(state: &AppState, words: &Filters, n: &Notification) -> bool {
    !hidden_author(state, n.account_id).unwrap_or(false)
        && intact(state, n)
        && !words.hides_notification(state, n)
}

/// One page of notifications the request's filters accept, with entities.
fn page_of(
    state: &AppState,
    p: &Params,
) -> Result<(Vec<(Notification, NotificationEntity)>, Page), ApiError> {
    let page = paging::page(p, paging::NOTIFICATIONS_LIMIT);
    let words = Filters::load(state, Context::Notifications)?;
    let wanted = Wanted::read(p);
    let mut list = state
        .store
        .notification_page(page, |n| wanted.accepts(n) && visible(state, &words, n))?;
    // Asked for one sender, Mastodon lists what waits in their request
    // too: that is how apps show a request's notifications.
    if let Some(from) = wanted.from {
        let within = |id: u64| {
            page.max_id.map_or(true, |m| id < m)
                && page.since_id.map_or(true, |m| id > m)
                && page.min_id.map_or(true, |m| id > m)
        };
        list.extend(
            state
                .store
                .held_notifications(from)?
                .into_iter()
                .filter(|n| within(n.id) && wanted.accepts(n) && visible(state, &words, n)),
        );
        list.sort_by_key(|n| std::cmp::Reverse(n.id));
        let limit = page.limit.max(1);
        if page.min_id.is_some() && list.len() > limit {
            // The page just above `min_id`: the oldest of what matched.
            list.drain(..list.len() - limit);
        }
        list.truncate(limit);
    }
    let mut out = Vec::with_capacity(list.len());
    for n in list {
        if let Some(e) = notification(state, &n, &words)? {
            out.push((n, e));
        }
    }
    Ok((out, page))
}

async fn index(
    State(state): State<AppState>,
    auth: Auth,
    uri: Uri,
    p: Params,
) -> Result<Response, ApiError> {
    auth.user("read:notifications")?;
    let (list, _) = page_of(&state, &p)?;
    let ids: Vec<u64> = list.iter().map(|(n, _)| n.id).collect();
    let body: Vec<NotificationEntity> = list.into_iter().map(|(_, e)| e).collect();
    Ok(paged_at(&state, &uri, body, Links::around(&ids)))
}

/// A notification that exists and whose subjects still exist, or 404.
fn find(state: &AppState, id: u64) -> Result<(Notification, NotificationEntity), ApiError> {
    let n = state
        .store
        .notification(id)?
        .filter(|n| intact(state, n))
        .ok_or_else(|| ApiError::not_found("Record not found"))?;
    let words = Filters::load(state, Context::Notifications)?;
    let e =
        notification(state, &n, &words)?.ok_or_else(|| ApiError::not_found("Record not found"))?;
    Ok((n, e))
}

async fn show(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    auth.user("read:notifications")?;
    let (_, e) = find(&state, parse_id(&id)?)?;
    Ok(Json(e).into_response())
}

async fn remove(state: &AppState, id: u64) -> Result<Response, ApiError> {
    if !state.store.dismiss_notification(id)? {
        return Err(ApiError::not_found("Record not found"));
    }
    state.store.flush().await?;
    Ok(paging::empty_object())
}

async fn dismiss(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    auth.user("write:notifications")?;
    remove(&state, parse_id(&id)?).await
}

/// The pre-3.1 form, `POST /api/v1/notifications/dismiss` with `id`,
/// still sent by some apps.
async fn dismiss_legacy(
    State(state): State<AppState>,
    auth: Auth,
    p: Params,
) -> Result<Response, ApiError> {
    auth.user("write:notifications")?;
    remove(&state, parse_id(&p.str("id").unwrap_or_default())?).await
}

async fn clear(State(state): State<AppState>, auth: Auth) -> Result<Response, ApiError> {
    auth.user("write:notifications")?;
    state.store.clear_notifications()?;
    state.store.flush().await?;
    Ok(paging::empty_object())
}

/// The `limit` of an unread count.
pub(super) fn unread_limit(p: &Params) -> usize {
    match p.str("limit").map(|l| l.trim().parse::<u64>()) {
        Some(Ok(n)) => (n as usize).clamp(1, UNREAD_MAX),
        _ => UNREAD_DEFAULT,
    }
}

/// Notifications newer than the `notifications` read marker.
async fn unread_count(
    State(state): State<AppState>,
    auth: Auth,
    p: Params,
) -> Result<Response, ApiError> {
    auth.user("read:notifications")?;
    let limit = unread_limit(&p);
    let since = state.store.marker("notifications")?.map(|m| m.last_read_id);
    let page = Page {
        since_id: since,
        limit,
        ..Default::default()
    };
    let words = Filters::load(&state, Context::Notifications)?;
    let n = state
        .store
        .notification_page(page, |n| {
            !hidden_author(&state, n.account_id).unwrap_or(false)
                && intact(&state, n)
                && !words.hides_notification(&state, n)
        })?
        .len();
    Ok(Json(count(n)).into_response())
}
