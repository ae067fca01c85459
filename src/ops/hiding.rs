//! Whose statuses the owner chose not to see: accounts they block or
//! mute, and every account of a domain they block. Timelines, threads,
//! notifications, streaming and the web UI all ask here, so the rule
//! lives once. (Keyword filters are `ops::filters`.)

use crate::state::AppState;
use crate::store::relations::Rel;
use crate::store::statuses::Status;
use crate::store::Result;

/// Whether the owner hides this account's statuses and notifications.
pub fn account_hidden(state: &AppState, account_id: u64) -> Result<bool> {
    let store = &state.store;
    if store.has_relation(Rel::Blocking, account_id)?
        || store.has_relation(Rel::Muting, account_id)?
    {
        return Ok(true);
    }
    domain_hidden(state, account_id)
}

/// Whether the account lives on a domain the owner blocked. Mastodon
/// hides such accounts everywhere the owner reads, as if each was blocked.
pub fn domain_hidden(state: &AppState, account_id: u64) -> Result<bool> {
    match state.store.account(account_id)?.and_then(|a| a.domain) {
        Some(d) => Ok(state.store.is_domain_blocked(&d)?),
        None => Ok(false),
    }
}

/// Whether a status is about someone hidden: its author or, for a boost,
/// the booster or the boosted author. The owner's own posts always show.
pub fn status_hidden(state: &AppState, s: &Status) -> Result<bool> {
    let owner = state.store.owner_account_id()?;
    let mut authors = vec![s.account_id];
    let inner = s
        .reblog_of_id
        .map(|id| state.store.status(id))
        .transpose()?;
    if let Some(inner) = inner.flatten() {
        authors.push(inner.account_id);
    }
    for a in authors {
        if Some(a) != owner && account_hidden(state, a)? {
            return Ok(true);
        }
    }
    Ok(false)
}
