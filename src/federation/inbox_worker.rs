//! Applies queued inbound activities. Woken by the inbox endpoint, or when
//! a retry falls due; sleeps otherwise (no polling).
//!
//! A few jobs run at once, each within a time budget, so a peer that
//! answers slowly (or never) while we fetch what its activity refers to
//! holds one slot for a while, not the whole federation. Each signer's
//! jobs still run one at a time and in order (see `InboxQueue::pick`).
//! A job that fails for a passing reason (a server down, a fetch timing
//! out, the budget spent) stays queued and is tried again later, with
//! exponential backoff; other failures drop it.

use super::forward;
use super::inbox_queue::InboxQueue;
use super::signatures::SIGNATURE_WINDOW;
use super::transient;
use crate::ops::hiding::domain_hidden;
use crate::ops::{inbound, OpError};
use crate::state::AppState;
use crate::store::inbox::InboxJob;
use crate::time_fmt::now_ms;
use std::collections::{HashMap, HashSet};
use std::sync::atomic::Ordering;
use std::time::Duration;

/// Jobs applied at once. Most of a job's time is spent waiting on other
/// servers, so a few slots keep one slow peer from holding up the rest
/// without letting a flood of jobs crowd a Pi's two cores.
pub const MAX_CONCURRENT_JOBS: usize = 4;
/// Attempts at a job before it is dropped, however it failed.
pub const MAX_INBOX_ATTEMPTS: u32 = 8;
/// Longest wait between two attempts at a job.
pub const MAX_RETRY_MS: i64 = 60 * 60 * 1000;
/// A job this old is dropped rather than retried again: by then its
/// sender has long moved on, and its id is about to be forgotten.
pub const MAX_JOB_AGE_MS: i64 = 150 * 60 * 1000;
/// How long an activity id is remembered after it arrived. A captured
/// request replays for as long as its `Date` passes our check: signed at
/// most one window before it reached us, valid up to one window after it
/// was signed; two windows cover every replay, plus a margin.
pub const SEEN_RETENTION_MS: i64 = 2 * SIGNATURE_WINDOW.as_millis() as i64 + SEEN_MARGIN_MS;
/// Slack on top of the replay window (clocks, slow deliveries).
pub const SEEN_MARGIN_MS: i64 = 60 * 60 * 1000;
/// Seen ids removed per pruning step; an idle worker steps until none is
/// left, so no single step holds the store long.
pub const PRUNE_BATCH: usize = 500;
/// An idle worker with nothing due still wakes this often, to forget the
/// ids that have aged out since it last looked.
pub const IDLE_WAKE: Duration = Duration::from_secs(60 * 60);
// While a job may still be tried, its id is remembered: a redelivery of
// it is a duplicate, not a second job.
const _: () = assert!(MAX_JOB_AGE_MS < SEEN_RETENTION_MS);
/// Pause after the queue could not be read.
const STORE_ERROR_PAUSE: Duration = Duration::from_secs(30);

/// Delay before the attempt after `attempts` failed ones (at least one):
/// `first_ms`, doubling, at most `MAX_RETRY_MS`.
pub fn retry_delay_ms(first_ms: i64, attempts: u32) -> i64 {
    let exp = attempts.saturating_sub(1).min(20);
    first_ms.saturating_mul(1i64 << exp).min(MAX_RETRY_MS)
}

pub async fn run(state: AppState) {
    let mut tasks = tokio::task::JoinSet::new();
    // Running task → (job id, signer id).
    let mut running: HashMap<tokio::task::Id, (u64, u64)> = HashMap::new();
    loop {
        let now = now_ms();
        let busy: HashSet<u64> = running.values().map(|&(_, signer)| signer).collect();
        let picked = state.inbox_queue.pick(
            now,
            &busy,
            MAX_CONCURRENT_JOBS.saturating_sub(running.len()),
        );
        for &(job_id, signer) in &picked.ready {
            let st = state.clone();
            let handle = tasks.spawn(async move { attempt(&st, job_id).await });
            running.insert(handle.id(), (job_id, signer));
        }
        if running.is_empty() && prune_step(&state, now) {
            tokio::task::yield_now().await;
            continue;
        }
        let wait = picked.next_due_ms.map_or(IDLE_WAKE, |due| {
            Duration::from_millis((due - now).clamp(1, MAX_RETRY_MS) as u64)
        });
        tokio::select! {
            Some(done) = tasks.join_next_with_id(), if !tasks.is_empty() => {
                let id = match &done {
                    Ok((id, ())) => *id,
                    Err(e) => e.id(),
                };
                if let (Some((job_id, _)), Err(e)) = (running.remove(&id), done) {
                    // A job that panicked would panic again: drop it.
                    tracing::error!("inbox job {job_id} failed ({e}); dropped");
                    finish(&state, job_id);
                }
            }
            _ = tokio::time::sleep(wait) => {}
            _ = state.inbox_wake.notified() => {}
        }
    }
}

/// Forgets a batch of ids seen long ago; true when there may be more.
fn prune_step(state: &AppState, now: i64) -> bool {
    match state
        .store
        .prune_seen(now.saturating_sub(SEEN_RETENTION_MS), PRUNE_BATCH)
    {
        Ok(n) => n >= PRUNE_BATCH,
        Err(e) => {
            tracing::error!("pruning seen activity ids failed: {e}");
            false
        }
    }
}

/// What became of one attempt at a job.
#[derive(Debug, PartialEq)]
enum Verdict {
    Done,
    /// Try again later; why it failed.
    Retry(String),
    /// Give up; why.
    Drop(String),
}

fn judge(
    result: Result<Result<(), OpError>, tokio::time::error::Elapsed>,
    noted: Option<String>,
    budget: Duration,
) -> Verdict {
    match result {
        Err(_) => Verdict::Retry(format!(
            "not done within its budget of {} s",
            budget.as_secs()
        )),
        Ok(Ok(())) => Verdict::Done,
        Ok(Err(e @ (OpError::Store(_) | OpError::Internal(_)))) => Verdict::Retry(e.to_string()),
        Ok(Err(e)) => match noted {
            Some(why) => Verdict::Retry(format!("{e} ({why})")),
            None => Verdict::Drop(e.to_string()),
        },
    }
}

/// One attempt at job `job_id`: applied, rescheduled or dropped.
async fn attempt(state: &AppState, job_id: u64) {
    let mut job = match state.store.inbox_job(job_id) {
        Ok(Some(j)) => j,
        Ok(None) => return state.inbox_queue.finish(job_id),
        Err(e) => {
            tracing::error!("inbox job {job_id} unreadable: {e}");
            let due = now_ms() + STORE_ERROR_PAUSE.as_millis() as i64;
            return state.inbox_queue.reschedule(job_id, due);
        }
    };
    let q: &InboxQueue = &state.inbox_queue;
    let budget = Duration::from_millis(q.job_budget_ms.load(Ordering::Relaxed));
    let (result, noted) = transient::watch(tokio::time::timeout(budget, apply(state, &job))).await;
    let why = match judge(result, noted, budget) {
        Verdict::Done => return finish(state, job_id),
        Verdict::Drop(why) => {
            tracing::info!("inbox job {job_id} dropped: {why}");
            return finish(state, job_id);
        }
        Verdict::Retry(why) => why,
    };
    let now = now_ms();
    if job.received_ms == 0 {
        // Queued before arrival times were kept.
        job.received_ms = now;
    }
    job.attempts += 1;
    job.last_error = why;
    if job.attempts >= MAX_INBOX_ATTEMPTS || now - job.received_ms > MAX_JOB_AGE_MS {
        tracing::warn!(
            "inbox job {job_id} dropped after {} attempts: {}",
            job.attempts,
            job.last_error
        );
        return finish(state, job_id);
    }
    job.due_ms = now + retry_delay_ms(q.first_retry_ms.load(Ordering::Relaxed), job.attempts);
    tracing::info!(
        "inbox job {job_id} failed ({}); attempt {} in {} s",
        job.last_error,
        job.attempts + 1,
        (job.due_ms - now) / 1000
    );
    if let Err(e) = state.store.retry_inbox_job(&job) {
        tracing::error!("inbox queue write failed: {e}");
    }
    q.reschedule(job_id, job.due_ms);
}

fn finish(state: &AppState, job_id: u64) {
    if let Err(e) = state.store.finish_inbox_job(job_id) {
        tracing::error!("inbox queue write failed: {e}");
    }
    state.inbox_queue.finish(job_id);
}

/// Applies one job's activity as its signer.
async fn apply(state: &AppState, job: &InboxJob) -> Result<(), OpError> {
    let activity = serde_json::from_slice::<serde_json::Value>(&job.body)
        .map_err(|e| OpError::Invalid(format!("unreadable JSON: {e}")))?;
    let signer = state
        .store
        .account(job.signer_id)?
        .ok_or_else(|| OpError::Invalid("the signer is no longer known".into()))?;
    // The inbox refuses a blocked domain at the door; this catches what
    // was queued before the owner blocked it.
    if domain_hidden(state, signer.id)? {
        return Err(OpError::Forbidden(format!(
            "{} is on a blocked domain",
            signer.uri
        )));
    }
    // A Delete is judged before it removes what it names; the rest after
    // the status they carry is stored.
    let is_delete = activity.get("type").and_then(|t| t.as_str()) == Some("Delete");
    let owed = is_delete && forward::forwardable(state, &signer, &activity).is_some();
    inbound::process(state, &signer, &activity).await?;
    if owed || (!is_delete && forward::forwardable(state, &signer, &activity).is_some()) {
        match forward::forward(state, &signer, &activity, &job.body).await {
            Ok(n) if n > 0 => {
                tracing::debug!("forwarded an activity of {} to {n} inboxes", signer.uri)
            }
            Ok(_) => {}
            Err(e) => tracing::warn!("forwarding an activity of {} failed: {e}", signer.uri),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_then_caps() {
        assert_eq!(retry_delay_ms(1_000, 1), 1_000);
        assert_eq!(retry_delay_ms(1_000, 2), 2_000);
        assert_eq!(retry_delay_ms(1_000, 3), 4_000);
        assert_eq!(retry_delay_ms(1_000, 40), MAX_RETRY_MS);
    }

    #[test]
    fn every_attempt_fits_before_the_id_is_forgotten() {
        let first = super::super::inbox_queue::FIRST_RETRY_MS;
        let budget = super::super::inbox_queue::JOB_BUDGET_MS as i64;
        let waits: i64 = (1..MAX_INBOX_ATTEMPTS)
            .map(|a| retry_delay_ms(first, a))
            .sum();
        let worst = waits + i64::from(MAX_INBOX_ATTEMPTS) * budget;
        assert!(worst <= MAX_JOB_AGE_MS, "{worst} ms");
        assert_eq!(SEEN_RETENTION_MS, 3 * 60 * 60 * 1000);
    }

    #[test]
    fn passing_failures_are_retried_and_others_dropped() {
        let budget = Duration::from_secs(60);
        assert_eq!(judge(Ok(Ok(())), None, budget), Verdict::Done);
        assert_eq!(
            judge(Ok(Ok(())), Some("an ancestor timed out".into()), budget),
            Verdict::Done,
            "applied is applied"
        );
        let refused = || Err(OpError::Invalid("the object could not be verified".into()));
        assert!(matches!(
            judge(Ok(refused()), None, budget),
            Verdict::Drop(_)
        ));
        assert!(matches!(
            judge(Ok(refused()), Some("x answered 503".into()), budget),
            Verdict::Retry(m) if m.contains("503")
        ));
        assert!(matches!(
            judge(Ok(Err(OpError::Internal("disk".into()))), None, budget),
            Verdict::Retry(_)
        ));
    }

    #[tokio::test]
    async fn a_job_out_of_time_is_retried() {
        let budget = Duration::from_millis(1);
        let slow = tokio::time::timeout(budget, std::future::pending::<Result<(), OpError>>());
        assert!(matches!(
            judge(slow.await, None, budget),
            Verdict::Retry(m) if m.contains("budget")
        ));
    }
}
