//! The owner's answers to notification requests and changes of the
//! notification policy (what `ops::notification_policy` applies).

use super::{OpError, OpResult};
use crate::state::AppState;
use crate::store::notification_requests::{NotificationPolicy, NotificationRequest};

/// How much waits: `(pending requests, notifications in them)`.
pub fn summary(state: &AppState) -> OpResult<(u64, u64)> {
    let all = state.store.notification_requests()?;
    let notifications = all.iter().map(|r| r.notifications_count).sum();
    Ok((all.len() as u64, notifications))
}

pub async fn set_policy(state: &AppState, policy: &NotificationPolicy) -> OpResult<()> {
    state.store.set_notification_policy(policy)?;
    state.store.flush().await?;
    Ok(())
}

fn find(state: &AppState, id: u64) -> OpResult<NotificationRequest> {
    state
        .store
        .notification_request(id)?
        .ok_or_else(|| OpError::NotFound("Record not found".into()))
}

/// Lets the sender through: what waits enters the notification list, and
/// later notifications from them pass the policy. Not pushed or streamed:
/// the owner is looking at them already.
pub async fn accept(state: &AppState, id: u64) -> OpResult<()> {
    let r = find(state, id)?;
    state.store.accept_notification_request(&r)?;
    state.store.flush().await?;
    Ok(())
}

/// Deletes what waits from the sender; they are not let through.
pub async fn dismiss(state: &AppState, id: u64) -> OpResult<()> {
    let r = find(state, id)?;
    state.store.dismiss_notification_request(&r)?;
    state.store.flush().await?;
    Ok(())
}

/// The bulk forms: ids that are not pending requests are skipped, as
/// Mastodon does.
pub async fn accept_many(state: &AppState, ids: &[u64]) -> OpResult<()> {
    for id in ids {
        if let Some(r) = state.store.notification_request(*id)? {
            state.store.accept_notification_request(&r)?;
        }
    }
    state.store.flush().await?;
    Ok(())
}

pub async fn dismiss_many(state: &AppState, ids: &[u64]) -> OpResult<()> {
    for id in ids {
        if let Some(r) = state.store.notification_request(*id)? {
            state.store.dismiss_notification_request(&r)?;
        }
    }
    state.store.flush().await?;
    Ok(())
}
