//! Mastodon-style snowflake ids: `(unix_ms << 16) | sequence`.
//!
//! Apps sort and compare ids, as numbers or by length then text, so ids are
//! plain `u64`s sent as decimal strings: never zero-padded, never ULIDs.
//!
//! Ids are record keys, so a repeated id overwrites a record. The clock
//! alone can't promise new ids: a Raspberry Pi has no real-time clock and
//! may boot with a time hours or years behind. So the store seeds the
//! generator at open from the highest id in use ([`IdSource::open`]) and
//! keeps a durable mark ahead of every id it hands out.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// Hands out strictly increasing ids, even when the clock stalls or steps
/// back (the sequence then runs on from the last id).
#[derive(Default)]
pub struct IdGen {
    last: AtomicU64,
}

impl IdGen {
    /// A generator whose every id is greater than `id`.
    pub fn after(id: u64) -> IdGen {
        IdGen {
            last: AtomicU64::new(id),
        }
    }

    pub fn next(&self) -> u64 {
        self.next_at(crate::time_fmt::now_ms())
    }

    pub fn next_at(&self, now_ms: i64) -> u64 {
        let floor = id_floor(now_ms);
        let mut prev = self.last.load(Ordering::Relaxed);
        loop {
            let id = floor.max(prev.saturating_add(1));
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

/// Where "now" comes from, in Unix milliseconds. The system clock in
/// production; tests set it back to play a restart with a wrong clock.
pub type Clock = Arc<dyn Fn() -> i64 + Send + Sync>;

/// The system clock.
pub fn system_clock() -> Clock {
    Arc::new(crate::time_fmt::now_ms)
}

/// The `meta` key of the reservation mark: no id above it has been handed
/// out, and every id handed out is at most it. Big-endian `u64`.
pub(super) const KEY_RESERVED: &[u8] = b"ids_reserved_through";

/// How far ahead of the newest id the mark is moved: ten seconds of ids.
/// The mark is written once per ten seconds of activity at most, instead
/// of once per id; the price is that ids made just after a quick restart
/// may read up to ten seconds ahead of the clock.
pub const RESERVE_AHEAD: u64 = 10_000 << 16;

/// Trees (with their key prefix) whose keys are ids, big-endian, right
/// after the prefix: their last key is the highest id they hold. Read at
/// open so a store written before the mark existed is seeded too.
pub(super) const ID_KEYED: &[(super::T, &[u8])] = &[
    (super::T::Accounts, b""),
    (super::T::Statuses, b""),
    (super::T::Media, b""),
    (super::T::Notifications, b"n\0"),
];

/// The store's id generator: never repeats an id across restarts, even
/// when the clock goes back.
pub(super) struct IdSource {
    ids: IdGen,
    clock: Clock,
    /// The mark as stored; moved (under this lock) before an id above it
    /// is returned.
    reserved: Mutex<u64>,
    meta: sled::Tree,
}

impl IdSource {
    /// Seeds the generator above both the stored mark and the highest id
    /// found in `trees` (`ID_KEYED`, in order).
    pub(super) fn open(
        meta: sled::Tree,
        trees: &[&sled::Tree],
        clock: Clock,
    ) -> super::Result<IdSource> {
        let mut highest = match meta.get(KEY_RESERVED)? {
            Some(v) => be_u64(&v).unwrap_or(0),
            None => 0,
        };
        for (tree, (_, prefix)) in trees.iter().zip(ID_KEYED) {
            let last = tree
                .scan_prefix(prefix)
                .keys()
                .rev()
                .filter_map(|k| k.ok())
                .find_map(|k| k.strip_prefix(*prefix).and_then(be_u64));
            highest = highest.max(last.unwrap_or(0));
        }
        Ok(IdSource {
            ids: IdGen::after(highest),
            clock,
            reserved: Mutex::new(highest),
            meta,
        })
    }

    /// A new id, greater than every id this store has handed out.
    ///
    /// The mark is written before the id is returned, so it precedes in
    /// sled's log every record that uses the id: sled recovers a prefix of
    /// its log, so a record that survives a crash has its mark with it.
    /// Should the write fail, the id is still unique in this process and
    /// the scan at the next open still finds it in its record; the write
    /// is tried again with the next id.
    pub(super) fn next(&self) -> u64 {
        let id = self.ids.next_at((self.clock)());
        let mut reserved = self.reserved.lock().unwrap_or_else(|e| e.into_inner());
        if id > *reserved {
            let mark = id.saturating_add(RESERVE_AHEAD);
            match self.meta.insert(KEY_RESERVED, &mark.to_be_bytes()) {
                Ok(_) => *reserved = mark,
                Err(e) => tracing::error!("cannot store the id reservation mark: {e}"),
            }
        }
        id
    }
}

/// An id stored as exactly eight big-endian bytes.
fn be_u64(bytes: &[u8]) -> Option<u64> {
    Some(u64::from_be_bytes(bytes.try_into().ok()?))
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
    use crate::store::accounts::Account;
    use crate::store::Store;
    use std::sync::atomic::AtomicI64;

    /// A clock the test sets by hand.
    fn clock_at(now: &Arc<AtomicI64>) -> Clock {
        let now = now.clone();
        Arc::new(move || now.load(Ordering::Relaxed))
    }

    fn account(id: u64, name: &str) -> Account {
        Account {
            id,
            username: name.into(),
            domain: Some("peer.example".into()),
            uri: format!("https://peer.example/users/{name}"),
            ..Default::default()
        }
    }

    /// A restart with the clock a day behind (a Pi without a real-time
    /// clock, before NTP) must not hand out ids already used.
    #[test]
    fn ids_stay_above_stored_ones_when_a_restart_sets_the_clock_back() {
        const DAY_MS: i64 = 24 * 3600 * 1000;
        let dir = tempfile::tempdir().unwrap();
        let now = Arc::new(AtomicI64::new(1_700_000_000_000));
        let store = Store::open_with_clock(dir.path(), 4 << 20, clock_at(&now)).unwrap();
        let old: Vec<u64> = (0..3)
            .map(|i| {
                let a = account(store.next_id(), &format!("old{i}"));
                store.put_account(&a).unwrap();
                a.id
            })
            .collect();
        store.flush_sync().unwrap();
        drop(store);

        now.fetch_sub(DAY_MS, Ordering::Relaxed);
        let store = Store::open_with_clock(dir.path(), 4 << 20, clock_at(&now)).unwrap();
        let new = account(store.next_id(), "new");
        assert!(new.id > *old.iter().max().unwrap(), "{} reused", new.id);
        store.put_account(&new).unwrap();
        for (i, id) in old.iter().enumerate() {
            let kept = store.account(*id).unwrap().expect("old record kept");
            assert_eq!(kept.username, format!("old{i}"));
        }
    }

    /// A store written before the reservation mark existed is seeded from
    /// its highest stored id.
    #[test]
    fn a_store_without_the_mark_is_seeded_from_its_records() {
        let dir = tempfile::tempdir().unwrap();
        let now = Arc::new(AtomicI64::new(1_700_000_000_000));
        let store = Store::open_with_clock(dir.path(), 4 << 20, clock_at(&now)).unwrap();
        let far = id_floor(1_800_000_000_000);
        store.put_account(&account(far, "future")).unwrap();
        store.meta.remove(KEY_RESERVED).unwrap();
        store.flush_sync().unwrap();
        drop(store);
        let store = Store::open_with_clock(dir.path(), 4 << 20, clock_at(&now)).unwrap();
        assert!(store.next_id() > far);
        assert_eq!(store.account(far).unwrap().unwrap().username, "future");
    }

    #[test]
    fn the_mark_is_moved_in_blocks_not_per_id() {
        let now = Arc::new(AtomicI64::new(1_700_000_000_000));
        let store = Store::temporary().unwrap();
        let source = IdSource::open(store.meta.clone(), &[], clock_at(&now)).unwrap();
        let first = source.next();
        let mark = |s: &Store| be_u64(&s.meta.get(KEY_RESERVED).unwrap().unwrap()).unwrap();
        assert_eq!(mark(&store), first + RESERVE_AHEAD);
        for _ in 0..100 {
            source.next();
        }
        assert_eq!(mark(&store), first + RESERVE_AHEAD);
        now.fetch_add(20_000, Ordering::Relaxed);
        let later = source.next();
        assert_eq!(mark(&store), later + RESERVE_AHEAD);
    }

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
