//! Background workers that outlive a panic.
//!
//! The delivery, inbox, push, poll and card workers each run one long loop for
//! the life of the server. A panic in one of them (a bug reached by some
//! peer's odd data) would otherwise end that loop silently while the
//! server kept answering: deliveries would pile up unsent and nobody
//! would know. [`supervise`] runs a worker, and when it panics logs the
//! panic and starts it again after [`RESTART_PAUSE`]. Workers keep their
//! durable state in the store (queues, leases), so a fresh start picks up
//! where the last one stopped.

use futures_util::FutureExt;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::time::Duration;

/// How long a worker that panicked rests before it starts again: long
/// enough that a worker panicking on every job doesn't spin a core and
/// flood the log, short enough that federation barely notices.
pub const RESTART_PAUSE: Duration = Duration::from_secs(5);

/// Runs the worker `start` makes, again after every panic, until it
/// returns. Dropping the returned future (aborting its task at shutdown)
/// drops the running worker with it.
pub async fn supervise<F, Fut>(name: &'static str, start: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = ()>,
{
    supervise_with_pause(name, RESTART_PAUSE, start).await
}

/// [`supervise`] with its pause given, so tests need not wait.
pub async fn supervise_with_pause<F, Fut>(name: &'static str, pause: Duration, mut start: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = ()>,
{
    loop {
        // The worker's state lives in the store, which is transactional;
        // what a panic may leave half-done in memory is dropped with the
        // worker's future, so resuming from a fresh start is sound.
        match AssertUnwindSafe(start()).catch_unwind().await {
            Ok(()) => return,
            Err(panic) => {
                tracing::error!(
                    "the {name} worker panicked ({}); restarting it in {} s",
                    panic_message(panic.as_ref()),
                    pause.as_secs_f32()
                );
                tokio::time::sleep(pause).await;
            }
        }
    }
}

/// The message a panic carries, when it carries one.
pub fn panic_message(panic: &(dyn std::any::Any + Send)) -> &str {
    panic
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| panic.downcast_ref::<&'static str>().copied())
        .unwrap_or("no message")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    #[tokio::test]
    async fn a_worker_that_panics_once_is_started_again() {
        let starts = Arc::new(AtomicUsize::new(0));
        let seen = starts.clone();
        supervise_with_pause("test", Duration::from_millis(1), move || {
            let n = seen.fetch_add(1, Ordering::SeqCst);
            async move {
                if n == 0 {
                    panic!("first run fails");
                }
            }
        })
        .await;
        assert_eq!(starts.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn a_worker_that_returns_is_not_restarted() {
        let starts = Arc::new(AtomicUsize::new(0));
        let seen = starts.clone();
        supervise_with_pause("test", Duration::from_millis(1), move || {
            seen.fetch_add(1, Ordering::SeqCst);
            async {}
        })
        .await;
        assert_eq!(starts.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn panic_messages_are_read_from_both_payload_kinds() {
        let owned: Box<dyn std::any::Any + Send> = Box::new(String::from("owned"));
        let fixed: Box<dyn std::any::Any + Send> = Box::new("fixed");
        let other: Box<dyn std::any::Any + Send> = Box::new(7u8);
        assert_eq!(panic_message(owned.as_ref()), "owned");
        assert_eq!(panic_message(fixed.as_ref()), "fixed");
        assert_eq!(panic_message(other.as_ref()), "no message");
    }
}
