//! Repairing the owner's follow of an account after that account's
//! server listed its followers here (`federation::followers_sync`), as
//! Mastodon's `SynchronizeFollowersService`.

use super::{commit, durable, owner_account, OpResult};
use crate::activitypub::activity;
use crate::federation::outbox;
use crate::state::AppState;
use crate::store::accounts::Account;
use crate::store::relations::Rel;

/// What the repair did, for logs and tests.
#[derive(Debug, PartialEq, Eq)]
pub enum Repair {
    /// Both sides agree.
    None,
    /// The follow the other side no longer lists ended here, with an Undo.
    Unfollowed,
    /// A request the other side lists as accepted: its Accept was lost.
    Accepted,
    /// A follow the owner does not know of was undone there.
    UndoSent,
}

/// Makes the owner's follow of `them` agree with `listed`, the ids their
/// server lists as its followers on this server.
pub async fn repair(state: &AppState, them: &Account, listed: &[String]) -> OpResult<Repair> {
    let owner = owner_account(state)?;
    let listed = listed.contains(&owner.uri);
    let following = state.store.has_relation(Rel::Following, them.id)?;
    match (listed, following) {
        (true, true) | (false, false) => Ok(Repair::None),
        (false, true) => {
            super::follows::unfollow(state, them.id).await?;
            Ok(Repair::Unfollowed)
        }
        (true, false) => match state.store.relation(Rel::Requested, them.id)? {
            Some(r) => {
                state.store.transact(|tx| {
                    tx.remove_relation(owner.id, Rel::Requested, them.id)?;
                    tx.set_relation(owner.id, Rel::Following, them.id, &r)
                        .map(|_| ())
                })?;
                durable(state).await?;
                Ok(Repair::Accepted)
            }
            None => {
                // No id of ours names that follow, so the Undo carries the
                // Follow whole, by its actor and object.
                let n = state.store.next_id();
                let follow = activity::simple(
                    "Follow",
                    activity::activity_id(&owner, "follows", n),
                    &owner,
                    &them.uri,
                    None,
                );
                let undo = activity::respond(
                    "Undo",
                    activity::activity_id(&owner, "undos", n),
                    &owner,
                    follow,
                    &them.uri,
                );
                let jobs = outbox::jobs(state, &undo, outbox::account_inboxes(state, &[them.id])?);
                commit(state, &jobs, |_| Ok(())).await?;
                Ok(Repair::UndoSent)
            }
        },
    }
}
