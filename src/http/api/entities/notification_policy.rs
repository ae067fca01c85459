//! `NotificationPolicy` (v1 booleans and v2 actions) and
//! `NotificationRequest`, as Mastodon 4.3's serializers shape them.

use super::account::{account, AccountEntity};
use super::status::{filtered_status, StatusEntity};
use crate::ops::filters::{Context, Filters};
use crate::ops::visibility::Viewer;
use crate::state::AppState;
use crate::store::notification_requests::{NotificationPolicy, NotificationRequest, PolicyAction};
use crate::store::Result;
use crate::time_fmt::iso8601_ms;
use serde::Serialize;
use serde_json::{json, Value};

/// Both counts are numbers (Ice Cubes and Mastodon for iOS decode
/// integers).
fn summary(requests: u64, notifications: u64) -> Value {
    json!({
        "pending_requests_count": requests,
        "pending_notifications_count": notifications,
    })
}

/// The v2 form: each kind of sender with `accept`, `filter` or `drop`.
pub fn policy_v2(p: &NotificationPolicy, pending: (u64, u64)) -> Value {
    json!({
        "for_not_following": p.for_not_following.as_str(),
        "for_not_followers": p.for_not_followers.as_str(),
        "for_new_accounts": p.for_new_accounts.as_str(),
        "for_private_mentions": p.for_private_mentions.as_str(),
        "for_limited_accounts": p.for_limited_accounts.as_str(),
        "summary": summary(pending.0, pending.1),
    })
}

/// The v1 form: `true` wherever the v2 action is not `accept`.
pub fn policy_v1(p: &NotificationPolicy, pending: (u64, u64)) -> Value {
    let on = |a: PolicyAction| a != PolicyAction::Accept;
    json!({
        "filter_not_following": on(p.for_not_following),
        "filter_not_followers": on(p.for_not_followers),
        "filter_new_accounts": on(p.for_new_accounts),
        "filter_private_mentions": on(p.for_private_mentions),
        "summary": summary(pending.0, pending.1),
    })
}

#[derive(Serialize, Debug, Clone)]
pub struct NotificationRequestEntity {
    pub id: String,
    pub created_at: String,
    pub updated_at: String,
    pub account: AccountEntity,
    /// A string, as Mastodon's serializer sends it (and apps decode).
    pub notifications_count: String,
    pub last_status: Option<StatusEntity>,
}

/// `None` when the sender's account is gone.
pub fn notification_request(
    state: &AppState,
    r: &NotificationRequest,
) -> Result<Option<NotificationRequestEntity>> {
    let Some(from) = state.store.account(r.account_id)? else {
        return Ok(None);
    };
    let filters = Filters::load(state, Context::Notifications)?;
    let last_status = match r.last_status_id {
        Some(id) => match state.store.status(id)? {
            Some(s) => filtered_status(state, &Viewer::Owner, &s, &filters)?,
            None => None,
        },
        None => None,
    };
    Ok(Some(NotificationRequestEntity {
        id: r.id.to_string(),
        created_at: iso8601_ms(r.created_at_ms),
        updated_at: iso8601_ms(r.updated_at_ms),
        account: account(&from, &state.urls),
        notifications_count: r.notifications_count.to_string(),
        last_status,
    }))
}
