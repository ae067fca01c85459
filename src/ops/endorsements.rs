//! Endorsing an account ("feature on profile", Mastodon's account pins).
//!
//! As on Mastodon, only an account the owner follows may be endorsed,
//! and an endorsement lasts only while that follow does. Lists and the
//! relationship read it together with the follow: an endorsement counts
//! only when the follow in force is older than it (ids are snowflakes),
//! so an unfollow ends it, and a later follow does not bring it back,
//! without any other path having to remember it.

use super::{durable, OpError, OpResult};
use crate::state::AppState;
use crate::store::relations::Rel;

/// Most accounts endorsed at once; a profile shows a handful.
pub const MAX_ENDORSEMENTS: usize = 100;

/// Whether endorsement `id` of `account_id` stands: made during the
/// follow in force.
fn stands(state: &AppState, account_id: u64, id: u64) -> crate::store::Result<bool> {
    Ok(state
        .store
        .relation(Rel::Following, account_id)?
        .is_some_and(|follow| follow.id < id))
}

/// Whether the owner endorses `account_id` now.
pub fn endorsed(state: &AppState, account_id: u64) -> crate::store::Result<bool> {
    match state.store.endorsement(account_id)? {
        Some(id) => stands(state, account_id, id),
        None => Ok(false),
    }
}

/// Endorsements in force, as (endorsement id, account id).
pub fn current(state: &AppState) -> crate::store::Result<Vec<(u64, u64)>> {
    let mut out = Vec::new();
    for (id, account) in state.store.endorsements()? {
        if stands(state, account, id)? {
            out.push((id, account));
        }
    }
    Ok(out)
}

pub async fn endorse(state: &AppState, account_id: u64) -> OpResult<()> {
    if !state.store.has_relation(Rel::Following, account_id)? {
        return Err(OpError::Invalid(
            "Validation failed: You must be already following the person you want to endorse"
                .into(),
        ));
    }
    if endorsed(state, account_id)? {
        return Ok(());
    }
    if current(state)?.len() >= MAX_ENDORSEMENTS {
        return Err(OpError::Invalid(format!(
            "Validation failed: you can endorse at most {MAX_ENDORSEMENTS} accounts"
        )));
    }
    let id = state.store.next_id();
    state.store.transact(|tx| {
        // One left from an ended follow gives way to the new one.
        tx.unendorse(account_id)?;
        tx.endorse(account_id, id)
    })?;
    durable(state).await
}

pub async fn unendorse(state: &AppState, account_id: u64) -> OpResult<()> {
    state.store.transact(|tx| tx.unendorse(account_id))?;
    durable(state).await
}
