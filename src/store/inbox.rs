//! Durable inbound queue: verified activities wait in `queue_inbox`
//! (keyed by job id, so oldest first) until the worker has applied them
//! or given up on them. A job that failed for a passing reason stays, with
//! the time of its next attempt.
//!
//! Activity ids already seen are remembered, per signing host, so a
//! redelivery is dropped and one server can never make us drop another's
//! activity by sending its id first:
//!
//! - `seen_by \0 host \0 activity id` → when it was seen (ms, big-endian);
//! - `seen_at \0 ms (BE) ‖ the seen_by key` → nothing, so the oldest
//!   entries are the first keys and pruning reads only what it removes.

use super::{codec, index_key, Result, Store, T};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct InboxJob {
    pub id: u64,
    /// The verified signer (already stored as an account).
    pub signer_id: u64,
    /// The signer's host (`host::normalize`d), for the per-host quota.
    pub signer_host: String,
    /// The activity as received (JSON bytes).
    pub body: Vec<u8>,
    /// Failed attempts so far.
    pub attempts: u32,
    /// When the activity arrived (ms); retries stop past a maximum age.
    pub received_ms: i64,
    /// Not to be tried before this time (ms): 0 for a new job, later after
    /// a transient failure.
    pub due_ms: i64,
    /// Why the last attempt failed, for the log.
    pub last_error: String,
}

/// Old seen entries keyed by activity id alone, written before ids were
/// keyed by host; nothing reads them, and pruning sweeps them away.
const LEGACY_SEEN: &str = "seen";
const SEEN_BY: &str = "seen_by";
const SEEN_AT: &str = "seen_at";

fn seen_key(host: &str, activity_id: &str) -> Vec<u8> {
    index_key(SEEN_BY, &[host.as_bytes(), activity_id.as_bytes()])
}

fn seen_at_key(seen_ms: i64, seen: &[u8]) -> Vec<u8> {
    let mut k = index_key(SEEN_AT, &[&seen_ms.max(0).to_be_bytes()]);
    k.extend_from_slice(seen);
    k
}

impl Store {
    /// Queues an activity unless the same host sent the same activity id
    /// before; returns whether it was queued. `now_ms` is when it was seen.
    /// Every write happens in one transaction.
    pub fn enqueue_inbox(
        &self,
        job: &InboxJob,
        activity_id: Option<&str>,
        now_ms: i64,
    ) -> Result<bool> {
        let seen = activity_id.map(|a| seen_key(&job.signer_host, a));
        self.transact(|tx| {
            if let Some(k) = &seen {
                if tx.get(T::Index, k)?.is_some() {
                    return Ok(false);
                }
                tx.put(T::Index, k, &now_ms.to_be_bytes())?;
                tx.put(T::Index, &seen_at_key(now_ms, k), &[])?;
            }
            tx.put_rec(T::QueueInbox, &job.id.to_be_bytes(), job)?;
            Ok(true)
        })
    }

    /// Every waiting job, oldest first (read once, when the worker starts).
    pub fn inbox_jobs(&self) -> Result<Vec<InboxJob>> {
        let mut out = Vec::new();
        for kv in self.queue_inbox.iter() {
            let (_, v) = kv?;
            out.push(codec::decode(&v)?);
        }
        Ok(out)
    }

    pub fn inbox_job(&self, id: u64) -> Result<Option<InboxJob>> {
        match self.queue_inbox.get(id.to_be_bytes())? {
            Some(v) => Ok(Some(codec::decode(&v)?)),
            None => Ok(None),
        }
    }

    pub fn finish_inbox_job(&self, id: u64) -> Result<()> {
        self.queue_inbox.remove(id.to_be_bytes())?;
        Ok(())
    }

    /// Stores a job again after a failed attempt (its attempts, due time
    /// and error updated by the caller).
    pub fn retry_inbox_job(&self, job: &InboxJob) -> Result<()> {
        self.queue_inbox
            .insert(job.id.to_be_bytes(), codec::encode(job))?;
        Ok(())
    }

    pub fn inbox_queue_len(&self) -> usize {
        self.queue_inbox.len()
    }

    /// Forgets at most `limit` activity ids seen before `cutoff_ms`, oldest
    /// first, and as many entries of the old id-only kind; returns how
    /// many entries went, so the caller knows whether more are left.
    pub fn prune_seen(&self, cutoff_ms: i64, limit: usize) -> Result<usize> {
        let prefix = index_key(SEEN_AT, &[&[]]);
        let mut removed = 0;
        for kv in self.index.scan_prefix(&prefix).take(limit) {
            let (k, _) = kv?;
            let Some(rest) = k.get(prefix.len()..) else {
                continue;
            };
            let (ms, seen) = rest.split_at_checked(8).unwrap_or((rest, &[]));
            if (super::accounts::be_u64(ms) as i64) >= cutoff_ms {
                break;
            }
            self.transact(|tx| {
                tx.remove(T::Index, seen)?;
                tx.remove(T::Index, &k)?;
                Ok(())
            })?;
            removed += 1;
        }
        let legacy = index_key(LEGACY_SEEN, &[&[]]);
        for kv in self.index.scan_prefix(&legacy).take(limit) {
            let (k, _) = kv?;
            self.index.remove(k)?;
            removed += 1;
        }
        Ok(removed)
    }

    /// Whether `host` sent `activity_id` and it is still remembered.
    pub fn inbox_seen(&self, host: &str, activity_id: &str) -> Result<bool> {
        Ok(self.index.get(seen_key(host, activity_id))?.is_some())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(id: u64, host: &str) -> InboxJob {
        InboxJob {
            id,
            signer_id: 2,
            signer_host: host.into(),
            body: b"{}".to_vec(),
            ..Default::default()
        }
    }

    #[test]
    fn duplicates_from_one_host_are_dropped() {
        let s = Store::temporary().unwrap();
        let first = job(1, "a.example");
        assert!(s
            .enqueue_inbox(&first, Some("https://a.example/1"), 10)
            .unwrap());
        assert!(!s
            .enqueue_inbox(&job(2, "a.example"), Some("https://a.example/1"), 11)
            .unwrap());
        assert_eq!(s.inbox_jobs().unwrap(), vec![first]);
    }

    #[test]
    fn one_host_cannot_use_up_another_hosts_id() {
        let s = Store::temporary().unwrap();
        let id = Some("https://b.example/users/bob/statuses/1#delete");
        assert!(s.enqueue_inbox(&job(1, "evil.example"), id, 10).unwrap());
        assert!(s.enqueue_inbox(&job(2, "b.example"), id, 11).unwrap());
        assert_eq!(s.inbox_queue_len(), 2);
    }

    #[test]
    fn seen_ids_are_pruned_oldest_first_once_past_the_cutoff() {
        let s = Store::temporary().unwrap();
        let (old, new) = ("https://a.example/old", "https://a.example/new");
        s.enqueue_inbox(&job(1, "a.example"), Some(old), 1_000)
            .unwrap();
        s.enqueue_inbox(&job(2, "a.example"), Some(new), 5_000)
            .unwrap();
        // An entry of the old id-only kind.
        s.index
            .insert(index_key(LEGACY_SEEN, &[b"https://a.example/x"]), &[0u8; 8])
            .unwrap();

        assert_eq!(s.prune_seen(3_000, 100).unwrap(), 2);
        assert!(!s.inbox_seen("a.example", old).unwrap());
        assert!(s.inbox_seen("a.example", new).unwrap());
        assert!(s
            .enqueue_inbox(&job(3, "a.example"), Some(old), 6_000)
            .unwrap());
        assert!(s
            .index
            .scan_prefix(index_key(LEGACY_SEEN, &[&[]]))
            .next()
            .is_none());

        // The batch bound holds, and the rest goes on the next call.
        assert_eq!(s.prune_seen(i64::MAX, 1).unwrap(), 1);
        assert_eq!(s.prune_seen(i64::MAX, 1).unwrap(), 1);
        assert_eq!(s.prune_seen(i64::MAX, 1).unwrap(), 0);
        assert!(!s.inbox_seen("a.example", new).unwrap());
    }
}
