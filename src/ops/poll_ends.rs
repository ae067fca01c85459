//! What happens when a poll ends, as Mastodon does it: the owner is told
//! ("a poll has ended") when one of their own polls ends or a remote poll
//! they voted in does, and the owner's own poll goes out once more, as an
//! Update carrying the final counts and `closed`, to their followers and
//! to every remote account that voted, so their copies show the results.
//!
//! The worker sleeps until the first entry of the `poll_end` index
//! (`store::poll_ends`) is due. Any stored status change is announced on
//! `state.events`, and the index is kept by the status writes themselves,
//! so the worker listens there to notice an earlier poll: no polling, and
//! no operation has to remember to wake it. Entries that fell due while
//! the server was stopped are handled as soon as it starts.

use super::{durable, emit, owner_account, wake_delivery, OpResult};
use crate::activitypub::{activity, note};
use crate::events::Event;
use crate::federation::outbox;
use crate::state::AppState;
use crate::store::notifications::Notification;
use crate::store::poll_ends::{watched_end, PollEnd};
use crate::store::relations::Rel;
use crate::time_fmt::now_ms;
use std::time::Duration;

/// Ends handled per look at the index; a backlog after a long stop is
/// worked through in batches so memory stays flat.
pub const MAX_ENDS_PER_PASS: usize = 32;
/// Longest sleep even when the next end is far off. The wall clock can
/// step (a Pi has no battery clock and learns the time from the network
/// after boot), and a sleep measures elapsed time, so the worker looks at
/// the clock again at least this often.
pub const MAX_SLEEP_MS: i64 = 10 * 60 * 1000;
/// Pause after the index itself could not be read, so a broken store is
/// not hammered in a loop.
pub const PAUSE_AFTER_STORE_ERROR: Duration = Duration::from_secs(60);

/// Runs forever; spawn it once at start-up.
pub async fn run(state: AppState) {
    let mut events = state.events.subscribe();
    loop {
        let now = now_ms();
        let due = match state.store.due_poll_ends(now, MAX_ENDS_PER_PASS) {
            Ok(d) => d,
            Err(e) => {
                tracing::error!("the poll end index is unreadable: {e}");
                tokio::time::sleep(PAUSE_AFTER_STORE_ERROR).await;
                continue;
            }
        };
        if !due.is_empty() {
            for e in due {
                if let Err(err) = end_poll(&state, e).await {
                    // One poll that cannot be ended must not hold back
                    // the others: its entry goes, at the cost of its
                    // notification.
                    tracing::error!("cannot end the poll of status {}: {err}", e.status_id);
                    if let Err(err) = state.store.transact(|tx| tx.take_poll_end(e)) {
                        tracing::error!("cannot drop its poll end entry either: {err}");
                        tokio::time::sleep(PAUSE_AFTER_STORE_ERROR).await;
                    }
                }
            }
            continue;
        }
        let wait = match state.store.next_poll_end() {
            Ok(Some(next)) => (next.end_ms - now).clamp(1, MAX_SLEEP_MS),
            _ => MAX_SLEEP_MS,
        };
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_millis(wait as u64)) => {}
            r = events.recv() => {
                if let Err(tokio::sync::broadcast::error::RecvError::Closed) = r {
                    return;
                }
                // Anything else, a missed event included, means look again.
            }
        }
    }
}

/// Ends one poll: the notification, and for the owner's own poll the
/// Update with the final counts, in one transaction that also takes the
/// index entry, so a crash repeats it all or none of it.
pub async fn end_poll(state: &AppState, e: PollEnd) -> OpResult<()> {
    let status = state.store.status(e.status_id)?;
    let Some(status) = status.filter(|s| watched_end(s) == Some(e.end_ms)) else {
        // Deleted, or its poll replaced by an edit (whose own entry
        // stands): nothing ended here.
        state.store.transact(|tx| tx.take_poll_end(e))?;
        return Ok(());
    };
    let owner = owner_account(state)?;
    let mut jobs = Vec::new();
    if status.local {
        let doc = note::note(
            &status,
            &owner,
            &state.urls,
            &super::statuses::attachments(state, &status.media_ids),
        );
        let update = activity::wrap(
            "Update",
            format!("{}#updates/{}", status.uri, now_ms()),
            &owner,
            doc,
        );
        let mut inboxes = super::statuses::audience(state, &status, status.in_reply_to_account_id)?;
        let voters = state.store.poll_voters(status.id)?;
        inboxes.extend(outbox::account_inboxes(state, &voters)?);
        jobs = outbox::jobs(state, &update, inboxes);
    }
    let quiet = !status.local
        && (state.store.has_relation(Rel::Muting, status.account_id)?
            || state.store.has_relation(Rel::Blocking, status.account_id)?);
    let n = Notification {
        id: state.store.next_id(),
        kind: "poll".into(),
        account_id: status.account_id,
        status_id: Some(status.id),
        created_at_ms: now_ms(),
        ..Default::default()
    };
    let now = now_ms();
    let (taken, notified) = state.store.transact(|tx| {
        if !tx.take_poll_end(e)? {
            return Ok((false, false));
        }
        let notified = !quiet && tx.notify(&n)?;
        for j in &jobs {
            tx.enqueue_delivery(j, now)?;
        }
        Ok((true, notified))
    })?;
    if !taken {
        return Ok(());
    }
    durable(state).await?;
    if !jobs.is_empty() {
        wake_delivery(state);
    }
    if notified {
        emit(state, Event::Notification(n.id));
    }
    Ok(())
}
