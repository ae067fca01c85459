//! Notifications: the v1 list and its actions, and the v2 grouped form
//! that 4.3-era apps ask for (each group holds one notification; Burrow
//! does not group yet, which Mastodon's format allows).
//!
//! Burrow filters no notifications into "requests", so the policy
//! endpoints report that everything is accepted and nothing is pending.

use super::auth::Auth;
use super::entities::account::account;
use super::entities::notification::{count, grouped, intact, notification, NotificationEntity};
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
use serde_json::json;

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
        .route("/api/v1/notifications/requests", get(requests))
        .route("/api/v1/notifications/policy", get(policy_v1))
        .route("/api/v1/notifications/{id}", get(show))
        .route("/api/v1/notifications/{id}/dismiss", post(dismiss))
        .route("/api/v2/notifications", get(index_v2))
        .route("/api/v2/notifications/unread_count", get(unread_count))
        .route("/api/v2/notifications/policy", get(policy_v2))
        .route("/api/v2/notifications/{group_key}", get(show_v2))
        .route(
            "/api/v2/notifications/{group_key}/dismiss",
            post(dismiss_v2),
        )
        .route(
            "/api/v2/notifications/{group_key}/accounts",
            get(group_accounts),
        )
}

/// One page of notifications the request's filters accept, with entities.
fn page_of(
    state: &AppState,
    p: &Params,
) -> Result<(Vec<(Notification, NotificationEntity)>, Page), ApiError> {
    let page = paging::page(p, paging::NOTIFICATIONS_LIMIT);
    let words = Filters::load(state, Context::Notifications)?;
    let types = p.list("types");
    let exclude = p.list("exclude_types");
    // An account id that is no number matches nobody.
    let from = p
        .str("account_id")
        .filter(|a| !a.is_empty())
        .map(|a| a.trim().parse::<u64>().unwrap_or(0));
    let list = state.store.notification_page(page, |n| {
        (types.is_empty() || types.contains(&n.kind))
            && !exclude.contains(&n.kind)
            && from.map_or(true, |x| x == n.account_id)
            && !hidden_author(state, n.account_id).unwrap_or(false)
            && intact(state, n)
            && !words.hides_notification(state, n)
    })?;
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

async fn index_v2(
    State(state): State<AppState>,
    auth: Auth,
    uri: Uri,
    p: Params,
) -> Result<Response, ApiError> {
    auth.user("read:notifications")?;
    let (list, _) = page_of(&state, &p)?;
    let ids: Vec<u64> = list.iter().map(|(n, _)| n.id).collect();
    Ok(paged_at(&state, &uri, grouped(list), Links::around(&ids)))
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

/// `ungrouped-ID` (what this server hands out) or a bare id.
fn group_id(key: &str) -> Result<u64, ApiError> {
    parse_id(key.strip_prefix("ungrouped-").unwrap_or(key))
}

async fn show_v2(
    State(state): State<AppState>,
    auth: Auth,
    Path(key): Path<String>,
) -> Result<Response, ApiError> {
    auth.user("read:notifications")?;
    let found = find(&state, group_id(&key)?)?;
    Ok(Json(grouped(vec![found])).into_response())
}

async fn group_accounts(
    State(state): State<AppState>,
    auth: Auth,
    Path(key): Path<String>,
) -> Result<Response, ApiError> {
    auth.user("read:notifications")?;
    let (n, _) = find(&state, group_id(&key)?)?;
    let a = state
        .store
        .account(n.account_id)?
        .ok_or_else(|| ApiError::not_found("Record not found"))?;
    Ok(Json(vec![account(&a, &state.urls)]).into_response())
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

async fn dismiss_v2(
    State(state): State<AppState>,
    auth: Auth,
    Path(key): Path<String>,
) -> Result<Response, ApiError> {
    auth.user("write:notifications")?;
    remove(&state, group_id(&key)?).await
}

async fn clear(State(state): State<AppState>, auth: Auth) -> Result<Response, ApiError> {
    auth.user("write:notifications")?;
    state.store.clear_notifications()?;
    state.store.flush().await?;
    Ok(paging::empty_object())
}

/// Notifications newer than the `notifications` read marker.
async fn unread_count(
    State(state): State<AppState>,
    auth: Auth,
    p: Params,
) -> Result<Response, ApiError> {
    auth.user("read:notifications")?;
    let limit = match p.str("limit").map(|l| l.trim().parse::<u64>()) {
        Some(Ok(n)) => (n as usize).clamp(1, UNREAD_MAX),
        _ => UNREAD_DEFAULT,
    };
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

async fn requests(auth: Auth) -> Result<Response, ApiError> {
    auth.user("read:notifications")?;
    Ok(Json(json!([])).into_response())
}

async fn policy_v1(auth: Auth) -> Result<Response, ApiError> {
    auth.user("read:notifications")?;
    Ok(Json(json!({
        "filter_not_following": false,
        "filter_not_followers": false,
        "filter_new_accounts": false,
        "filter_private_mentions": false,
        "summary": { "pending_requests_count": 0, "pending_notifications_count": 0 },
    }))
    .into_response())
}

async fn policy_v2(auth: Auth) -> Result<Response, ApiError> {
    auth.user("read:notifications")?;
    Ok(Json(json!({
        "for_not_following": "accept",
        "for_not_followers": "accept",
        "for_new_accounts": "accept",
        "for_private_mentions": "accept",
        "for_limited_accounts": "accept",
        "summary": { "pending_requests_count": 0, "pending_notifications_count": 0 },
    }))
    .into_response())
}
