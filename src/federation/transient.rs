//! Whether an inbound job failed because some server was away for a while
//! (down, slow, overloaded) rather than because of what it sent.
//!
//! The inbound operations see a failed fetch as "the object could not be
//! had" and give up; whether that was passing only matters to the inbox
//! worker, which retries such a job later instead of dropping it. So the
//! fetch helpers note a passing failure in a task-local slot, and the
//! worker reads it after the job: the operations need not know.

use super::fetcher::FetchError;
use std::cell::RefCell;
use std::future::Future;

tokio::task_local! {
    /// The first passing fetch failure of the job running in this task.
    static NOTED: RefCell<Option<String>>;
}

/// Failures that may go away by themselves: no answer, a network error,
/// or a server saying it is overloaded or down (408, 429, 5xx).
pub fn is_transient(e: &FetchError) -> bool {
    match e {
        FetchError::Timeout(_) | FetchError::Network { .. } => true,
        FetchError::Status { status, .. } => matches!(status, 408 | 429 | 500..=599),
        _ => false,
    }
}

/// Notes `e` for the job running in this task, when it is passing; does
/// nothing outside a job (API requests, other workers).
pub fn note(e: &FetchError) {
    if !is_transient(e) {
        return;
    }
    let _ = NOTED.try_with(|n| {
        n.borrow_mut().get_or_insert_with(|| e.to_string());
    });
}

/// Runs `job` and returns its output with the first passing fetch failure
/// noted while it ran.
pub async fn watch<F: Future>(job: F) -> (F::Output, Option<String>) {
    NOTED
        .scope(RefCell::new(None), async move {
            let out = job.await;
            let noted = NOTED.with(|n| n.borrow_mut().take());
            (out, noted)
        })
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn passing_failures_are_noted_inside_a_job_only() {
        let down = FetchError::Status {
            url: "https://a.example/1".into(),
            status: 503,
        };
        let gone = FetchError::Status {
            url: "https://a.example/1".into(),
            status: 410,
        };
        note(&down); // outside a job: ignored, no panic
        let ((), noted) = watch(async {
            note(&gone);
            note(&down);
            note(&FetchError::Timeout("https://b.example/2".into()));
        })
        .await;
        assert_eq!(noted.as_deref(), Some("https://a.example/1 answered 503"));
        let ((), noted) = watch(async { note(&gone) }).await;
        assert_eq!(noted, None);
    }
}
