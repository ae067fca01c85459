//! Applies queued inbound activities, one at a time (in order, and no
//! two operations racing on the same records). Woken by the inbox
//! endpoint; sleeps otherwise.

use crate::ops::hiding::domain_hidden;
use crate::ops::{inbound, OpError};
use crate::state::AppState;
use crate::store::inbox::InboxJob;
use std::time::Duration;

/// Attempts before a job that keeps failing for internal reasons is dropped.
pub const MAX_INBOX_ATTEMPTS: u32 = 5;
/// Jobs read from the queue per round.
const BATCH: usize = 16;
/// Pause after a transient failure before the queue is tried again.
const RETRY_PAUSE: Duration = Duration::from_secs(30);

pub async fn run(state: AppState) {
    loop {
        let jobs = match state.store.inbox_jobs(BATCH) {
            Ok(j) => j,
            Err(e) => {
                tracing::error!("inbox queue unreadable: {e}");
                tokio::time::sleep(RETRY_PAUSE).await;
                continue;
            }
        };
        if jobs.is_empty() {
            state.inbox_wake.notified().await;
            continue;
        }
        let mut transient = false;
        for job in jobs {
            transient |= apply(&state, job).await;
        }
        if transient {
            tokio::select! {
                _ = tokio::time::sleep(RETRY_PAUSE) => {}
                _ = state.inbox_wake.notified() => {}
            }
        }
    }
}

/// Applies one job; returns true when it failed transiently and stays queued.
pub async fn apply(state: &AppState, mut job: InboxJob) -> bool {
    let result = match (
        serde_json::from_slice::<serde_json::Value>(&job.body),
        state.store.account(job.signer_id),
    ) {
        // The inbox refuses a blocked domain at the door; this catches
        // what was queued before the owner blocked it.
        (Ok(_), Ok(Some(signer))) if matches!(domain_hidden(state, signer.id), Ok(true)) => Err(
            OpError::Forbidden(format!("{} is on a blocked domain", signer.uri)),
        ),
        (Ok(activity), Ok(Some(signer))) => inbound::process(state, &signer, &activity).await,
        (Err(e), _) => Err(OpError::Invalid(format!("unreadable JSON: {e}"))),
        (_, Ok(None)) => Err(OpError::Invalid("the signer is no longer known".into())),
        (_, Err(e)) => Err(e.into()),
    };
    let done = match result {
        Ok(()) => true,
        Err(e @ (OpError::Store(_) | OpError::Internal(_)))
            if job.attempts + 1 < MAX_INBOX_ATTEMPTS =>
        {
            tracing::warn!("inbox job {} failed ({e}); will retry", job.id);
            job.attempts += 1;
            if let Err(e) = state.store.retry_inbox_job(&job) {
                tracing::error!("inbox queue write failed: {e}");
            }
            return true;
        }
        Err(e) => {
            tracing::info!("inbox job {} dropped: {e}", job.id);
            true
        }
    };
    if done {
        if let Err(e) = state.store.finish_inbox_job(job.id) {
            tracing::error!("inbox queue write failed: {e}");
        }
    }
    false
}
