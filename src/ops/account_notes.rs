//! The owner's private note on an account (shown only to them).

use super::{durable, OpError, OpResult};
use crate::state::AppState;

/// Mastodon's limit on a note.
pub const MAX_NOTE_CHARS: usize = 2000;

pub async fn set_note(state: &AppState, account: u64, text: &str) -> OpResult<()> {
    state
        .store
        .account(account)?
        .ok_or_else(|| OpError::NotFound("Record not found".into()))?;
    if text.chars().count() > MAX_NOTE_CHARS {
        return Err(OpError::Invalid(format!(
            "Validation failed: Comment is too long (maximum is {MAX_NOTE_CHARS} characters)"
        )));
    }
    state.store.set_account_note(account, text)?;
    durable(state).await
}
