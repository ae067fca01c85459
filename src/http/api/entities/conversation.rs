//! `Conversation`: one thread of direct messages, as both
//! `/api/v1/conversations` and the `direct` stream show it (built here
//! only, so the two always agree).

use super::account::{account, AccountEntity};
use super::status::{status, StatusEntity};
use crate::ops::visibility::{self, Viewer};
use crate::state::AppState;
use crate::store::conversations::Conversation;
use crate::store::Result;
use serde::Serialize;

#[derive(Serialize, Debug)]
pub struct ConversationEntity {
    /// The thread's root status id (see `store::conversations`).
    pub id: String,
    pub unread: bool,
    pub accounts: Vec<AccountEntity>,
    pub last_status: Option<StatusEntity>,
}

pub fn conversation(state: &AppState, c: &Conversation) -> Result<ConversationEntity> {
    let store = &state.store;
    let mut accounts = Vec::with_capacity(c.participants.len());
    for id in &c.participants {
        if let Some(a) = store.account(*id)? {
            accounts.push(account(&a, &state.urls));
        }
    }
    // A note to oneself has nobody else in it; Mastodon then lists the
    // owner, so apps always have an avatar to show.
    if accounts.is_empty() {
        if let Some(owner) = store.owner_account()? {
            accounts.push(account(&owner, &state.urls));
        }
    }
    // Conversations are the owner's alone; the gate is still asked, so
    // no path to a status skips it.
    let last_status = match visibility::visible_status(state, &Viewer::Owner, c.last_status_id)? {
        Some(s) => Some(status(state, &s)?),
        None => None,
    };
    Ok(ConversationEntity {
        id: c.root.to_string(),
        unread: c.unread,
        accounts,
        last_status,
    })
}
