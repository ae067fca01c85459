//! Scheduled statuses: the owner writes a post now and it is published
//! later, through the same `statuses::post` as any other.
//!
//! The schedule is durable (`store::scheduled`: the records, a due-time
//! index and the uploads they hold). The worker sleeps until the first
//! entry is due, or until an operation here wakes it because the
//! schedule changed: no polling. Entries that fell due while the server
//! was stopped are published as soon as it starts.
//!
//! Publishing happens exactly once, even across a crash: the status is
//! posted under an idempotency key made from the scheduled id, which
//! `statuses::post` records in the status's own transaction, and only
//! then is the entry taken off the schedule. A crash in between finds
//! the entry again, and posting it again returns the status already
//! stored instead of a second one.

use super::statuses::{NewPoll, NewStatus};
use super::{durable, OpError, OpResult};
use crate::state::AppState;
use crate::store::scheduled::{Due, ScheduledPoll, ScheduledStatus};
use crate::store::{index_key, T};
use crate::time_fmt::now_ms;
use std::time::Duration;

/// How far ahead a post must be scheduled (Mastodon's
/// `PostStatusService::MIN_SCHEDULE_OFFSET`).
pub const MIN_OFFSET_MS: i64 = 5 * 60 * 1000;
/// Most statuses waiting at once (Mastodon's `ScheduledStatus::TOTAL_LIMIT`).
pub const MAX_SCHEDULED: usize = 300;
/// Most statuses scheduled for one UTC day (Mastodon's `DAILY_LIMIT`).
pub const MAX_SCHEDULED_PER_DAY: usize = 25;
/// Entries published per look at the schedule, so a backlog after a long
/// stop is worked through in batches.
pub const MAX_PER_PASS: usize = 8;
/// Longest sleep even when the next entry is far off: the wall clock can
/// step (a Pi learns the time from the network after boot) while a sleep
/// measures elapsed time, so the worker looks at the clock again at
/// least this often.
pub const MAX_SLEEP_MS: i64 = 10 * 60 * 1000;
/// Pause after the schedule itself could not be read, so a broken store
/// is not hammered in a loop.
pub const PAUSE_AFTER_STORE_ERROR: Duration = Duration::from_secs(60);
/// One UTC day, for the daily limit.
const DAY_MS: i64 = 24 * 60 * 60 * 1000;
/// Mastodon's message when the time is too close or past.
pub const TOO_SOON: &str =
    "Validation failed: Scheduled at The scheduled date must be in the future";

/// Index key recording the scheduled status an app's `Idempotency-Key`
/// made, so a retried request schedules once.
fn idempotency_key(key: &str) -> Vec<u8> {
    index_key("idempotency_sched", &[key.as_bytes()])
}

/// The key the published status is posted under. It holds a NUL, which
/// no HTTP header can, so no app's own key can collide with it.
fn publish_key(id: u64) -> String {
    format!("\0scheduled\0{id}")
}

/// Refuses a time too close, and one whose day (or the schedule) is full.
fn check_time(state: &AppState, at_ms: i64, except: Option<u64>) -> OpResult<()> {
    if at_ms <= now_ms() + MIN_OFFSET_MS {
        return Err(OpError::Invalid(TOO_SOON.into()));
    }
    let others: Vec<ScheduledStatus> = state
        .store
        .scheduled_statuses()?
        .into_iter()
        .filter(|s| Some(s.id) != except)
        .collect();
    if others.len() >= MAX_SCHEDULED {
        return Err(OpError::Invalid(format!(
            "Validation failed: You have exceeded the limit of {MAX_SCHEDULED} scheduled posts"
        )));
    }
    let day = at_ms.div_euclid(DAY_MS);
    if others
        .iter()
        .filter(|s| s.scheduled_at_ms.div_euclid(DAY_MS) == day)
        .count()
        >= MAX_SCHEDULED_PER_DAY
    {
        return Err(OpError::Invalid(format!(
            "Validation failed: You have exceeded the limit of {MAX_SCHEDULED_PER_DAY} scheduled posts for today"
        )));
    }
    Ok(())
}

/// Schedules `new` for `at_ms`. Everything a post would refuse is refused
/// now (text, media, poll, the status replied to), so the owner hears of
/// it while they can still fix it.
pub async fn schedule(state: &AppState, new: NewStatus, at_ms: i64) -> OpResult<ScheduledStatus> {
    super::statuses::validate(&new)?;
    let owner = super::owner_account(state)?;
    if let Some(key) = &new.idempotency_key {
        if let Some(id) = state.store.get_index(&idempotency_key(key))? {
            if let Some(s) = state.store.scheduled_status(id)? {
                return Ok(s);
            }
        }
    }
    check_time(state, at_ms, None)?;
    if let Some(parent) = new.in_reply_to_id {
        if state.store.status(parent)?.is_none() {
            return Err(OpError::NotFound(
                "The post you are trying to reply to does not appear to exist.".into(),
            ));
        }
    }
    for m in &new.media_ids {
        super::check_media_attachable(state, *m, owner.id)?;
    }
    let s = ScheduledStatus {
        id: state.store.next_id(),
        scheduled_at_ms: at_ms,
        text: new.text,
        spoiler_text: new.spoiler_text,
        sensitive: new.sensitive,
        visibility: new.visibility,
        language: new.language,
        in_reply_to_id: new.in_reply_to_id,
        media_ids: new.media_ids,
        poll: new.poll.map(|p| ScheduledPoll {
            options: p.options,
            expires_in_secs: p.expires_in_secs,
            multiple: p.multiple,
        }),
        application: new.application,
        idempotency: new.idempotency_key,
    };
    state.store.transact(|tx| {
        tx.put_scheduled(&s)?;
        if let Some(k) = &s.idempotency {
            tx.put(T::Index, &idempotency_key(k), &s.id.to_be_bytes())?;
        }
        Ok(())
    })?;
    durable(state).await?;
    state.scheduled_wake.notify_one();
    Ok(s)
}

fn find(state: &AppState, id: u64) -> OpResult<ScheduledStatus> {
    state
        .store
        .scheduled_status(id)?
        .ok_or_else(|| OpError::NotFound("Record not found".into()))
}

/// Moves a scheduled status to another time.
pub async fn reschedule(state: &AppState, id: u64, at_ms: i64) -> OpResult<ScheduledStatus> {
    let mut s = find(state, id)?;
    check_time(state, at_ms, Some(id))?;
    s.scheduled_at_ms = at_ms;
    let stored = state.store.transact(|tx| {
        // Published or cancelled meanwhile: nothing left to move.
        if tx.take_scheduled(id)?.is_none() {
            return Ok(false);
        }
        tx.put_scheduled(&s)?;
        Ok(true)
    })?;
    if !stored {
        return Err(OpError::NotFound("Record not found".into()));
    }
    durable(state).await?;
    state.scheduled_wake.notify_one();
    Ok(s)
}

/// Cancels a scheduled status; its uploads are free again (and swept
/// later if nothing else takes them, as Mastodon does).
pub async fn cancel(state: &AppState, id: u64) -> OpResult<ScheduledStatus> {
    let taken = state.store.transact(|tx| tx.take_scheduled(id))?;
    let s = taken.ok_or_else(|| OpError::NotFound("Record not found".into()))?;
    durable(state).await?;
    state.scheduled_wake.notify_one();
    Ok(s)
}

/// Runs forever; spawn it once at start-up.
pub async fn run(state: AppState) {
    loop {
        let now = now_ms();
        let due = match state.store.due_scheduled(now, MAX_PER_PASS) {
            Ok(d) => d,
            Err(e) => {
                tracing::error!("the schedule is unreadable: {e}");
                tokio::time::sleep(PAUSE_AFTER_STORE_ERROR).await;
                continue;
            }
        };
        if !due.is_empty() {
            for d in due {
                if let Err(err) = publish(&state, d).await {
                    // One post that cannot be published must not hold
                    // back the others: it leaves the schedule, as in
                    // Mastodon, and the log says why.
                    tracing::error!("cannot publish scheduled status {}: {err}", d.id);
                    if let Err(err) = state.store.transact(|tx| tx.take_scheduled(d.id)) {
                        tracing::error!("cannot take it off the schedule either: {err}");
                        tokio::time::sleep(PAUSE_AFTER_STORE_ERROR).await;
                    }
                }
            }
            continue;
        }
        let wait = match state.store.next_scheduled() {
            Ok(Some(next)) => (next.due_ms - now).clamp(1, MAX_SLEEP_MS),
            _ => MAX_SLEEP_MS,
        };
        // A wake sent while the worker was busy is kept by `Notify`, so
        // a schedule change is never missed.
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_millis(wait as u64)) => {}
            _ = state.scheduled_wake.notified() => {}
        }
    }
}

/// Publishes one due entry through the normal posting operation, then
/// takes it off the schedule (see the module comment for why this is
/// exactly once).
pub async fn publish(state: &AppState, d: Due) -> OpResult<()> {
    let Some(s) = state.store.scheduled_status(d.id)? else {
        return Ok(());
    };
    // The uploads it holds are let go first, so the post may attach them;
    // a crash after this only leaves them unreserved a moment early.
    state.store.transact(|tx| tx.release_scheduled_media(&s))?;
    let new = NewStatus {
        text: s.text.clone(),
        spoiler_text: s.spoiler_text.clone(),
        sensitive: s.sensitive,
        visibility: s.visibility,
        language: s.language.clone(),
        in_reply_to_id: s.in_reply_to_id,
        media_ids: s.media_ids.clone(),
        poll: s.poll.clone().map(|p| NewPoll {
            options: p.options,
            expires_in_secs: p.expires_in_secs,
            multiple: p.multiple,
        }),
        idempotency_key: Some(publish_key(s.id)),
        application: s.application.clone(),
        ..NewStatus::default()
    };
    let status = super::statuses::post(state, new).await?;
    state.store.transact(|tx| tx.take_scheduled(s.id))?;
    durable(state).await?;
    tracing::info!("published scheduled status {} as {}", s.id, status.id);
    Ok(())
}
