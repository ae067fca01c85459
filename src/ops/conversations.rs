//! The owner's actions on their conversations (direct-message threads):
//! mark read, remove from the list. Filing statuses into conversations
//! happens in the store, with the status itself.

use super::{durable, OpError, OpResult};
use crate::state::AppState;
use crate::store::conversations::Conversation;

fn not_found() -> OpError {
    OpError::NotFound("Record not found".into())
}

/// Marks a conversation read and returns it.
pub async fn mark_read(state: &AppState, id: u64) -> OpResult<Conversation> {
    let c = state
        .store
        .transact(|tx| tx.mark_conversation_read(id))?
        .ok_or_else(not_found)?;
    durable(state).await?;
    Ok(c)
}

/// Removes a conversation from the owner's list, as Mastodon does: its
/// statuses stay, and a new message in the thread brings it back.
pub async fn remove(state: &AppState, id: u64) -> OpResult<()> {
    if !state.store.transact(|tx| tx.remove_conversation(id))? {
        return Err(not_found());
    }
    durable(state).await
}
