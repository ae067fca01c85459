//! Mastodon-style snowflake ids: `(unix_ms << 16) | sequence`.
//!
//! Apps sort and compare ids, as numbers or by length then text, so ids are
//! plain `u64`s sent as decimal strings: never zero-padded, never ULIDs.

use std::sync::atomic::{AtomicU64, Ordering};

/// Hands out strictly increasing ids, even when the clock stalls or steps
/// back (the sequence then runs on from the last id).
#[derive(Default)]
pub struct IdGen {
    last: AtomicU64,
}

impl IdGen {
    pub fn next(&self) -> u64 {
        self.next_at(crate::time_fmt::now_ms())
    }

    pub fn next_at(&self, now_ms: i64) -> u64 {
        let floor = id_floor(now_ms);
        let mut prev = self.last.load(Ordering::Relaxed);
        loop {
            let id = floor.max(prev + 1);
            match self
                .last
                .compare_exchange_weak(prev, id, Ordering::Relaxed, Ordering::Relaxed)
            {
                Ok(_) => return id,
                Err(p) => prev = p,
            }
        }
    }
}

/// The smallest id for a moment; used for `max_id`-style range bounds and
/// for ordering remote posts by their publication time.
pub fn id_floor(ms: i64) -> u64 {
    (ms.max(0) as u64) << 16
}

/// When an id was made, in Unix milliseconds.
pub fn id_time_ms(id: u64) -> i64 {
    (id >> 16) as i64
}

/// Parses an id as clients send it; anything that is not a plain decimal
/// number is simply not an id.
pub fn parse_id(s: &str) -> Option<u64> {
    if s.is_empty() || s.len() > 20 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_increase_even_when_clock_goes_back() {
        let g = IdGen::default();
        let a = g.next_at(1_000_000);
        let b = g.next_at(1_000_000);
        let c = g.next_at(999_000);
        assert!(a < b && b < c);
        assert_eq!(id_time_ms(a), 1_000_000);
    }

    #[test]
    fn parse_rejects_non_numbers() {
        assert_eq!(parse_id("123"), Some(123));
        assert_eq!(parse_id("-1"), None);
        assert_eq!(parse_id("1e3"), None);
        assert_eq!(parse_id(""), None);
        assert_eq!(parse_id("99999999999999999999999"), None);
    }
}
