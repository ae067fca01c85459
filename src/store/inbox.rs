//! Durable inbound queue: verified activities wait in `queue_inbox`
//! (keyed by job id, so oldest first) until the worker has applied them.
//! Activity ids already seen are remembered so a redelivery is dropped.

use super::{codec, index_key, Result, Store};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct InboxJob {
    pub id: u64,
    /// The verified signer (already stored as an account).
    pub signer_id: u64,
    /// The activity as received (JSON bytes).
    pub body: Vec<u8>,
    pub attempts: u32,
}

impl Store {
    /// Queues an activity unless its id was seen before; returns whether
    /// it was queued. Both writes happen in one transaction.
    pub fn enqueue_inbox(&self, job: &InboxJob, activity_id: Option<&str>) -> Result<bool> {
        let seen = activity_id.map(|a| index_key("seen", &[a.as_bytes()]));
        let now = crate::time_fmt::now_ms().to_be_bytes();
        self.transact(|tx| {
            if let Some(k) = &seen {
                if tx.get(super::T::Index, k)?.is_some() {
                    return Ok(false);
                }
                tx.put(super::T::Index, k, &now)?;
            }
            tx.put_rec(super::T::QueueInbox, &job.id.to_be_bytes(), job)?;
            Ok(true)
        })
    }

    /// The oldest waiting jobs.
    pub fn inbox_jobs(&self, limit: usize) -> Result<Vec<InboxJob>> {
        let mut out = Vec::new();
        for kv in self.queue_inbox.iter().take(limit) {
            let (_, v) = kv?;
            out.push(codec::decode(&v)?);
        }
        Ok(out)
    }

    pub fn finish_inbox_job(&self, id: u64) -> Result<()> {
        self.queue_inbox.remove(id.to_be_bytes())?;
        Ok(())
    }

    pub fn retry_inbox_job(&self, job: &InboxJob) -> Result<()> {
        self.queue_inbox
            .insert(job.id.to_be_bytes(), codec::encode(job))?;
        Ok(())
    }

    pub fn inbox_queue_len(&self) -> usize {
        self.queue_inbox.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicates_are_dropped() {
        let s = Store::temporary().unwrap();
        let job = InboxJob {
            id: 1,
            signer_id: 2,
            body: b"{}".to_vec(),
            attempts: 0,
        };
        assert!(s.enqueue_inbox(&job, Some("https://a.example/1")).unwrap());
        let again = InboxJob {
            id: 2,
            ..job.clone()
        };
        assert!(!s
            .enqueue_inbox(&again, Some("https://a.example/1"))
            .unwrap());
        assert_eq!(s.inbox_jobs(10).unwrap(), vec![job]);
    }
}
