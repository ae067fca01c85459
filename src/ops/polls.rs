//! The owner voting in a poll. On the owner's own polls the vote is
//! simply counted. On a remote poll each chosen option goes to the poll's
//! author as a Note whose `name` is the option's title, addressed to them
//! alone, which is how Mastodon votes; the count kept here is refreshed
//! when the author's server sends the poll again.

use super::interactions::visible_status;
use super::{durable, emit, owner_account, wake_delivery, OpError, OpResult};
use crate::activitypub::activity;
use crate::events::Event;
use crate::federation::outbox;
use crate::state::AppState;
use crate::store::accounts::Account;
use crate::store::poll_votes::VoteOutcome;
use crate::store::statuses::Status;
use crate::time_fmt::now_ms;
use serde_json::{json, Value};

/// A peer's vote: a Note with a `name` (the option's title) and no content,
/// replying to one of the owner's polls. Returns `false` when `doc` is not
/// a vote on a poll here, so the caller treats it as an ordinary reply.
/// Votes after the poll closed, for unknown options, or repeated are
/// dropped silently: the voter's server gets no answer to act on anyway.
pub async fn remote_vote(state: &AppState, voter: &Account, doc: &Value) -> OpResult<bool> {
    let Some(title) = doc.get("name").and_then(Value::as_str) else {
        return Ok(false);
    };
    let has_content = doc
        .get("content")
        .and_then(Value::as_str)
        .is_some_and(|c| !c.trim().is_empty());
    let Some(parent) = doc.get("inReplyTo").and_then(super::inbound::id_of) else {
        return Ok(false);
    };
    if has_content {
        return Ok(false);
    }
    let Some(status) = state.store.status_by_uri(parent)? else {
        return Ok(false);
    };
    let Some(poll) = status.poll.as_ref().filter(|_| status.local) else {
        return Ok(false);
    };
    if poll.expires_at_ms.is_some_and(|e| e <= now_ms()) {
        return Ok(true);
    }
    let Some(choice) = poll.options.iter().position(|o| o.title == title) else {
        return Ok(true);
    };
    let outcome = state
        .store
        .transact(|tx| tx.record_poll_vote(status.id, voter.id, choice))?;
    if outcome == VoteOutcome::Counted {
        durable(state).await?;
        emit(state, Event::StatusUpdated(status.id));
    }
    Ok(true)
}

pub async fn vote(state: &AppState, status_id: u64, choices: &[usize]) -> OpResult<Status> {
    let owner = owner_account(state)?;
    let status = visible_status(state, status_id)?;
    let poll = status
        .poll
        .clone()
        .ok_or_else(|| OpError::NotFound("Record not found".into()))?;
    if poll.expires_at_ms.is_some_and(|e| e <= now_ms()) {
        return Err(OpError::Invalid(
            "Validation failed: The poll has already ended".into(),
        ));
    }
    if !poll.own_votes.is_empty() {
        return Err(OpError::Invalid(
            "Validation failed: You have already voted on this poll".into(),
        ));
    }
    let mut chosen = choices.to_vec();
    chosen.sort_unstable();
    chosen.dedup();
    if chosen.is_empty() {
        return Err(OpError::Invalid(
            "Validation failed: choose at least one option".into(),
        ));
    }
    if chosen.iter().any(|c| *c >= poll.options.len()) {
        return Err(OpError::Invalid(format!(
            "Validation failed: choices must be option numbers from 0 to {}",
            poll.options.len() - 1
        )));
    }
    if !poll.multiple && chosen.len() > 1 {
        return Err(OpError::Invalid(
            "Validation failed: this poll takes one choice".into(),
        ));
    }
    let mut jobs = Vec::new();
    if !status.local {
        let author = state
            .store
            .account(status.account_id)?
            .ok_or_else(|| OpError::NotFound("Record not found: the poll's author".into()))?;
        let inboxes = outbox::account_inboxes(state, &[author.id])?;
        for c in &chosen {
            let id = activity::activity_id(&owner, "votes", state.store.next_id());
            let note = json!({
                "id": id,
                "type": "Note",
                "name": poll.options[*c].title,
                "attributedTo": owner.uri,
                "inReplyTo": status.uri,
                "to": [author.uri],
                "cc": [],
            });
            let create = activity::wrap("Create", format!("{id}/activity"), &owner, note);
            jobs.extend(outbox::jobs(state, &create, inboxes.clone()));
        }
    }
    let now = now_ms();
    let counted = state.store.transact(|tx| {
        let Some(mut s) = tx.status(status_id)? else {
            return Ok(false);
        };
        let Some(p) = s.poll.as_mut() else {
            return Ok(false);
        };
        if !p.own_votes.is_empty() {
            return Ok(false);
        }
        for c in &chosen {
            if let Some(o) = p.options.get_mut(*c) {
                o.votes += 1;
            }
        }
        p.voters_count += 1;
        p.own_votes = chosen.clone();
        tx.update_status(&s)?;
        for j in &jobs {
            tx.enqueue_delivery(j, now)?;
        }
        Ok(true)
    })?;
    if !counted {
        return Err(OpError::Invalid(
            "Validation failed: You have already voted on this poll".into(),
        ));
    }
    durable(state).await?;
    wake_delivery(state);
    emit(state, Event::StatusUpdated(status_id));
    visible_status(state, status_id)
}
