//! The owner's scheduled statuses, in `index`:
//!
//! - `sched \0 ID` → the record (what to post, and when);
//! - `sched_due \0 DUE_MS \0 ID` → nothing: the schedule in due order, so
//!   the publishing worker sleeps until the first key instead of scanning;
//! - `sched_media \0 MEDIA_ID` → the scheduled status holding that upload,
//!   so no other post takes it and the sweeper leaves it alone.
//!
//! All three change together, in one transaction, through `Tx`.

use super::{codec, index_key, Result, Store, Tx, T};
use crate::store::statuses::Visibility;
use serde::{Deserialize, Serialize};

type R<X> =
    std::result::Result<X, sled::transaction::ConflictableTransactionError<super::StoreError>>;

const RECORD: &str = "sched";
const DUE: &str = "sched_due";
const MEDIA: &str = "sched_media";

/// A poll to attach when the status is published.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ScheduledPoll {
    pub options: Vec<String>,
    pub expires_in_secs: i64,
    pub multiple: bool,
}

/// A status the owner asked to publish later, as they sent it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ScheduledStatus {
    pub id: u64,
    pub scheduled_at_ms: i64,
    pub text: String,
    pub spoiler_text: String,
    pub sensitive: bool,
    pub visibility: Visibility,
    pub language: Option<String>,
    pub in_reply_to_id: Option<u64>,
    pub media_ids: Vec<u64>,
    pub poll: Option<ScheduledPoll>,
    /// The posting app's name, shown on the status once published.
    pub application: Option<String>,
    /// The app's `Idempotency-Key`, if it sent one.
    pub idempotency: Option<String>,
}

/// `PREFIX \0`: the start of every key under a prefix, and of no key
/// under a longer prefix that begins the same way (`sched_due`).
fn all(prefix: &str) -> Vec<u8> {
    index_key(prefix, &[&[]])
}

fn record_key(id: u64) -> Vec<u8> {
    index_key(RECORD, &[&id.to_be_bytes()])
}

fn due_key(due_ms: i64, id: u64) -> Vec<u8> {
    // Times before 1970 sort first, which is what an overdue entry wants.
    let due = due_ms.max(0) as u64;
    index_key(DUE, &[&due.to_be_bytes(), &id.to_be_bytes()])
}

fn media_key(media_id: u64) -> Vec<u8> {
    index_key(MEDIA, &[&media_id.to_be_bytes()])
}

/// One due entry: when, and which scheduled status.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Due {
    pub due_ms: i64,
    pub id: u64,
}

impl Due {
    fn from_key(k: &[u8]) -> Option<Due> {
        // DUE \0 TIME(8) \0 ID(8)
        let rest = k.strip_prefix(DUE.as_bytes())?.strip_prefix(&[0])?;
        let (time, rest) = rest.split_first_chunk::<8>()?;
        let id: &[u8; 8] = rest.strip_prefix(&[0])?.try_into().ok()?;
        Some(Due {
            due_ms: u64::from_be_bytes(*time) as i64,
            id: u64::from_be_bytes(*id),
        })
    }
}

impl Store {
    pub fn scheduled_status(&self, id: u64) -> Result<Option<ScheduledStatus>> {
        match self.index.get(record_key(id))? {
            Some(v) => Ok(Some(codec::decode(&v)?)),
            None => Ok(None),
        }
    }

    /// Every scheduled status, oldest id first. The schedule is bounded
    /// (`ops::scheduled::MAX_SCHEDULED`), so reading it whole is cheap.
    pub fn scheduled_statuses(&self) -> Result<Vec<ScheduledStatus>> {
        let mut out = Vec::new();
        for kv in self.index.scan_prefix(all(RECORD)) {
            out.push(codec::decode(&kv?.1)?);
        }
        Ok(out)
    }

    /// The earliest due entry, due or not.
    pub fn next_scheduled(&self) -> Result<Option<Due>> {
        match self.index.scan_prefix(all(DUE)).next() {
            Some(kv) => Ok(Due::from_key(&kv?.0)),
            None => Ok(None),
        }
    }

    /// Entries due at or before `now_ms`, earliest first, at most `limit`.
    pub fn due_scheduled(&self, now_ms: i64, limit: usize) -> Result<Vec<Due>> {
        let mut out = Vec::new();
        for kv in self.index.scan_prefix(all(DUE)) {
            let Some(d) = Due::from_key(&kv?.0) else {
                continue;
            };
            if d.due_ms > now_ms || out.len() >= limit {
                break;
            }
            out.push(d);
        }
        Ok(out)
    }

    /// The scheduled status holding an upload, if one does.
    pub fn media_scheduled_by(&self, media_id: u64) -> Result<Option<u64>> {
        self.get_index(&media_key(media_id))
    }
}

impl Tx<'_> {
    /// Stores a new or changed scheduled status with its due entry and
    /// its uploads' reservations, replacing those of its earlier version.
    pub fn put_scheduled(&self, s: &ScheduledStatus) -> R<()> {
        if let Some(old) = self.get_rec::<ScheduledStatus>(T::Index, &record_key(s.id))? {
            self.unfile_scheduled(&old)?;
        }
        self.put_rec(T::Index, &record_key(s.id), s)?;
        self.put(T::Index, &due_key(s.scheduled_at_ms, s.id), &[])?;
        for m in &s.media_ids {
            self.put(T::Index, &media_key(*m), &s.id.to_be_bytes())?;
        }
        Ok(())
    }

    /// Takes a scheduled status off the schedule, freeing its uploads;
    /// `None` if it was gone already (published or cancelled).
    pub fn take_scheduled(&self, id: u64) -> R<Option<ScheduledStatus>> {
        let Some(old) = self.get_rec::<ScheduledStatus>(T::Index, &record_key(id))? else {
            return Ok(None);
        };
        self.unfile_scheduled(&old)?;
        self.remove(T::Index, &record_key(id))?;
        Ok(Some(old))
    }

    /// Lets go of a scheduled status's uploads, keeping the rest of it,
    /// just before it is published with them.
    pub fn release_scheduled_media(&self, s: &ScheduledStatus) -> R<()> {
        for m in &s.media_ids {
            self.remove(T::Index, &media_key(*m))?;
        }
        Ok(())
    }

    fn unfile_scheduled(&self, old: &ScheduledStatus) -> R<()> {
        self.remove(T::Index, &due_key(old.scheduled_at_ms, old.id))?;
        for m in &old.media_ids {
            self.remove(T::Index, &media_key(*m))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sched(id: u64, at: i64, media: Vec<u64>) -> ScheduledStatus {
        ScheduledStatus {
            id,
            scheduled_at_ms: at,
            text: format!("post {id}"),
            media_ids: media,
            ..Default::default()
        }
    }

    #[test]
    fn the_schedule_follows_its_records() {
        let store = Store::temporary().unwrap();
        let a = sched(1, 5_000, vec![10, 11]);
        let b = sched(2, 1_000, vec![]);
        store
            .transact(|tx| {
                tx.put_scheduled(&a)?;
                tx.put_scheduled(&b)
            })
            .unwrap();
        assert_eq!(
            store.next_scheduled().unwrap(),
            Some(Due {
                due_ms: 1_000,
                id: 2
            })
        );
        assert_eq!(store.due_scheduled(4_999, 10).unwrap().len(), 1);
        assert_eq!(store.due_scheduled(5_000, 10).unwrap().len(), 2);
        assert_eq!(store.due_scheduled(5_000, 1).unwrap().len(), 1);
        assert_eq!(store.media_scheduled_by(11).unwrap(), Some(1));

        // Moving one moves its entry; dropped media are freed.
        let moved = ScheduledStatus {
            scheduled_at_ms: 500,
            media_ids: vec![10],
            ..a.clone()
        };
        store.transact(|tx| tx.put_scheduled(&moved)).unwrap();
        assert_eq!(store.next_scheduled().unwrap().unwrap().id, 1);
        assert_eq!(store.due_scheduled(i64::MAX, 10).unwrap().len(), 2);
        assert_eq!(store.media_scheduled_by(11).unwrap(), None);

        // Taken once, it is gone for good.
        let taken = store.transact(|tx| tx.take_scheduled(1)).unwrap();
        assert_eq!(taken, Some(moved));
        assert_eq!(store.transact(|tx| tx.take_scheduled(1)).unwrap(), None);
        assert_eq!(store.media_scheduled_by(10).unwrap(), None);
        assert_eq!(store.scheduled_statuses().unwrap(), vec![b]);
        assert_eq!(store.due_scheduled(i64::MAX, 10).unwrap().len(), 1);
    }

    #[test]
    fn malformed_due_keys_are_skipped() {
        assert_eq!(Due::from_key(b"sched_due\0short"), None);
        assert_eq!(
            Due::from_key(&due_key(7, 9)),
            Some(Due { due_ms: 7, id: 9 })
        );
    }
}
