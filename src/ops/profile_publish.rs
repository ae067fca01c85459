//! A profile change the owner makes, told to followers' servers: saves it
//! (`profile::update_profile`), then queues an `Update` of the actor, so
//! peers show the new name and bio without waiting for a refetch.

use super::profile::{update_profile, ProfileUpdate};
use super::{durable, owner_account, wake_delivery, OpResult};
use crate::activitypub::{activity, actor};
use crate::federation::outbox;
use crate::state::AppState;
use crate::store::accounts::Account;
use crate::time_fmt::now_ms;

pub async fn update_and_publish(state: &AppState, update: ProfileUpdate) -> OpResult<Account> {
    update_profile(&state.store, update)?;
    let owner = owner_account(state)?;
    let id = activity::activity_id(&owner, "updates", state.store.next_id());
    let doc = activity::update_person(id, &owner, actor::person(&owner, &state.urls));
    let jobs = outbox::jobs(state, &doc, outbox::follower_inboxes(state)?);
    let now = now_ms();
    state.store.transact(|tx| {
        for j in &jobs {
            tx.enqueue_delivery(j, now)?;
        }
        Ok(())
    })?;
    durable(state).await?;
    wake_delivery(state);
    Ok(owner)
}
