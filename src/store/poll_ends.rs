//! When the polls the owner cares about end: `poll_end \0 END_MS \0
//! STATUS` → nothing, in `index`, so the poll worker can sleep until the
//! first key instead of scanning statuses.
//!
//! The owner cares about their own polls (they are told, and the final
//! counts go out) and remote polls they voted in (they are told). The
//! entry is kept by `insert_status`, `update_status` and `delete_status`
//! themselves, in the status's own transaction, so no path that stores a
//! poll can forget it.

use super::statuses::Status;
use super::{index_key, Result, Store, Tx, T};

type R<X> =
    std::result::Result<X, sled::transaction::ConflictableTransactionError<super::StoreError>>;

const PREFIX: &str = "poll_end";

fn key(end_ms: i64, status_id: u64) -> Vec<u8> {
    // Times before 1970 sort first, which is what an overdue entry wants.
    let end = end_ms.max(0) as u64;
    index_key(PREFIX, &[&end.to_be_bytes(), &status_id.to_be_bytes()])
}

/// The end time to file `s` under, if the owner is to hear of its end.
pub fn watched_end(s: &Status) -> Option<i64> {
    let poll = s.poll.as_ref()?;
    if s.local || !poll.own_votes.is_empty() {
        poll.expires_at_ms
    } else {
        None
    }
}

/// One poll due to end.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PollEnd {
    pub end_ms: i64,
    pub status_id: u64,
}

impl PollEnd {
    fn from_key(k: &[u8]) -> Option<PollEnd> {
        let rest = k.strip_prefix(PREFIX.as_bytes())?;
        // \0 END(8) \0 STATUS(8)
        if rest.len() != 18 {
            return None;
        }
        let end = u64::from_be_bytes(rest[1..9].try_into().ok()?);
        let id = u64::from_be_bytes(rest[10..18].try_into().ok()?);
        Some(PollEnd {
            end_ms: end as i64,
            status_id: id,
        })
    }
}

impl Store {
    /// The earliest entry, due or not.
    pub fn next_poll_end(&self) -> Result<Option<PollEnd>> {
        let prefix = index_key(PREFIX, &[]);
        match self.index.scan_prefix(&prefix).next() {
            Some(kv) => Ok(PollEnd::from_key(&kv?.0)),
            None => Ok(None),
        }
    }

    /// Entries ending at or before `now_ms`, earliest first, at most `limit`.
    pub fn due_poll_ends(&self, now_ms: i64, limit: usize) -> Result<Vec<PollEnd>> {
        let prefix = index_key(PREFIX, &[]);
        let mut out = Vec::new();
        for kv in self.index.scan_prefix(&prefix) {
            let Some(e) = PollEnd::from_key(&kv?.0) else {
                continue;
            };
            if e.end_ms > now_ms || out.len() >= limit {
                break;
            }
            out.push(e);
        }
        Ok(out)
    }
}

impl Tx<'_> {
    /// Files, moves or drops `new`'s entry after `old` was stored; a
    /// status whose end time did not change keeps its entry (or its lack
    /// of one, once handled).
    pub(super) fn refile_poll_end(&self, old: Option<&Status>, new: Option<&Status>) -> R<()> {
        let before = old.and_then(watched_end);
        let after = new.and_then(watched_end);
        if before == after {
            return Ok(());
        }
        if let (Some(end), Some(s)) = (before, old) {
            self.remove(T::Index, &key(end, s.id))?;
        }
        if let (Some(end), Some(s)) = (after, new) {
            self.put(T::Index, &key(end, s.id), &[])?;
        }
        Ok(())
    }

    /// Takes an entry away once handled; `false` if it was gone already
    /// (the status was deleted, or its poll replaced by an edit).
    pub fn take_poll_end(&self, e: PollEnd) -> R<bool> {
        Ok(self
            .remove(T::Index, &key(e.end_ms, e.status_id))?
            .is_some())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::statuses::Poll;

    fn poll_status(id: u64, local: bool, end: i64) -> Status {
        Status {
            id,
            uri: format!("https://example.test/s/{id}"),
            local,
            poll: Some(Poll {
                expires_at_ms: Some(end),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    #[test]
    fn entries_follow_the_status_through_insert_update_and_delete() {
        let store = Store::temporary().unwrap();
        let mut own = poll_status(1, true, 5_000);
        let remote = poll_status(2, false, 1_000);
        store
            .transact(|tx| {
                tx.insert_status(&own)?;
                tx.insert_status(&remote)
            })
            .unwrap();
        // A remote poll the owner did not vote in is nobody's concern.
        assert_eq!(
            store.due_poll_ends(10_000, 10).unwrap(),
            vec![PollEnd {
                end_ms: 5_000,
                status_id: 1
            }]
        );
        let mut voted = remote.clone();
        voted.poll.as_mut().unwrap().own_votes = vec![0];
        own.poll.as_mut().unwrap().expires_at_ms = Some(7_000);
        store
            .transact(|tx| {
                tx.update_status(&voted)?;
                tx.update_status(&own)
            })
            .unwrap();
        assert_eq!(
            store.next_poll_end().unwrap(),
            Some(PollEnd {
                end_ms: 1_000,
                status_id: 2
            })
        );
        assert_eq!(store.due_poll_ends(6_000, 10).unwrap().len(), 1);
        assert_eq!(store.due_poll_ends(7_000, 10).unwrap().len(), 2);
        assert_eq!(store.due_poll_ends(7_000, 1).unwrap().len(), 1);

        // Handled once, an entry stays gone through later count updates.
        let first = store.next_poll_end().unwrap().unwrap();
        assert!(store.transact(|tx| tx.take_poll_end(first)).unwrap());
        assert!(!store.transact(|tx| tx.take_poll_end(first)).unwrap());
        voted.poll.as_mut().unwrap().voters_count = 3;
        store.transact(|tx| tx.update_status(&voted)).unwrap();
        assert_eq!(store.due_poll_ends(i64::MAX, 10).unwrap().len(), 1);

        store.transact(|tx| tx.delete_status(&own)).unwrap();
        assert_eq!(store.next_poll_end().unwrap(), None);
    }
}
