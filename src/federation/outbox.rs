//! Turning an activity and its audience into durable delivery jobs.

use crate::state::AppState;
use crate::store::queue::DeliveryJob;
use crate::store::relations::Rel;
use crate::store::Result;

/// Inboxes of all followers, shared inboxes de-duplicated.
pub fn follower_inboxes(state: &AppState) -> Result<Vec<String>> {
    let mut out = Vec::new();
    for id in state.store.relation_accounts(Rel::FollowedBy)? {
        if let Some(a) = state.store.account(id)? {
            out.push(if a.shared_inbox.is_empty() {
                a.inbox
            } else {
                a.shared_inbox
            });
        }
    }
    Ok(out)
}

/// The personal inbox of each account (for mentions, follows, replies).
pub fn account_inboxes(state: &AppState, ids: &[u64]) -> Result<Vec<String>> {
    let mut out = Vec::new();
    for id in ids {
        if let Some(a) = state.store.account(*id)? {
            if !a.is_local() && !a.inbox.is_empty() {
                out.push(a.inbox);
            }
        }
    }
    Ok(out)
}

/// One job per distinct inbox (never our own, never on a blocked
/// domain), each with a fresh id.
pub fn jobs(
    state: &AppState,
    activity: &serde_json::Value,
    mut inboxes: Vec<String>,
) -> Vec<DeliveryJob> {
    inboxes.sort();
    inboxes.dedup();
    let own = format!("{}/", state.urls.base);
    let body = activity.to_string().into_bytes();
    inboxes
        .into_iter()
        .filter(|i| !i.is_empty() && !i.starts_with(&own))
        .filter(|i| {
            let host = crate::host::of_url(i).unwrap_or_default();
            !matches!(state.store.is_domain_blocked(&host), Ok(true))
        })
        .map(|inbox| DeliveryJob {
            id: state.store.next_id(),
            inbox,
            body: body.clone(),
            ..Default::default()
        })
        .collect()
}
