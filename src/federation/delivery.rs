//! The delivery worker: takes due jobs from the durable queue, posts them
//! signed, and retries with exponential backoff for about three days.
//!
//! It sleeps until the next job is due or an operation wakes it: no
//! polling. Concurrency is bounded; a host that keeps failing is paused so
//! a dead server costs one attempt per pause, not one per job.

use crate::state::AppState;
use crate::store::queue::{DeliveryJob, QueueKey};
use crate::time_fmt::now_ms;
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Deliveries in flight at once; a Pi's uplink and memory set the pace.
pub const MAX_CONCURRENT_DELIVERIES: usize = 8;
/// How long a taken job stays hidden; after a crash it is retried then.
pub const LEASE_MS: i64 = 5 * 60 * 1000;
/// First retry delay; doubles per attempt.
pub const FIRST_RETRY_MS: i64 = 60 * 1000;
/// Longest wait between two attempts.
pub const MAX_RETRY_MS: i64 = 12 * 60 * 60 * 1000;
/// After this long since the first attempt a job is abandoned (~3 days,
/// as Mastodon's retries).
pub const GIVE_UP_AFTER_MS: i64 = 3 * 24 * 60 * 60 * 1000;
/// Consecutive failures after which a host is paused.
pub const HOST_PAUSE_AFTER_FAILURES: u32 = 5;

/// What one attempt came to.
#[derive(Debug, PartialEq)]
pub enum Outcome {
    Delivered,
    /// Try again later (5xx, 401, 408, 429, network errors).
    Retry(String),
    /// 410 Gone: the inbox is no more.
    Gone,
    /// Other 4xx: retrying can't help.
    Permanent(String),
}

pub fn classify(status: u16) -> Outcome {
    match status {
        200..=299 => Outcome::Delivered,
        410 => Outcome::Gone,
        401 | 408 | 429 => Outcome::Retry(format!("HTTP {status}")),
        400..=499 => Outcome::Permanent(format!("HTTP {status}")),
        _ => Outcome::Retry(format!("HTTP {status}")),
    }
}

/// Delay before attempt `attempts + 1`.
pub fn retry_delay_ms(attempts: u32) -> i64 {
    retry_delay_from(FIRST_RETRY_MS, attempts)
}

/// The same schedule from another first delay (tests use milliseconds).
pub fn retry_delay_from(first_ms: i64, attempts: u32) -> i64 {
    let exp = attempts.min(20);
    (first_ms.saturating_mul(1i64 << exp)).min(MAX_RETRY_MS)
}

/// Sends one body to one inbox; returns the HTTP status or a network error.
pub type Transport = Arc<
    dyn Fn(String, Vec<u8>) -> Pin<Box<dyn Future<Output = Result<u16, String>> + Send>>
        + Send
        + Sync,
>;

#[derive(Default)]
struct HostState {
    failures: u32,
    paused_until_ms: i64,
}

/// Runs forever; spawn it once at start-up.
pub async fn run(state: AppState, transport: Transport) {
    let hosts: Arc<Mutex<HashMap<String, HostState>>> = Arc::default();
    let limit = Arc::new(tokio::sync::Semaphore::new(MAX_CONCURRENT_DELIVERIES));
    loop {
        let now = now_ms();
        let jobs =
            match state
                .store
                .lease_due_deliveries(now, LEASE_MS, MAX_CONCURRENT_DELIVERIES * 4)
            {
                Ok(j) => j,
                Err(e) => {
                    tracing::error!("delivery queue unreadable: {e}");
                    tokio::time::sleep(Duration::from_secs(60)).await;
                    continue;
                }
            };
        if jobs.is_empty() {
            let wait = match state.store.next_delivery_due() {
                Ok(Some(due)) => Duration::from_millis((due - now).clamp(10, MAX_RETRY_MS) as u64),
                _ => Duration::from_millis(MAX_RETRY_MS as u64),
            };
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = state.delivery_wake.notified() => {}
            }
            continue;
        }
        let mut set = tokio::task::JoinSet::new();
        for (key, job) in jobs {
            let permit = limit
                .clone()
                .acquire_owned()
                .await
                .expect("semaphore never closes");
            let (state, transport, hosts) = (state.clone(), transport.clone(), hosts.clone());
            set.spawn(async move {
                attempt(&state, &transport, &hosts, key, job).await;
                drop(permit);
            });
        }
        while set.join_next().await.is_some() {}
    }
}

fn first_retry(state: &AppState) -> i64 {
    state
        .delivery_first_retry_ms
        .load(std::sync::atomic::Ordering::Relaxed)
}

async fn attempt(
    state: &AppState,
    transport: &Transport,
    hosts: &Mutex<HashMap<String, HostState>>,
    key: QueueKey,
    mut job: DeliveryJob,
) {
    let host = crate::host::of_url(&job.inbox).unwrap_or_default();
    let push = matches!(job.kind, crate::store::queue::JobKind::Push { .. });
    // A job queued before the owner blocked its domain is dropped here:
    // nothing ever reaches a blocked server. (Push services are the
    // owner's own choice, not peers.)
    if !push && matches!(state.store.is_domain_blocked(&host), Ok(true)) {
        tracing::info!("not delivering to {}: its domain is blocked", job.inbox);
        if let Err(e) = state.store.finish_delivery(key) {
            tracing::error!("delivery queue write failed: {e}");
        }
        return;
    }
    let now = now_ms();
    if job.first_attempt_ms == 0 {
        job.first_attempt_ms = now;
    }
    let paused_until = hosts
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get(&host)
        .map(|h| h.paused_until_ms)
        .unwrap_or(0);
    let outcome = if paused_until > now {
        Outcome::Retry(format!("{host} is paused after repeated failures"))
    } else if push {
        // Push services are not inboxes: unsigned, VAPID, their own
        // meaning for 404 and 410.
        crate::push::deliver::attempt(state, &job).await
    } else {
        match transport(job.inbox.clone(), job.body.clone()).await {
            Ok(status) => classify(status),
            Err(e) => Outcome::Retry(e),
        }
    };
    {
        let mut h = hosts.lock().unwrap_or_else(|e| e.into_inner());
        let entry = h.entry(host.clone()).or_default();
        match &outcome {
            Outcome::Delivered | Outcome::Permanent(_) | Outcome::Gone => {
                h.remove(&host);
            }
            Outcome::Retry(_) if paused_until <= now => {
                entry.failures += 1;
                if entry.failures >= HOST_PAUSE_AFTER_FAILURES {
                    entry.paused_until_ms = now
                        + retry_delay_from(
                            first_retry(state),
                            entry.failures - HOST_PAUSE_AFTER_FAILURES,
                        );
                }
            }
            Outcome::Retry(_) => {}
        }
    }
    let result = match outcome {
        Outcome::Delivered => {
            tracing::debug!("delivered to {}", job.inbox);
            state.store.finish_delivery(key)
        }
        Outcome::Gone => {
            tracing::info!("{} is gone (410); dropping it", job.inbox);
            crate::ops::follows::inbox_gone(state, &job.inbox);
            state.store.finish_delivery(key)
        }
        Outcome::Permanent(why) => {
            tracing::warn!("delivery to {} refused ({why}); not retrying", job.inbox);
            state.store.finish_delivery(key)
        }
        Outcome::Retry(why) => {
            job.attempts += 1;
            job.last_error = why.clone();
            if now - job.first_attempt_ms > GIVE_UP_AFTER_MS {
                tracing::warn!(
                    "giving up on {} after {} attempts: {why}",
                    job.inbox,
                    job.attempts
                );
                state.store.finish_delivery(key)
            } else {
                let due = (now + retry_delay_from(first_retry(state), job.attempts - 1))
                    .max(paused_until);
                tracing::info!(
                    "delivery to {} failed ({why}); retry {} later",
                    job.inbox,
                    job.attempts
                );
                state.store.reschedule_delivery(key, &job, due)
            }
        }
    };
    if let Err(e) = result {
        tracing::error!("delivery queue write failed: {e}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_are_classified_as_mastodon_does() {
        assert_eq!(classify(202), Outcome::Delivered);
        assert_eq!(classify(410), Outcome::Gone);
        assert!(matches!(classify(404), Outcome::Permanent(_)));
        assert!(matches!(classify(401), Outcome::Retry(_)));
        assert!(matches!(classify(429), Outcome::Retry(_)));
        assert!(matches!(classify(503), Outcome::Retry(_)));
    }

    #[test]
    fn backoff_doubles_then_caps_and_spans_about_three_days() {
        assert_eq!(retry_delay_ms(0), FIRST_RETRY_MS);
        assert_eq!(retry_delay_ms(1), 2 * FIRST_RETRY_MS);
        assert_eq!(retry_delay_ms(30), MAX_RETRY_MS);
        let total: i64 = (0..16).map(retry_delay_ms).sum();
        assert!(
            total > GIVE_UP_AFTER_MS,
            "16 attempts reach the give-up age"
        );
    }
}
