//! Inbox forwarding: a reply to one of the owner's posts reaches the
//! owner's followers even when its author does not know them.
//!
//! Someone replying to a reply in the owner's thread addresses the one
//! they answer, not the owner's followers, who would otherwise see the
//! conversation with holes. As Mastodon does (`forward_for_reply`), a
//! Create, Update or Delete whose status replies to one of the owner's
//! statuses, and is public or unlisted, is passed on to the owner's
//! followers: the body exactly as received, in a request signed by the
//! owner, through the durable delivery queue, never back to the sender's
//! server, and once per activity id.
//!
//! Only what its own actor signed is forwarded: a copy another server
//! forwarded to us is signed by that server, so it is never forwarded
//! again and forwarding cannot loop. Receivers do not take the
//! forwarder's word for the object: a Create whose signer is not its
//! actor is believed only as its origin serves it (`ops::inbound`,
//! `origin::embedded_trusted`).

use super::origin::id_of;
use super::outbox;
use crate::ops::{owner_account, OpResult};
use crate::state::AppState;
use crate::store::accounts::Account;
use crate::store::index_key;
use crate::store::statuses::Status;
use crate::store::T;
use serde_json::Value;

/// Index key marking an activity id as forwarded.
const FORWARDED: &str = "forwarded";

/// Verbs that are forwarded.
const FORWARDED_KINDS: &[&str] = &["Create", "Update", "Delete"];

/// The stored status `activity` (by `signer`) is about, when forwarding it
/// is owed: a public or unlisted status by the signer, replying to one of
/// the owner's. Asked after a Create or Update is applied (the status is
/// then stored) and before a Delete is (it is then still there).
pub fn forwardable(state: &AppState, signer: &Account, activity: &Value) -> Option<Status> {
    let kind = activity.get("type").and_then(Value::as_str)?;
    if !FORWARDED_KINDS.contains(&kind)
        || activity.get("actor").and_then(id_of) != Some(signer.uri.as_str())
    {
        return None;
    }
    let uri = activity.get("object").and_then(id_of)?;
    let status = state.store.status_by_uri(uri).ok()??;
    if status.account_id != signer.id || !status.visibility.is_public() {
        return None;
    }
    let parent = state.store.status(status.in_reply_to_id?).ok()??;
    let owner = state.store.owner_account().ok()??;
    (parent.local && parent.account_id == owner.id).then_some(status)
}

/// Queues `body` (the activity exactly as `signer` sent it) for the
/// owner's followers, except those on the signer's server; nothing when
/// this activity id was forwarded before. Returns how many inboxes.
pub async fn forward(
    state: &AppState,
    signer: &Account,
    activity: &Value,
    body: &[u8],
) -> OpResult<usize> {
    let Some(id) = id_of(activity) else {
        return Ok(0);
    };
    owner_account(state)?;
    let sender = crate::host::of_url(&signer.uri);
    let inboxes: Vec<String> = outbox::follower_inboxes(state)?
        .into_iter()
        .filter(|i| crate::host::of_url(i) != sender)
        .collect();
    let mut jobs = outbox::jobs(state, &Value::Null, inboxes);
    for j in &mut jobs {
        j.body = body.to_vec();
    }
    let key = index_key(FORWARDED, &[id.as_bytes()]);
    let now = crate::time_fmt::now_ms();
    let queued = state.store.transact(|tx| {
        if tx.get(T::Index, &key)?.is_some() {
            return Ok(false);
        }
        tx.put(T::Index, &key, &now.to_be_bytes())?;
        for j in &jobs {
            tx.enqueue_delivery(j, now)?;
        }
        Ok(true)
    })?;
    if !queued {
        return Ok(0);
    }
    crate::ops::durable(state).await?;
    if !jobs.is_empty() {
        crate::ops::wake_delivery(state);
    }
    Ok(jobs.len())
}
