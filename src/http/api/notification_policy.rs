//! `/api/v1/notifications/policy` and `/api/v2/notifications/policy`:
//! read and change which senders' notifications wait as requests (see
//! `ops::notification_policy`). PUT and PATCH both change only what is
//! given.

use super::auth::Auth;
use super::entities::notification_policy::{policy_v1, policy_v2};
use super::params::Params;
use crate::http::error::ApiError;
use crate::ops::notification_requests::{set_policy, summary};
use crate::state::AppState;
use crate::store::notification_requests::{NotificationPolicy, PolicyAction};
use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::Value;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/notifications/policy",
            get(show_v1).put(update_v1).patch(update_v1),
        )
        .route(
            "/api/v2/notifications/policy",
            get(show_v2).put(update_v2).patch(update_v2),
        )
}

/// The policy's fields, by the v2 name each is set with.
fn fields(p: &mut NotificationPolicy) -> [(&'static str, &mut PolicyAction); 5] {
    [
        ("not_following", &mut p.for_not_following),
        ("not_followers", &mut p.for_not_followers),
        ("new_accounts", &mut p.for_new_accounts),
        ("private_mentions", &mut p.for_private_mentions),
        ("limited_accounts", &mut p.for_limited_accounts),
    ]
}

async fn show_v1(State(state): State<AppState>, auth: Auth) -> Result<Json<Value>, ApiError> {
    auth.user("read:notifications")?;
    let p = state.store.notification_policy()?;
    Ok(Json(policy_v1(&p, summary(&state)?)))
}

async fn show_v2(State(state): State<AppState>, auth: Auth) -> Result<Json<Value>, ApiError> {
    auth.user("read:notifications")?;
    let p = state.store.notification_policy()?;
    Ok(Json(policy_v2(&p, summary(&state)?)))
}

/// v1 takes `filter_*` booleans: true filters, false accepts (`drop`
/// has no v1 form). Every value is checked before anything is saved.
async fn update_v1(
    State(state): State<AppState>,
    auth: Auth,
    params: Params,
) -> Result<Json<Value>, ApiError> {
    auth.user("write:notifications")?;
    let mut p = state.store.notification_policy()?;
    for (name, field) in fields(&mut p) {
        if let Some(on) = params.bool(&format!("filter_{name}"))? {
            *field = if on {
                PolicyAction::Filter
            } else {
                PolicyAction::Accept
            };
        }
    }
    set_policy(&state, &p).await?;
    Ok(Json(policy_v1(&p, summary(&state)?)))
}

/// v2 takes `for_*` as `accept`, `filter` or `drop`.
async fn update_v2(
    State(state): State<AppState>,
    auth: Auth,
    params: Params,
) -> Result<Json<Value>, ApiError> {
    auth.user("write:notifications")?;
    let mut p = state.store.notification_policy()?;
    for (name, field) in fields(&mut p) {
        let key = format!("for_{name}");
        if let Some(raw) = params.str(&key) {
            *field = PolicyAction::parse(raw.trim()).ok_or_else(|| {
                ApiError::unprocessable(format!(
                    "`{key}` must be accept, filter or drop, not `{raw}`"
                ))
            })?;
        }
    }
    set_policy(&state, &p).await?;
    Ok(Json(policy_v2(&p, summary(&state)?)))
}
