//! `Notification` (v1), the minimal `Report` it carries for
//! `admin.report`, and the v2 `NotificationGroup` (each group of one).

use super::account::{account, AccountEntity};
use super::status::{filtered_status, StatusEntity};
use crate::ops::filters::Filters;
use crate::state::AppState;
use crate::store::notifications::Notification;
use crate::store::Result;
use crate::time_fmt::iso8601_ms;
use serde::Serialize;
use serde_json::Value;

/// Types that are about a status: without it they mean nothing.
const STATUS_TYPES: &[&str] = &[
    "mention",
    "status",
    "reblog",
    "favourite",
    "poll",
    "update",
    "quote",
];

#[derive(Serialize, Debug, Clone)]
pub struct ReportEntity {
    pub id: String,
    pub action_taken: bool,
    pub action_taken_at: Option<String>,
    pub category: String,
    pub comment: String,
    pub forwarded: bool,
    pub created_at: String,
    pub status_ids: Option<Vec<String>>,
    pub rule_ids: Option<Vec<String>>,
    pub target_account: AccountEntity,
}

#[derive(Serialize, Debug, Clone)]
pub struct NotificationEntity {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub group_key: String,
    pub created_at: String,
    pub account: AccountEntity,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<StatusEntity>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub report: Option<ReportEntity>,
}

/// Nothing is grouped yet, so every group is one notification and its
/// key is Mastodon's key for ungrouped ones.
pub fn group_key(n: &Notification) -> String {
    format!("ungrouped-{}", n.id)
}

pub fn is_status_type(kind: &str) -> bool {
    STATUS_TYPES.contains(&kind)
}

/// Whether what a notification points at still exists.
pub fn intact(state: &AppState, n: &Notification) -> bool {
    let account_ok = matches!(state.store.account(n.account_id), Ok(Some(_)));
    let status_ok = !is_status_type(&n.kind)
        || n.status_id
            .is_some_and(|id| matches!(state.store.status(id), Ok(Some(_))));
    account_ok && status_ok
}

fn report(state: &AppState, n: &Notification) -> Result<Option<ReportEntity>> {
    if n.kind != "admin.report" {
        return Ok(None);
    }
    let Some(owner) = state.store.owner_account()? else {
        return Ok(None);
    };
    Ok(Some(ReportEntity {
        id: n.id.to_string(),
        action_taken: false,
        action_taken_at: None,
        category: "other".into(),
        comment: n.report_comment.clone().unwrap_or_default(),
        forwarded: false,
        created_at: iso8601_ms(n.created_at_ms),
        status_ids: Some(n.report_status_ids.iter().map(|i| i.to_string()).collect()),
        rule_ids: None,
        target_account: account(&owner, &state.urls),
    }))
}

/// The entity, or `None` when its account or status has vanished or a
/// `hide` filter of the owner's (`filters`) leaves its status out.
pub fn notification(
    state: &AppState,
    n: &Notification,
    filters: &Filters,
) -> Result<Option<NotificationEntity>> {
    let Some(from) = state.store.account(n.account_id)? else {
        return Ok(None);
    };
    let st = match (is_status_type(&n.kind), n.status_id) {
        (true, Some(id)) => match state.store.status(id)? {
            Some(s) => match filtered_status(state, &s, filters)? {
                Some(e) => Some(e),
                None => return Ok(None),
            },
            None => return Ok(None),
        },
        (true, None) => return Ok(None),
        (false, _) => None,
    };
    Ok(Some(NotificationEntity {
        id: n.id.to_string(),
        kind: n.kind.clone(),
        group_key: group_key(n),
        created_at: iso8601_ms(n.created_at_ms),
        account: account(&from, &state.urls),
        status: st,
        report: report(state, n)?,
    }))
}

#[derive(Serialize, Debug, Clone)]
pub struct NotificationGroupEntity {
    pub group_key: String,
    pub notifications_count: u64,
    #[serde(rename = "type")]
    pub kind: String,
    pub most_recent_notification_id: String,
    pub page_min_id: String,
    pub page_max_id: String,
    pub latest_page_notification_at: String,
    pub sample_account_ids: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub report: Option<ReportEntity>,
}

/// `GroupedNotificationsResults`: groups, and each account and status
/// they name, once.
#[derive(Serialize, Debug, Clone, Default)]
pub struct GroupedEntity {
    pub accounts: Vec<AccountEntity>,
    pub statuses: Vec<StatusEntity>,
    pub notification_groups: Vec<NotificationGroupEntity>,
}

/// Builds the grouped form from v1 entities (each a group of one).
pub fn grouped(list: Vec<(Notification, NotificationEntity)>) -> GroupedEntity {
    let mut out = GroupedEntity::default();
    for (n, e) in list {
        if !out.accounts.iter().any(|a| a.id == e.account.id) {
            out.accounts.push(e.account.clone());
        }
        if let Some(s) = &e.status {
            if !out.statuses.iter().any(|x| x.id == s.id) {
                out.statuses.push(s.clone());
            }
        }
        out.notification_groups.push(NotificationGroupEntity {
            group_key: e.group_key.clone(),
            notifications_count: 1,
            kind: e.kind.clone(),
            most_recent_notification_id: e.id.clone(),
            page_min_id: e.id.clone(),
            page_max_id: e.id.clone(),
            latest_page_notification_at: iso8601_ms(n.created_at_ms),
            sample_account_ids: vec![e.account.id.clone()],
            status_id: e.status.as_ref().map(|s| s.id.clone()),
            report: e.report.clone(),
        });
    }
    out
}

/// `{"count": N}` for the unread counters.
pub fn count(n: usize) -> Value {
    serde_json::json!({ "count": n })
}
