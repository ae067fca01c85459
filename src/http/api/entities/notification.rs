//! `Notification` (v1), the minimal `Report` it carries for
//! `admin.report`, and the v2 `NotificationGroup` with the
//! `GroupedNotificationsResults` around it.

use super::account::{account, AccountEntity};
use super::status::{filtered_status, StatusEntity};
use crate::ops::filters::Filters;
use crate::ops::notification_groups::GroupData;
use crate::ops::visibility::Viewer;
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

/// The key of the group it belongs to, whatever the app groups (v1
/// notifications carry it too).
pub fn group_key(n: &Notification) -> String {
    crate::ops::notification_groups::group_key(n)
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
            Some(s) => match filtered_status(state, &Viewer::Owner, &s, filters)? {
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
    /// A number, unlike every other id here: Mastodon's serializer sends
    /// it so, and Ice Cubes decodes an integer. The `page_*` ids stay
    /// strings, as Mastodon's do.
    pub most_recent_notification_id: u64,
    /// The three `page_*` fields come only with a page of groups, as on
    /// Mastodon; a single group read by its key has none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub page_min_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub page_max_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latest_page_notification_at: Option<String>,
    pub sample_account_ids: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub report: Option<ReportEntity>,
}

/// The few account fields an app needs for a row of avatars
/// (`expand_accounts=partial_avatars`).
#[derive(Serialize, Debug, Clone)]
pub struct PartialAccountEntity {
    pub id: String,
    pub acct: String,
    pub locked: bool,
    pub bot: bool,
    pub url: String,
    pub avatar: String,
    pub avatar_static: String,
}

impl From<&AccountEntity> for PartialAccountEntity {
    fn from(a: &AccountEntity) -> Self {
        PartialAccountEntity {
            id: a.id.clone(),
            acct: a.acct.clone(),
            locked: a.locked,
            bot: a.bot,
            url: a.url.clone(),
            avatar: a.avatar.clone(),
            avatar_static: a.avatar_static.clone(),
        }
    }
}

/// `GroupedNotificationsResults`: groups, and each account and status
/// they name, once.
#[derive(Serialize, Debug, Clone, Default)]
pub struct GroupedEntity {
    pub accounts: Vec<AccountEntity>,
    /// Present only when the app asked for `partial_avatars`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub partial_accounts: Option<Vec<PartialAccountEntity>>,
    pub statuses: Vec<StatusEntity>,
    pub notification_groups: Vec<NotificationGroupEntity>,
}

/// One group as a response shows it: the notification standing for it
/// (with its entity), its key, and what was gathered about the group
/// (`None` for a group of one).
pub struct Group {
    pub n: Notification,
    pub e: NotificationEntity,
    pub key: String,
    pub data: Option<GroupData>,
}

/// How a grouped response is shaped.
#[derive(Clone, Copy, Debug, Default)]
pub struct Shape {
    /// A page of groups: the `page_*` fields are filled in.
    pub paginated: bool,
    /// `expand_accounts=partial_avatars`: only each group's first sample
    /// account (and status authors) in full, the others partial.
    pub partial: bool,
}

/// Builds the grouped form. Sample accounts that have vanished since are
/// left out of `accounts` but keep their ids, as a deleted row would.
pub fn grouped(state: &AppState, groups: Vec<Group>, shape: Shape) -> Result<GroupedEntity> {
    let mut out = GroupedEntity {
        partial_accounts: shape.partial.then(Vec::new),
        ..Default::default()
    };
    let full = |out: &mut GroupedEntity, a: &AccountEntity| {
        if !out.accounts.iter().any(|x| x.id == a.id) {
            out.accounts.push(a.clone());
        }
    };
    let mut partial: Vec<AccountEntity> = Vec::new();
    for g in groups {
        let Group { n, e, key, data } = g;
        let (count, recent, samples, min_id) = match data {
            Some(d) => (d.count, d.most_recent, d.sample_account_ids, d.page_min_id),
            None => (1, n.clone(), vec![n.account_id], n.id),
        };
        for (i, id) in samples.iter().enumerate() {
            let entity = if *id == n.account_id {
                Some(e.account.clone())
            } else {
                state.store.account(*id)?.map(|a| account(&a, &state.urls))
            };
            match entity {
                Some(a) if i == 0 || !shape.partial => full(&mut out, &a),
                Some(a) => partial.push(a),
                None => {}
            }
        }
        if let Some(s) = &e.status {
            if !out.statuses.iter().any(|x| x.id == s.id) {
                out.statuses.push(s.clone());
            }
            full(&mut out, &s.account);
        }
        out.notification_groups.push(NotificationGroupEntity {
            group_key: key,
            notifications_count: count,
            kind: e.kind.clone(),
            most_recent_notification_id: recent.id,
            page_min_id: shape.paginated.then(|| min_id.to_string()),
            page_max_id: shape.paginated.then(|| recent.id.to_string()),
            latest_page_notification_at: shape.paginated.then(|| iso8601_ms(recent.created_at_ms)),
            sample_account_ids: samples.iter().map(|i| i.to_string()).collect(),
            status_id: e.status.as_ref().map(|s| s.id.clone()),
            report: e.report.clone(),
        });
    }
    if let Some(list) = out.partial_accounts.as_mut() {
        for a in partial {
            let known =
                out.accounts.iter().any(|x| x.id == a.id) || list.iter().any(|x| x.id == a.id);
            if !known {
                list.push(PartialAccountEntity::from(&a));
            }
        }
    }
    Ok(out)
}

/// `{"count": N}` for the unread counters.
pub fn count(n: usize) -> Value {
    serde_json::json!({ "count": n })
}
