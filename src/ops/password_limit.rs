//! The one limit on password guesses, shared by every place that checks
//! the owner's password (the login page, the OAuth authorize page, the
//! password change in settings).
//!
//! An attempt is reserved *before* argon2 runs and settled after: a guess
//! still being checked counts against the limit, so a burst of concurrent
//! guesses gets no more checks than guesses made one by one.
//!
//! The limit is global, not per address: behind a reverse proxy every
//! client has the proxy's address. An attacker can thus delay the owner's
//! new logins, never open sessions, and never guess faster. It is kept in
//! memory: a restart forgets it, which costs a guesser a restart they
//! cannot cause.

use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// Wrong passwords allowed within `FAILURE_WINDOW` before each further
/// attempt must wait `FAILURE_BACKOFF`. One person types their password
/// wrong a few times; a guesser needs millions of tries.
pub const FREE_FAILURES: usize = 5;
/// How long a wrong password counts against the limit.
pub const FAILURE_WINDOW: Duration = Duration::from_secs(15 * 60);
/// Long enough to make guessing hopeless (120 tries an hour), short enough
/// that the owner is never locked out for long.
pub const FAILURE_BACKOFF: Duration = Duration::from_secs(30);

#[derive(Default)]
pub struct PasswordLimiter {
    inner: Mutex<State>,
}

#[derive(Default)]
struct State {
    /// When recent wrong passwords were given, oldest first; only the
    /// newest few are kept.
    failures: Vec<Instant>,
    /// Attempts reserved and not settled yet: passwords being checked.
    in_flight: usize,
}

/// A reserved attempt. Settle it with `failed` or `succeeded`; dropped
/// unsettled (the check itself failed, e.g. the store could not be read),
/// it is released without counting, since no password was judged.
#[must_use = "an attempt is settled with failed() or succeeded()"]
pub struct Attempt<'a> {
    limiter: &'a PasswordLimiter,
    settled: bool,
}

impl PasswordLimiter {
    fn state(&self) -> MutexGuard<'_, State> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Reserves one password check, or `Err(wait)` while guesses are
    /// paused (including while the one allowed attempt past the free ones
    /// is still being checked).
    pub fn reserve(&self, now: Instant) -> Result<Attempt<'_>, Duration> {
        let mut s = self.state();
        s.failures
            .retain(|t| now.saturating_duration_since(*t) < FAILURE_WINDOW);
        if s.failures.len() + s.in_flight >= FREE_FAILURES {
            if s.in_flight > 0 {
                return Err(FAILURE_BACKOFF);
            }
            if let Some(last) = s.failures.last() {
                let ready = *last + FAILURE_BACKOFF;
                if now < ready {
                    return Err(ready - now);
                }
            }
        }
        s.in_flight += 1;
        Ok(Attempt {
            limiter: self,
            settled: false,
        })
    }
}

impl Attempt<'_> {
    /// The password was wrong: it counts against the limit.
    pub fn failed(mut self, now: Instant) {
        let mut s = self.limiter.state();
        s.in_flight = s.in_flight.saturating_sub(1);
        s.failures.push(now);
        // Only the newest few matter for `reserve`.
        let excess = s.failures.len().saturating_sub(FREE_FAILURES * 2);
        s.failures.drain(..excess);
        self.settled = true;
    }

    /// The password was right: earlier failures are forgotten.
    pub fn succeeded(mut self) {
        let mut s = self.limiter.state();
        s.in_flight = s.in_flight.saturating_sub(1);
        s.failures.clear();
        self.settled = true;
    }
}

impl Drop for Attempt<'_> {
    fn drop(&mut self) {
        if !self.settled {
            let mut s = self.limiter.state();
            s.in_flight = s.in_flight.saturating_sub(1);
        }
    }
}

/// The message shown when guesses are paused.
pub fn wait_message(wait: Duration) -> String {
    format!(
        "Too many wrong passwords. Wait {} seconds, then try again.",
        wait.as_secs().max(1)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn concurrent_attempts_count_before_they_are_checked() {
        let l = PasswordLimiter::default();
        let t0 = Instant::now();
        let held: Vec<Attempt> = (0..FREE_FAILURES)
            .map(|_| l.reserve(t0).expect("a free attempt"))
            .collect();
        assert!(l.reserve(t0).is_err(), "no check beyond the free ones");
        for a in held {
            a.failed(t0);
        }
        assert!(l.reserve(t0).is_err());
        let late = l
            .reserve(t0 + FAILURE_BACKOFF)
            .expect("one after the pause");
        assert!(l.reserve(t0 + FAILURE_BACKOFF).is_err(), "one at a time");
        late.failed(t0 + FAILURE_BACKOFF);
    }

    #[test]
    fn success_forgets_and_unsettled_attempts_are_released() {
        let l = PasswordLimiter::default();
        let t0 = Instant::now();
        for _ in 0..FREE_FAILURES - 1 {
            l.reserve(t0).unwrap().failed(t0);
        }
        drop(l.reserve(t0).unwrap());
        l.reserve(t0).unwrap().succeeded();
        for _ in 0..FREE_FAILURES {
            l.reserve(t0).unwrap().failed(t0);
        }
        assert!(l.reserve(t0).is_err());
        assert!(l.reserve(t0 + FAILURE_WINDOW).is_ok());
    }
}
